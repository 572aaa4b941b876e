"""Payments: money received, refunded and reversed. A payment is applied once per external
transaction, under the order's row lock; an invoice's paid amount and status follow from
its payments."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from core.money import Amount, money
from core.texts import Msg
from invoices.cloudpayments import CloudPaymentsAPI, CloudPaymentsError
from invoices.issues import issue_record
from invoices.models import (
    MONEY_EPOCH,
    Invoice,
    InvoiceStatus,
    IssueKind,
    Payment,
    PaymentSource,
)
from invoices.receipts import receipt_record_with_payment, receipt_return_record
from invoices.tasks import receipt_send
from notifications.client import tell_client
from notifications.staff import tell_staff
from orders.models import ZERO, EventKind, Order, Stage
from orders.queue import enqueue_after_commit
from orders.rules import OrderError
from orders.services.common import event_record, lock_order, order_recalculate

logger = logging.getLogger(__name__)

AMOUNT_NOT_POSITIVE = gettext_lazy("The amount must be more than 0.")
INVOICE_VOID = gettext_lazy("Invoice %(number)s is void; it cannot be paid.")
CURRENCY_MISMATCH = gettext_lazy("Invoice %(number)s is in %(expected)s, not %(given)s.")
REASON_MISSING = gettext_lazy("Give the reason for the reversal.")
ALREADY_REVERSED = gettext_lazy("This payment has already been reversed.")
NOT_REVERSIBLE = gettext_lazy("A reversal cannot itself be reversed.")
AMOUNT_TOO_PRECISE = gettext_lazy("The amount has at most 2 decimal places.")
PAID_AT_IN_FUTURE = gettext_lazy("The payment date cannot be in the future.")
AMOUNT_TOO_LARGE = gettext_lazy("The amount is too large.")
PAID_AT_TOO_EARLY = gettext_lazy("The payment date cannot be before 1 January 2000.")
TEST_MODE_REFUSED = gettext_lazy("Test payments are not accepted: test mode is off.")
REFUND_TOO_BIG = gettext_lazy("A refund cannot exceed what is left of the payment (%(left)s).")
NOT_REFUNDABLE = gettext_lazy("Only a received payment can be refunded.")
REFUND_REASON_MISSING = gettext_lazy("Give the reason for the refund.")
CARD_REFUND_NEEDS_CLOUDPAYMENTS = gettext_lazy(
    "A card payment is refunded through CloudPayments, which is not configured."
)
CARD_REFUNDED_NOT_RECORDED = gettext_lazy(
    "CloudPayments refunded it, but it is more than is left of the payment here: "
    "the accountants are told to check."
)
CARD_REFUND_FAILED = gettext_lazy(
    "CloudPayments did not refund it, nothing was recorded: %(error)s"
)


class PaymentEffects(Protocol):
    """What a recorded payment sets off, given by the caller (pipeline.payments)."""

    def __call__(self, *, order: Order, payment: Payment, actor: User | None) -> None: ...


class PaymentError(OrderError):
    pass


# Payment.amount is numeric(14, 2): twelve digits before the point.
AMOUNT_LIMIT = Decimal("1000000000000")


def invoice_refresh(invoice: Invoice, *, added: Decimal | None = None) -> Invoice:
    """Paid amount and status from the payments. `added`: the one payment just written
    under the invoice's lock, so the sum is known without reading every payment again."""
    if added is not None:
        invoice.paid_amount += added
    else:
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


def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    source: str,
    actor: User | None = None,
    external_id: str = "",
    paid_at: dt.datetime | None = None,
    reference: str = "",
    currency: str | None = None,
    test_mode: bool = False,
    effects: PaymentEffects | None,
) -> tuple[Payment, bool]:
    """Record money received against an invoice; returns (payment, created).

    The same (source, external_id) again returns the first payment and changes nothing.
    The order row is locked first, so concurrent reports of one transaction serialize and
    the second finds the first one's row.

    `effects` is what the payment sets off (the pipeline's payment_received: the receipt,
    the stage move), run under the same lock. Without it the money is recorded (payment,
    invoice, order totals) and the effects are the caller's to queue through an outbox row:
    a webhook answers fast and a broker outage loses nothing."""

    amount = _clean_amount(amount)
    paid_at = money_date_clean(paid_at)
    if test_mode and not settings.CLOUDPAYMENTS_TEST_MODE:
        raise PaymentError(str(TEST_MODE_REFUSED))
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
        payment = payment_record_locked(
            order=order,
            invoice=invoice,
            amount=amount,
            source=source,
            actor=actor,
            external_id=external_id,
            paid_at=paid_at,
            reference=reference,
            effects=effects,
        )
    return payment, True


