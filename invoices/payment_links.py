"""CloudPayments' hosted payment page for an invoice (orders/create)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from invoices.cloudpayments import CloudPaymentsAPI
from invoices.models import Invoice


def payment_link_create(*, invoice_id: int, api: CloudPaymentsAPI | None = None) -> bool:
    """Create the link once; False when the invoice already has one or is not open."""
    invoice = Invoice.objects.select_related("order__customer").get(pk=invoice_id)
    if invoice.payment_link_id or not invoice.is_open:
        return False
    customer = invoice.order.customer
    with override(customer.language or "ru"):
        description = _("Payment of invoice %(number)s (order %(order)s)") % {
            "number": invoice.number,
            "order": invoice.order.number,
        }
    link = (api or CloudPaymentsAPI()).create_payment_link(
        amount=invoice.balance,
        currency=invoice.currency,
        description=description,
        invoice_id=invoice.number,
        account_id=invoice.order.number,
        email=customer.email or None,
        culture="en-US" if customer.language == "en" else "ru-RU",
    )
    with transaction.atomic():
        # Two runs at once: the first stored link wins, the other is cancelled.
        updated = Invoice.objects.filter(pk=invoice_id, payment_link_id="").update(
            payment_link_id=link.id, payment_url=link.url, payment_link_error=""
        )
    if not updated:
        (api or CloudPaymentsAPI()).cancel_payment_link(link.id)
        return False
    return True
