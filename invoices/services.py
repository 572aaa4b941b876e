"""Invoices: issuing one (number, snapshot of the lines, PDF, payment link), its public link,
and voiding them when the order is lost. Payments are in invoices/payments.py."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.money import Amount
from core.texts import Msg
from invoices.models import (
    UNPAID_STATUSES,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Receipt,
    public_token_for,
    public_token_hash,
)
from invoices.payments import AMOUNT_NOT_POSITIVE, PaymentError
from invoices.receipts import receipt_settlement_record, receipts_retry
from invoices.tasks import (
    invoice_cancel_payment_link,
    invoice_create_payment_link,
    invoice_render_pdf,
    pdf_awaiting,
    receipt_send,
)
from notifications.client import tell_client
from orders.models import Customer, DeliveryMethod, EventKind, Order
from orders.queue import enqueue_after_commit
from orders.services.common import event_record, lock_order, next_number


def invoice_lines_snapshot(order: Order) -> list[dict[str, str]]:
    rows = [
        {
            "name": line.name,
            "sku": line.sku,
            "unit": line.unit,
            "quantity": str(line.quantity.normalize()),
            "price": str(line.price),
            "discount": str(line.discount),
            "amount": str(line.amount),
            # The product's VAT for fiscal receipts; blank: the company's rate.
            "vat": line.product.vat_rate,
        }
        for line in order.lines.select_related("product")
    ]
    if order.delivery_method != DeliveryMethod.PICKUP and order.delivery_cost:
        rows.append(
            {
                "name": str(_("Delivery")),
                "sku": "",
                "unit": "",
                "quantity": "1",
                "price": str(order.delivery_cost),
                "discount": "0.00",
                "amount": str(order.delivery_cost),
                "is_delivery": "1",
            }
        )
    return rows


def invoice_buyer_snapshot(customer: Customer) -> dict[str, str]:
    """The buyer as the invoice names it: a business by its name and requisites, a person
    by name alone."""
    return {
        "kind": customer.kind,
        "name": customer.buyer_name,
        "contact": customer.name,
        "inn": customer.inn,
        "kpp": customer.kpp,
        "ogrn": customer.ogrn,
        "legal_address": customer.legal_address,
    }


def invoice_issue(
    *, order: Order, kind: str, amount: Decimal, actor: User | None = None
) -> Invoice:
    """Issue an invoice with a gapless yearly number. Caller holds the order's lock."""

    if amount <= 0:
        raise PaymentError(errors={"amount": [str(AMOUNT_NOT_POSITIVE)]})
    year, seq = next_number("invoice")
    due_date = timezone.localdate() + dt.timedelta(days=settings.INVOICE_DUE_DAYS)
    salt = secrets.token_hex(16)
    invoice = Invoice.objects.create(
        number=f"INV-{year}-{seq:05d}",
        order=order,
        kind=kind,
        amount=amount,
        currency=order.currency,
        lines=invoice_lines_snapshot(order),
        buyer=invoice_buyer_snapshot(order.customer),
        order_total=order.total_amount,
        paid_before=order.paid_amount,
        due_date=due_date,
        vat_rate=vat_rate_setting(),
        expires_at=_link_expiry(due_date),
        public_salt=salt,
        public_token_hash=public_token_hash(public_token_for(salt)),
    )
    event_record(
        order=order,
        kind=EventKind.INVOICE,
        actor=actor,
        text=Msg(
            gettext_noop("Invoice %(number)s issued for %(amount)s"),
            number=invoice.number,
            amount=Amount(amount, invoice.currency),
        ),
        invoice_id=invoice.pk,
    )
    # The e-mail waits for its PDF: invoices.tasks.invoice_render_pdf releases it.
    tell_client(
        order=order,
        kind="invoice_issued",
        actor=actor,
        invoice_id=invoice.pk,
        awaiting=pdf_awaiting(invoice.pk),
    )
    invoice_queue_render(invoice)
    if cloudpayments_configured():
        enqueue_after_commit(invoice_create_payment_link, invoice.pk)
    return invoice


def receipt_settlement_queue(*, order: Order) -> None:
    """The order is delivered: the settlement receipt of its card prepayments, sent after
    commit (none when nothing was prepaid by card, or receipts are off)."""
    receipt = receipt_settlement_record(order=order, lines=invoice_lines_snapshot(order))
    if receipt is not None:
        enqueue_after_commit(receipt_send, receipt.pk, record=True)


def receipts_resend(receipts: list[Receipt]) -> int:
    """Receipts that failed (or wait) are sent again now; how many."""
    ids = receipts_retry(receipts)
    for pk in ids:
        enqueue_after_commit(receipt_send, pk, record=True)
    return len(ids)


def vat_rate_setting() -> Decimal | None:
    raw = (settings.INVOICE_VAT_RATE or "").strip()
    if raw.lower() in ("", "none", "0"):
        return None
    return Decimal(raw)