def payment_record_locked(
    *,
    order: Order,
    invoice: Invoice,
    amount: Decimal,
    source: str,
    actor: User | None,
    external_id: str,
    paid_at: dt.datetime | None,
    reference: str,
    effects: PaymentEffects | None,
) -> Payment:
    """The write itself; the caller holds the order's and the invoice's locks and has
    checked the rules (payment_register, or transaction_apply for card payments)."""

    # The callers check these with their own words; here they guard the ledger itself.
    if amount <= 0:
        raise PaymentError(errors={"amount": [str(AMOUNT_NOT_POSITIVE)]})
    if not paid_sum_fits(invoice=invoice, order=order, amount=amount):
        raise PaymentError(errors={"amount": [str(AMOUNT_TOO_LARGE)]})
    paid_at = money_date_clean(paid_at)
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
    invoice_refresh(invoice, added=amount)
    receipt_record_with_payment(order=order, invoice=invoice, payment=payment)
    event_record(
        order=order,
        kind=EventKind.PAYMENT,
        actor=actor,
        text=Msg(
            gettext_noop("Payment of %(amount)s received for invoice %(number)s (%(source)s)"),
            amount=Amount(amount, payment.currency),
            number=invoice.number,
            source=PaymentSource(payment.source),
        ),
        payment_id=payment.pk,
        overpayment=invoice.overpaid,
    )
    if effects is None:
        # Only "paid" changed, by exactly this amount, under the order's lock; the
        # follow-up recomputes everything (order_recalculate) when it moves the order.
        order.paid_amount += amount
        Order.objects.filter(pk=order.pk).update(
            paid_amount=F("paid_amount") + amount, updated_at=timezone.now()
        )
    else:
        effects(order=order, payment=payment, actor=actor)
    return payment


def paid_sum_fits(*, invoice: Invoice, order: Order, amount: Decimal) -> bool:
    """The invoice's and the order's paid sums live in numeric(14, 2) columns too: a
    payment that would outgrow them is refused rather than failing in the database."""
    return max(invoice.paid_amount, order.paid_amount) + amount < AMOUNT_LIMIT


def money_date_clean(moment: dt.datetime | None) -> dt.datetime | None:
    """When money moved: from 1 January 2000 up to a day ahead of now (an accounting
    system a few time zones east may already be in tomorrow). None: now."""
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment < MONEY_EPOCH:
        raise PaymentError(errors={"paid_at": [str(PAID_AT_TOO_EARLY)]})
    if moment > timezone.now() + dt.timedelta(days=1):
        raise PaymentError(errors={"paid_at": [str(PAID_AT_IN_FUTURE)]})
    return moment


def _clean_amount(amount: Decimal | None) -> Decimal:
    try:
        if amount is None or not Decimal(amount).is_finite() or amount <= 0:
            raise PaymentError(errors={"amount": [str(AMOUNT_NOT_POSITIVE)]})
    except (InvalidOperation, TypeError):
        raise PaymentError(errors={"amount": [str(AMOUNT_NOT_POSITIVE)]}) from None
    amount = Decimal(amount)
    if amount >= AMOUNT_LIMIT:
        raise PaymentError(errors={"amount": [str(AMOUNT_TOO_LARGE)]})
    if amount != amount.quantize(Decimal("0.01")):
        raise PaymentError(errors={"amount": [str(AMOUNT_TOO_PRECISE)]})
    return amount.quantize(Decimal("0.01"))


def payment_refundable(payment: Payment) -> Decimal:
    """What can still be given back of a received payment (nothing of a reversed one)."""
    if payment.amount <= 0 or payment.refund_of_id is not None:
        raise PaymentError(str(NOT_REFUNDABLE))
    if Payment.objects.filter(reversal_of=payment).exists():
        return ZERO
    return payment.amount + (payment.refunds.aggregate(s=Sum("amount"))["s"] or ZERO)


def payment_give_back(
    *, payment: Payment, amount: Decimal, actor: User, reason: str, key: str = ""
) -> tuple[Payment, bool]:
    """Money given back from the order page. A card payment goes back to the card through
    CloudPayments and is recorded under the refund's transaction id, which its Refund
    notification repeats (so it counts once); any other payment is recorded as paid back
    by the accountant (a bank transfer). `key` comes with the form: the same form sent
    twice gives one refund."""

    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(errors={"reason": [str(REFUND_REASON_MISSING)]})
    amount = _clean_amount(amount)
    manual_id = f"form:{key}" if key else ""
    if manual_id and payment.source != PaymentSource.CLOUDPAYMENTS:
        existing = Payment.objects.filter(source=PaymentSource.MANUAL, external_id=manual_id)
        if (refund := existing.first()) is not None:  # the same form again
            return refund, False
    left = payment_refundable(payment)
    if amount > left:
        raise PaymentError(
            errors={"amount": [str(REFUND_TOO_BIG) % {"left": money(left, payment.currency)}]}
        )
    by_card = payment.source == PaymentSource.CLOUDPAYMENTS
    source, external_id = PaymentSource.MANUAL, manual_id
    if by_card:
        if not settings.CLOUDPAYMENTS_API_SECRET:
            raise PaymentError(str(CARD_REFUND_NEEDS_CLOUDPAYMENTS))
        # The same refund asked twice (a double click, a resubmitted form) carries the same
        # request id, and CloudPayments answers it with the first refund instead of a
        # second; that refund's id is recorded once.
        request_id = (
            f"conveyor-refund-{payment.pk}-{key}"
            if key
            else f"conveyor-refund-{payment.pk}-{payment.amount - left}-{amount}"
        )
        try:
            refund_id = CloudPaymentsAPI().refund(
                payment.external_id, amount, request_id=request_id
            )
        except CloudPaymentsError as exc:
            logger.warning("card refund of payment %s (%s) failed: %s", payment.pk, amount, exc)
            raise PaymentError(str(CARD_REFUND_FAILED) % {"error": exc}) from exc
        source, external_id = PaymentSource.CLOUDPAYMENTS, refund_id
    try:
        return payment_refund(
            payment=payment,
            amount=amount,
            source=source,
            external_id=external_id,
            actor=actor,
            reason=reason,
        )
    except PaymentError as exc:
        if not by_card:
            raise
        # Refunded meanwhile by someone else: the card has the money back anyway.
        issue_record(
            kind=IssueKind.REFUND_EXCEEDS,
            transaction_id=external_id,
            invoice=payment.invoice,
            invoice_number=payment.invoice.number,
            amount=amount,
            currency=payment.currency,
            details=f"refund of transaction {payment.external_id}: {exc.message}",
            found_by="order page",
        )
        raise PaymentError(str(CARD_REFUNDED_NOT_RECORDED)) from exc


