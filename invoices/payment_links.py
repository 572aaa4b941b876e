"""CloudPayments' hosted payment page for an invoice (orders/create)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from invoices.cloudpayments import CloudPaymentsAPI
from invoices.models import Invoice
from invoices.receipts import payment_receipt


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
        receipt=payment_receipt(invoice),
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


def widget_params(invoice: Invoice) -> dict[str, Any]:
    """What the public page opens CloudPayments' widget with (invoices/static/invoices/
    pay.js): the balance, our numbers, and the receipt the payment carries (`data`)."""
    customer = invoice.order.customer
    params: dict[str, Any] = {
        "publicId": settings.CLOUDPAYMENTS_PUBLIC_ID,
        "amount": str(invoice.balance),
        "currency": invoice.currency,
        "invoiceId": invoice.number,
        "accountId": invoice.order.number,
        "email": customer.email,
        "description": _("Invoice %(number)s") % {"number": invoice.number},
        "language": "en-US" if customer.language == "en" else "ru-RU",
    }
    receipt = payment_receipt(invoice)
    if receipt is not None:
        params["data"] = {"CloudPayments": {"CustomerReceipt": receipt}}
    return params
