"""Invoices and payments. A payment is applied once per external transaction, under the
order's row lock, and moves the order on by itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoices.models import (
    UNPAID_STATUSES,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentSource,
)
from orders.models import ZERO, DeliveryMethod, EventKind, Order
from orders.rules import OrderError, money

User = AbstractBaseUser

INVOICE_DUE_DAYS = 5

AMOUNT_NOT_POSITIVE = gettext_lazy("The amount must be more than 0.")
INVOICE_VOID = gettext_lazy("Invoice %(number)s is void; it cannot be paid.")
CURRENCY_MISMATCH = gettext_lazy("Invoice %(number)s is in %(expected)s, not %(given)s.")
REASON_MISSING = gettext_lazy("Give the reason for the reversal.")
ALREADY_REVERSED = gettext_lazy("This payment has already been reversed.")
NOT_REVERSIBLE = gettext_lazy("A reversal cannot itself be reversed.")


class PaymentError(OrderError):
    pass


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
        }
        for line in order.lines.all()
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


def invoice_issue(
    *, order: Order, kind: str, amount: Decimal, actor: User | None = None
) -> Invoice:
    """Issue an invoice with a gapless yearly number. Caller holds the order's lock."""
    from orders.notify import client_notify
    from orders.services import event_record, next_number

    if amount <= 0:
        raise PaymentError(errors={"amount": [str(AMOUNT_NOT_POSITIVE)]})
    year, seq = next_number("invoice")
    invoice = Invoice.objects.create(
        number=f"INV-{year}-{seq:05d}",
        order=order,
        kind=kind,
        amount=amount,
        currency=order.currency,
        lines=invoice_lines_snapshot(order),
        order_total=order.total_amount,
        paid_before=order.paid_amount,
        due_date=timezone.localdate() + dt.timedelta(days=INVOICE_DUE_DAYS),
    )
    event_record(
        order=order,
        kind=EventKind.INVOICE,
        actor=actor,
        text=_("Invoice %(number)s issued for %(amount)s")
        % {"number": invoice.number, "amount": money(amount)},
        invoice_id=invoice.pk,
    )
    client_notify(order=order, kind="invoice_issued", actor=actor, invoice_id=invoice.pk)
    return invoice


def invoice_refresh(invoice: Invoice) -> Invoice:
    invoice.paid_amount = invoice.payments.aggregate(s=Sum("amount"))["s"] or ZERO
    if invoice.status != InvoiceStatus.VOID:
        if invoice.paid_amount >= invoice.amount:
            invoice.status = InvoiceStatus.PAID
            invoice.paid_at = invoice.paid_at or timezone.now()
        elif invoice.paid_amount > 0:
            invoice.status = InvoiceStatus.PARTIALLY_PAID
            invoice.paid_at = None
        else:
            invoice.status = InvoiceStatus.ISSUED
            invoice.paid_at = None
    invoice.overpaid = invoice.paid_amount > invoice.amount
    invoice.save(update_fields=["paid_amount", "status", "paid_at", "overpaid"])
    return invoice


def invoice_void_unpaid(*, order: Order, actor: User | None) -> None:
    """Void the order's invoices that received nothing (order cancelled)."""
    from orders.services import event_record

    for invoice in order.invoices.select_for_update().filter(status__in=UNPAID_STATUSES):
        if invoice.paid_amount > 0:
            continue
        invoice.status = InvoiceStatus.VOID
        invoice.voided_at = timezone.now()
        invoice.save(update_fields=["status", "voided_at"])
        event_record(
            order=order,
            kind=EventKind.INVOICE,
            actor=actor,
            text=_("Invoice %(number)s voided") % {"number": invoice.number},
            invoice_id=invoice.pk,
        )


def payment_register(
    *,
    invoice: Invoice,
    amount: Decimal,
    source: str,
    actor: User | None = None,
    external_id: str = "",
    paid_at: dt.datetime | None = None,
    reference: str = "",
    currency: str | None = None,
) -> tuple[Payment, bool]:
    """Record money received against an invoice; returns (payment, created).

    The same (source, external_id) again returns the first payment and changes nothing.
    The order row is locked first, so concurrent reports of one transaction serialize and
    the second finds the first one's row."""
    from orders.notify import client_notify
    from orders.services import event_record, lock_order, order_after_payment

    if amount is None or amount <= 0:
        raise PaymentError(errors={"amount": [str(AMOUNT_NOT_POSITIVE)]})
    with transaction.atomic():
        order = lock_order(invoice.order_id)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if external_id:
            existing = Payment.objects.filter(source=source, external_id=external_id).first()
            if existing is not None:
                return existing, False
        if invoice.status == InvoiceStatus.VOID:
            raise PaymentError(str(INVOICE_VOID) % {"number": invoice.number})
        if currency and currency != invoice.currency:
            raise PaymentError(
                str(CURRENCY_MISMATCH)
                % {"number": invoice.number, "expected": invoice.currency, "given": currency}
            )
        payment = Payment.objects.create(
            invoice=invoice,
            order=order,
            amount=amount,
            currency=invoice.currency,
            source=source,
            external_id=external_id,
            paid_at=paid_at or timezone.now(),
            reference=reference,
            recorded_by=actor,
            is_overpayment=invoice.paid_amount >= invoice.amount,
        )
        invoice_refresh(invoice)
        event_record(
            order=order,
            kind=EventKind.PAYMENT,
            actor=actor,
            text=_("Payment of %(amount)s received for invoice %(number)s (%(source)s)")
            % {
                "amount": money(amount),
                "number": invoice.number,
                "source": payment.get_source_display(),
            },
            payment_id=payment.pk,
            overpayment=invoice.overpaid,
        )
        client_notify(order=order, kind="payment_received", actor=actor, payment_id=payment.pk)
        order_after_payment(order=order, actor=actor)
    return payment, True


def payment_reverse(*, payment: Payment, actor: User, reason: str) -> Payment:
    """Undo a payment with a new, negative entry; the original stays as it was."""
    from orders.services import event_record, lock_order, order_recalculate

    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(errors={"reason": [str(REASON_MISSING)]})
    with transaction.atomic():
        order = lock_order(payment.order_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.reversal_of_id is not None or payment.amount < 0:
            raise PaymentError(str(NOT_REVERSIBLE))
        if Payment.objects.filter(reversal_of=payment).exists():
            raise PaymentError(str(ALREADY_REVERSED))
        reversal = Payment.objects.create(
            invoice_id=payment.invoice_id,
            order_id=payment.order_id,
            amount=-payment.amount,
            currency=payment.currency,
            source=PaymentSource.MANUAL,
            recorded_by=actor,
            reversal_of=payment,
            reason=reason,
        )
        invoice_refresh(Invoice.objects.select_for_update().get(pk=payment.invoice_id))
        event_record(
            order=order,
            kind=EventKind.PAYMENT,
            actor=actor,
            text=_("Payment of %(amount)s reversed: %(reason)s")
            % {"amount": money(payment.amount), "reason": reason},
            payment_id=reversal.pk,
        )
        order_recalculate(order)
    return reversal


def manual_invoice_issue(*, order: Order, amount: Decimal, actor: User) -> Invoice:
    from orders.services import lock_order

    with transaction.atomic():
        order = lock_order(order)
        return invoice_issue(order=order, kind=InvoiceKind.MANUAL, amount=amount, actor=actor)