def payment_refund(
    *,
    payment: Payment,
    amount: Decimal,
    source: str,
    external_id: str = "",
    actor: User | None = None,
    reason: str = "",
    refunded_at: dt.datetime | None = None,
) -> tuple[Payment, bool]:
    """Money given back (in full or in part): a negative entry against the invoice; paid
    goes down and the balance opens again. One entry per external refund id. The client
    is told."""

    amount = _clean_amount(amount)
    refunded_at = money_date_clean(refunded_at)
    with transaction.atomic():
        order = lock_order(payment.order_id)
        if external_id:
            existing = Payment.objects.filter(source=source, external_id=external_id).first()
            if existing is not None:
                return existing, False
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        left = payment_refundable(payment)
        if amount > left:
            raise PaymentError(str(REFUND_TOO_BIG) % {"left": money(left, payment.currency)})
        refund = Payment.objects.create(
            invoice_id=payment.invoice_id,
            order_id=payment.order_id,
            amount=-amount,
            currency=payment.currency,
            source=source,
            external_id=external_id,
            paid_at=refunded_at or timezone.now(),
            reference=payment.reference,
            refund_of=payment,
            recorded_by=actor,
            reason=reason,
        )
        invoice = invoice_refresh(Invoice.objects.select_for_update().get(pk=payment.invoice_id))
        receipt = receipt_return_record(refund=refund, order=order, invoice=invoice)
        if receipt is not None:
            enqueue_after_commit(receipt_send, receipt.pk, record=True)
        event_record(
            order=order,
            kind=EventKind.PAYMENT,
            actor=actor,
            text=Msg(
                gettext_noop("Refund of %(amount)s for invoice %(number)s"),
                amount=Amount(amount, refund.currency),
                number=invoice.number,
            ),
            payment_id=refund.pk,
        )
        tell_client(order=order, kind="refund_made", actor=actor, payment_id=refund.pk)
        order_recalculate(order)
        _tell_balance_reopened(order, actor)
    return refund, True


def payment_reverse(*, payment: Payment, actor: User, reason: str) -> Payment:
    """Undo a payment with a new, negative entry; the original stays as it was."""

    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(errors={"reason": [str(REASON_MISSING)]})
    with transaction.atomic():
        order = lock_order(payment.order_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.reversal_of_id is not None or payment.refund_of_id or payment.amount <= 0:
            raise PaymentError(str(NOT_REVERSIBLE))
        # Refunded in part already: a full reversal on top would give money back twice.
        if payment.refunds.exists() or Payment.objects.filter(reversal_of=payment).exists():
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
            text=Msg(
                gettext_noop("Payment of %(amount)s reversed: %(reason)s"),
                amount=Amount(payment.amount, payment.currency),
                reason=reason,
            ),
            payment_id=reversal.pk,
        )
        order_recalculate(order)
        _tell_balance_reopened(order, actor)
    return reversal


def _tell_balance_reopened(order: Order, actor: User | None) -> None:
    """Money taken back from an order that has moved on (production, delivery, won): the
    stage stays where it is, so the manager must hear that the client owes again."""

    if (
        order.balance > 0
        and order.stage not in (Stage.NEW, Stage.QUALIFICATION, Stage.LOST)
        and order.manager_id is not None
        and order.manager_id != getattr(actor, "pk", None)
    ):
        tell_staff(
            user_id=order.manager_id,
            order=order,
            text=Msg(
                gettext_noop(
                    "Order %(number)s (%(stage)s) is owed %(balance)s again: money was taken back"
                ),
                number=order.number,
                stage=Stage(order.stage),
                balance=Amount(order.balance, order.currency),
            ),
        )
