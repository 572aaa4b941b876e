"""CloudPayments notifications: verified, stored raw, then applied once per transaction.

Answers follow CloudPayments' rules: Check answers 0 (accept), 10 (unknown invoice),
11 (wrong account), 12 (wrong amount or currency), 13 (cannot be accepted now), 20
(expired); every other notification answers 0 once it is stored and dealt with, so that
CloudPayments stops repeating it (a problem we cannot resolve becomes a
ReconciliationIssue for the accountants instead).

How a request is bounded, screened and parsed before any of this: invoices/webhook_input.py."""

from __future__ import annotations

import hashlib
import logging
from functools import partial

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.texts import Msg
from invoices.issues import issue_record
from invoices.models import (
    ZERO,
    Invoice,
    InvoiceStatus,
    IssueKind,
    Payment,
    PaymentSource,
    ProviderEvent,
    ProviderEventKind,
)
from invoices.payments import PaymentError, payment_refund
from invoices.reconcile import account_matches, transaction_apply
from invoices.webhook_input import MAX_BODY, BadNotification, Notification
from orders.models import EventKind
from orders.services.common import event_record

logger = logging.getLogger(__name__)

CODE_OK = 0
CODE_UNKNOWN_INVOICE = 10
CODE_WRONG_ACCOUNT = 11
CODE_WRONG_AMOUNT = 12
CODE_REJECTED = 13
CODE_EXPIRED = 20


def event_store(
    *,
    kind: str,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    remote_addr: str,
    signature_ok: bool,
    limit: int = MAX_BODY,
) -> ProviderEvent:
    """Stored in its own transaction, before anything is acted on; `limit`: how much of
    the body is kept (all of a notification we act on, the start of anything else)."""
    return ProviderEvent.objects.create(
        kind=kind,
        body=body[:limit].decode("utf-8", errors="replace"),
        content_type=content_type[:100],
        signature=(headers.get("X-Content-HMAC") or headers.get("Content-HMAC") or "")[:200],
        remote_addr=remote_addr or None,
        signature_ok=signature_ok,
    )


def event_finish(event: ProviderEvent, *, code: int, outcome: str, **fields: object) -> None:
    event.result_code = code
    event.outcome = outcome[:300]
    event.processed_at = timezone.now()
    for name, value in fields.items():
        setattr(event, name, value)
    event.save(
        update_fields=[
            "result_code",
            "outcome",
            "processed_at",
            "payment",
            "order",
            "followup_pending",
            *fields,
        ]
    )


def _check(note: Notification) -> tuple[int, str]:

    invoice = Invoice.objects.select_related("order").filter(number=note.invoice_number).first()
    if invoice is None:
        return CODE_UNKNOWN_INVOICE, "unknown invoice"

    def refuse(code: int, kind: str, details: str) -> tuple[int, str]:
        # Not a client's slip: the widget sends our own account and a positive amount in
        # the invoice's currency. The accountants hear of it; nothing was charged.
        issue_record(
            kind=kind,
            transaction_id=note.transaction_id,
            invoice_number=note.invoice_number,
            invoice=invoice,
            amount=note.amount,
            currency=note.currency,
            details=f"Check refused with code {code}: {details}; nothing was charged",
            found_by="check",
        )
        return code, details

    if not account_matches(note.account_id, invoice):
        return refuse(
            CODE_WRONG_ACCOUNT,
            IssueKind.ACCOUNT_MISMATCH,
            f"account {note.account_id} is not {invoice.order.number}",
        )
    if note.amount <= 0:
        return refuse(
            CODE_WRONG_AMOUNT, IssueKind.AMOUNT_NOT_POSITIVE, f"amount {note.amount} is not money"
        )
    if note.currency != invoice.currency:
        return refuse(
            CODE_WRONG_AMOUNT,
            IssueKind.CURRENCY_MISMATCH,
            f"currency {note.currency} is not {invoice.currency}",
        )
    if note.test_mode and not settings.CLOUDPAYMENTS_TEST_MODE:
        return CODE_REJECTED, "test payment while test mode is off"
    if invoice.status == InvoiceStatus.VOID:
        return CODE_REJECTED, "invoice is void"
    if invoice.status == InvoiceStatus.PAID:
        return CODE_REJECTED, "invoice is already paid"
    if invoice.expires_at is not None and invoice.expires_at <= timezone.now():
        return CODE_EXPIRED, "invoice expired"
    if note.amount != invoice.balance:
        return CODE_WRONG_AMOUNT, f"amount {note.amount} is not the balance {invoice.balance}"
    return CODE_OK, "accepted"