def cloudpayments_configured() -> bool:
    return bool(settings.CLOUDPAYMENTS_PUBLIC_ID and settings.CLOUDPAYMENTS_API_SECRET)


def _link_expiry(due_date: dt.date) -> dt.datetime:
    last_day = due_date + dt.timedelta(days=settings.INVOICE_LINK_DAYS)
    return timezone.make_aware(dt.datetime.combine(last_day, dt.time.max))


def invoice_queue_render(invoice: Invoice) -> None:

    Invoice.objects.filter(pk=invoice.pk).update(pdf_queued_at=timezone.now())
    enqueue_after_commit(invoice_render_pdf, invoice.pk)


def invoice_touch(*, invoice: Invoice) -> bool:
    """What the PDF shows changed (the seller's requisites, say): an unpaid invoice gets a
    new PDF; a paid or void one keeps the document the client already has."""
    if invoice.status not in UNPAID_STATUSES:
        return False
    Invoice.objects.filter(pk=invoice.pk).update(content_version=F("content_version") + 1)
    invoice_queue_render(invoice)
    return True


def seller_requisites_changed() -> int:
    """Re-render every unpaid invoice after the requisites were edited."""
    count = 0
    with transaction.atomic():
        for invoice in Invoice.objects.filter(status__in=UNPAID_STATUSES).only("pk", "status"):
            count += invoice_touch(invoice=invoice)
    return count


def invoice_link_revoke(*, invoice: Invoice, actor: User | None) -> Invoice:
    """The link stops working at once (a 404); a new one can be issued later."""

    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        invoice.public_revoked_at = timezone.now()
        invoice.public_token_hash = ""
        invoice.save(update_fields=["public_revoked_at", "public_token_hash"])
        event_record(
            order=invoice.order,
            kind=EventKind.INVOICE,
            actor=actor,
            text=Msg(gettext_noop("Link to invoice %(number)s revoked"), number=invoice.number),
            invoice_id=invoice.pk,
        )
        if invoice.payment_link_id:
            # The hosted payment page must stop taking money too.

            enqueue_after_commit(invoice_cancel_payment_link, invoice.payment_link_id, record=True)
            invoice.payment_link_id = ""
            invoice.payment_url = ""
            invoice.save(update_fields=["payment_link_id", "payment_url"])
    return invoice


def invoice_link_renew(*, invoice: Invoice, actor: User | None) -> Invoice:
    """A fresh random link (the old one, if any, stops working)."""

    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        invoice.public_salt = secrets.token_hex(16)
        invoice.public_token_hash = public_token_hash(public_token_for(invoice.public_salt))
        invoice.public_revoked_at = None
        if invoice.expires_at is None or invoice.expires_at <= timezone.now():
            invoice.expires_at = _link_expiry(timezone.localdate())
        invoice.save(
            update_fields=["public_salt", "public_token_hash", "public_revoked_at", "expires_at"]
        )
        event_record(
            order=invoice.order,
            kind=EventKind.INVOICE,
            actor=actor,
            text=Msg(gettext_noop("New link to invoice %(number)s issued"), number=invoice.number),
            invoice_id=invoice.pk,
        )
    return invoice


def invoice_find_by_token(token: str) -> Invoice | None:
    """The invoice behind a live public link; None for a wrong, revoked or expired one."""
    if not token or len(token) > 100:
        return None
    invoice = (
        Invoice.objects.select_related("order__customer")
        .filter(public_token_hash=public_token_hash(token))
        .first()
    )
    if invoice is None or not invoice.link_is_live:
        return None
    return invoice


def invoices_close_for_cancel(*, order: Order, actor: User | None) -> None:
    """The order is lost: all its invoices are voided, so no link or card payment takes
    more money for it, and a refund never reopens one. What an invoice had received stays
    on it, listed in receivables as owed back to the client until it is refunded."""

    for invoice in order.invoices.select_for_update().exclude(status=InvoiceStatus.VOID):
        was_open = invoice.status in UNPAID_STATUSES
        invoice.status = InvoiceStatus.VOID
        invoice.voided_at = timezone.now()
        invoice.save(update_fields=["status", "voided_at"])
        if was_open and invoice.payment_link_id:
            enqueue_after_commit(invoice_cancel_payment_link, invoice.payment_link_id, record=True)
        if invoice.paid_amount > 0:
            text = Msg(
                gettext_noop("Invoice %(number)s voided; %(amount)s received is owed back"),
                number=invoice.number,
                amount=Amount(invoice.paid_amount, invoice.currency),
            )
        else:
            text = Msg(gettext_noop("Invoice %(number)s voided"), number=invoice.number)
        event_record(
            order=order, kind=EventKind.INVOICE, actor=actor, text=text, invoice_id=invoice.pk
        )


def manual_invoice_issue(*, order: Order, amount: Decimal, actor: User) -> Invoice:

    with transaction.atomic():
        order = lock_order(order)
        return invoice_issue(order=order, kind=InvoiceKind.MANUAL, amount=amount, actor=actor)