def notification_process(event: ProviderEvent, note: Notification) -> tuple[int, str]:
    """Apply a verified notification; returns (code, outcome). Runs in one transaction."""
    kind = event.kind
    if kind == ProviderEventKind.CHECK:
        return _check(note)
    if note.test_mode and not settings.CLOUDPAYMENTS_TEST_MODE:
        logger.warning("test-mode %s notification %s ignored", kind, note.transaction_id)
        return CODE_OK, "test payment ignored: test mode is off"
    if kind == ProviderEventKind.FAIL:
        return CODE_OK, _record_failure(note)
    if kind in (ProviderEventKind.PAY, ProviderEventKind.CONFIRM):
        if kind == ProviderEventKind.PAY and note.status == "Authorized":
            return CODE_OK, "authorized; waiting for Confirm"
        result = transaction_apply(
            transaction_id=note.transaction_id,
            invoice_number=note.invoice_number,
            amount=note.amount,
            currency=note.currency,
            paid_at=note.paid_at,
            found_by="notification",
            account_id=note.account_id,
            effects=None,  # deferred: pipeline.payments.payment_followup, from the outbox row
        )
        if result.payment is not None:
            event.payment = result.payment
            event.order_id = result.payment.order_id
        if result.created:
            # The outbox row: written with the payment, cleared by the follow-up
            # (pipeline.payments.payment_followup), which the caller queues.
            event.followup_pending = True
        return CODE_OK, result.outcome
    if kind in (ProviderEventKind.REFUND, ProviderEventKind.CANCEL):
        return CODE_OK, _refund(event, note)
    return CODE_OK, "ignored"


def _record_failure(note: Notification) -> str:
    """A failed attempt changes no money; the manager sees it in the timeline."""

    invoice = Invoice.objects.filter(number=note.invoice_number).first()
    if invoice is None:
        return "failed attempt for an unknown invoice"
    event_record(
        order=invoice.order,
        kind=EventKind.PAYMENT,
        text=Msg(
            gettext_noop("Card payment for invoice %(number)s failed: %(reason)s"),
            number=invoice.number,
            reason=note.reason or "—",
        ),
        invoice_id=invoice.pk,
        transaction_id=note.transaction_id,
    )
    return f"failed attempt recorded ({note.reason or 'no reason'})"


def _refund(event: ProviderEvent, note: Notification) -> str:
    original_id = note.payment_transaction_id or note.transaction_id
    original = Payment.objects.filter(
        source=PaymentSource.CLOUDPAYMENTS, external_id=original_id, amount__gt=0
    ).first()
    if original is None:
        if event.kind == ProviderEventKind.CANCEL:
            return "nothing was recorded for this transaction"
        issue_record(
            kind=IssueKind.REFUND_UNMATCHED,
            transaction_id=note.transaction_id,
            invoice_number=note.invoice_number,
            amount=note.amount,
            currency=note.currency,
            details=f"refund of transaction {original_id}, which we never recorded",
            found_by="notification",
        )
        return "refund of an unknown payment: flagged"
    external_id = (
        note.transaction_id if event.kind == ProviderEventKind.REFUND else f"cancel:{original_id}"
    )
    amount = note.amount if event.kind == ProviderEventKind.REFUND else original.amount
    flag = partial(
        issue_record,
        transaction_id=note.transaction_id,
        invoice_number=note.invoice_number,
        invoice=original.invoice,
        amount=amount,
        currency=note.currency or original.currency,
        found_by="notification",
    )
    if amount <= 0:
        flag(
            kind=IssueKind.AMOUNT_NOT_POSITIVE,
            details=f"refund of {amount} for transaction {original_id}: not money given back",
        )
        return f"refund of {amount} not applied; flagged"
    try:
        refund, created = payment_refund(
            payment=original,
            amount=amount,
            source=PaymentSource.CLOUDPAYMENTS,
            external_id=external_id,
            reason=f"CloudPayments {event.kind}",
            refunded_at=note.paid_at,
        )
    except PaymentError as exc:
        # The money has left already: our books disagree with CloudPayments'.
        flag(
            kind=IssueKind.REFUND_EXCEEDS,
            details=f"refund of transaction {original_id}: {exc.message}",
        )
        return f"refund not applied: {exc.message}; flagged"
    event.payment = refund
    event.order_id = refund.order_id
    return "refund recorded" if created else "refund already recorded"


def notification_refuse(event: ProviderEvent, exc: BadNotification, body: bytes) -> int:
    """A signed notification we cannot read: kept (truncated) for the record, never
    queued. One that may carry money is an issue for the accountants (reconciliation
    with CloudPayments' API books the transaction if it was real)."""
    code = CODE_REJECTED if event.kind == ProviderEventKind.CHECK else CODE_OK
    if event.kind in (
        ProviderEventKind.PAY,
        ProviderEventKind.CONFIRM,
        ProviderEventKind.REFUND,
        ProviderEventKind.CANCEL,
    ):
        issue_record(
            kind=IssueKind.UNREADABLE,
            transaction_id=exc.transaction_id or f"body:{hashlib.sha256(body).hexdigest()[:40]}",
            amount=ZERO,
            currency="",
            details=f"{event.get_kind_display()} notification {event.pk}: {exc}",
            found_by="notification",
        )
    event_finish(
        event,
        code=code,
        outcome=f"unreadable: {exc}",
        transaction_id=exc.transaction_id,
    )
    return code
