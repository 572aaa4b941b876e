"""CloudPayments notifications: verified, stored raw, then applied once per transaction.

Answers follow CloudPayments' rules: Check answers 0 (accept), 10 (unknown invoice),
11 (wrong account), 12 (wrong amount or currency), 13 (cannot be accepted now), 20
(expired); every other notification answers 0 once it is stored and dealt with, so that
CloudPayments stops repeating it (a problem we cannot resolve becomes a
ReconciliationIssue for the accountants instead)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop

from invoices.models import (
    InvoiceStatus,
    IssueKind,
    Payment,
    PaymentSource,
    ProviderEvent,
    ProviderEventKind,
)
from invoices.reconcile import transaction_apply
from invoices.services import PaymentError, payment_refund
from invoices.tasks import payment_followup as payment_followup_task
from orders.models import EventKind
from orders.queue import enqueue_after_commit, publish
from orders.texts import Msg

logger = logging.getLogger(__name__)

CODE_OK = 0
CODE_UNKNOWN_INVOICE = 10
CODE_WRONG_ACCOUNT = 11
CODE_WRONG_AMOUNT = 12
CODE_REJECTED = 13
CODE_EXPIRED = 20


def signature_valid(body: bytes, headers: dict[str, str]) -> bool:
    """Content-HMAC / X-Content-HMAC: base64 HMAC-SHA256 of the body with the API secret.
    X-Content-HMAC is over the body as sent; Content-HMAC may be over its URL-decoded form,
    so both are accepted. Compared in constant time."""
    secret = settings.CLOUDPAYMENTS_API_SECRET
    if not secret:
        return False
    given = [headers.get("X-Content-HMAC", ""), headers.get("Content-HMAC", "")]
    given = [value.strip() for value in given if value and value.strip()]
    if not given:
        return False
    candidates = [body]
    try:
        decoded = unquote_plus(body.decode("utf-8")).encode("utf-8")
        if decoded != body:
            candidates.append(decoded)
    except UnicodeDecodeError:
        pass
    ok = False
    for payload in candidates:
        expected = base64.b64encode(
            hmac.new(secret.encode(), payload, hashlib.sha256).digest()
        ).decode()
        for value in given:
            ok |= hmac.compare_digest(expected.encode(), value.encode())
    return ok


class BadNotification(ValueError):
    pass


@dataclass
class Notification:
    transaction_id: str
    amount: Decimal
    currency: str
    invoice_number: str
    account_id: str
    status: str
    test_mode: bool
    paid_at: dt.datetime | None
    payment_transaction_id: str
    reason: str
    raw: dict[str, Any]


def parse(body: bytes, content_type: str) -> Notification:
    """Form-encoded or JSON, UTF-8, as CloudPayments sends them."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadNotification("the body is not UTF-8") from exc
    if "json" in content_type:
        try:
            data = json.loads(text, parse_float=Decimal) if text else {}
        except ValueError as exc:
            raise BadNotification("the body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise BadNotification("the body is not a JSON object")
    else:
        data = dict(QueryDict(text, encoding="utf-8").items())
    transaction_id = str(data.get("TransactionId") or "").strip()
    if not transaction_id:
        raise BadNotification("TransactionId is missing")
    try:
        amount = Decimal(str(data.get("Amount", "")).strip().replace(",", "."))
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError) as exc:
        raise BadNotification(f"Amount {data.get('Amount')!r} is not a number") from exc
    raw_test = str(data.get("TestMode", "0")).strip().lower()
    raw_date = str(data.get("DateTime") or "").strip()
    paid_at = parse_datetime(raw_date.replace(" ", "T")) if raw_date else None
    if paid_at is not None and timezone.is_naive(paid_at):
        # CloudPayments sends DateTime in UTC.
        paid_at = timezone.make_aware(paid_at, dt.UTC)
    return Notification(
        transaction_id=transaction_id,
        amount=amount,
        currency=str(data.get("Currency") or "").strip().upper(),
        invoice_number=str(data.get("InvoiceId") or "").strip(),
        account_id=str(data.get("AccountId") or "").strip(),
        status=str(data.get("Status") or "").strip(),
        test_mode=raw_test in ("1", "true"),
        paid_at=paid_at,
        payment_transaction_id=str(data.get("PaymentTransactionId") or "").strip(),
        reason=str(data.get("Reason") or "").strip(),
        raw=data,
    )


def event_store(
    *,
    kind: str,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    remote_addr: str,
    signature_ok: bool,
) -> ProviderEvent:
    """Stored in its own transaction, before anything is acted on."""
    return ProviderEvent.objects.create(
        kind=kind,
        body=body.decode("utf-8", errors="replace"),
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
    from invoices.models import Invoice

    invoice = Invoice.objects.select_related("order").filter(number=note.invoice_number).first()
    if invoice is None:
        return CODE_UNKNOWN_INVOICE, "unknown invoice"
    if note.account_id and note.account_id != invoice.order.number:
        return CODE_WRONG_ACCOUNT, f"account {note.account_id} is not {invoice.order.number}"
    if note.test_mode and not settings.CLOUDPAYMENTS_TEST_MODE:
        return CODE_REJECTED, "test payment while test mode is off"
    if invoice.status == InvoiceStatus.VOID:
        return CODE_REJECTED, "invoice is void"
    if invoice.status == InvoiceStatus.PAID:
        return CODE_REJECTED, "invoice is already paid"
    if invoice.expires_at is not None and invoice.expires_at <= timezone.now():
        return CODE_EXPIRED, "invoice expired"
    if note.currency != invoice.currency:
        return CODE_WRONG_AMOUNT, f"currency {note.currency} is not {invoice.currency}"
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
            defer_effects=True,
        )
        if result.payment is not None:
            event.payment = result.payment
            event.order_id = result.payment.order_id
        if result.created:
            # The outbox row: written with the payment, cleared by payment_followup.
            event.followup_pending = True
            enqueue_after_commit(payment_followup_task, event.pk)
        return CODE_OK, result.outcome
    if kind in (ProviderEventKind.REFUND, ProviderEventKind.CANCEL):
        return CODE_OK, _refund(event, note)
    return CODE_OK, "ignored"


def _record_failure(note: Notification) -> str:
    """A failed attempt changes no money; the manager sees it in the timeline."""
    from invoices.models import Invoice
    from orders.services import event_record

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
    from invoices.reconcile import issue_record

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
        issue_record(
            kind=IssueKind.REFUND_EXCEEDS,
            transaction_id=note.transaction_id,
            invoice_number=note.invoice_number,
            invoice=original.invoice,
            amount=amount,
            currency=note.currency or original.currency,
            details=f"refund of transaction {original_id}: {exc.message}",
            found_by="notification",
        )
        return f"refund not applied: {exc.message}; flagged"
    event.payment = refund
    event.order_id = refund.order_id
    return "refund recorded" if created else "refund already recorded"


def notification_handle(event: ProviderEvent, note: Notification) -> int:
    """Process and record the outcome in one transaction. Nothing here waits for the
    broker: the follow-up is queued after commit, and the sweep re-queues it if the
    broker was down."""
    with transaction.atomic():
        code, outcome = notification_process(event, note)
        event_finish(
            event,
            code=code,
            outcome=outcome,
            transaction_id=note.transaction_id[:64],
            invoice_number=note.invoice_number[:64],
        )
    return code


def notification_apply_stored(*, event_id: int) -> int | None:
    """Apply a stored notification that has not been applied yet (the queued path)."""
    with transaction.atomic():
        event = (
            ProviderEvent.objects.select_for_update()
            .filter(pk=event_id, signature_ok=True, processed_at__isnull=True)
            .first()
        )
        if event is None:
            return None
        try:
            note = parse(event.body.encode("utf-8"), event.content_type)
        except BadNotification as exc:
            event_finish(event, code=-1, outcome=f"unreadable: {exc}")
            return None
        return notification_handle(event, note)


def notification_queue(event: ProviderEvent) -> bool:
    """Queue a stored notification for a worker; False when the broker cannot take it.
    The event row is already committed (stored in autocommit before anything else)."""
    from invoices.tasks import notification_apply

    # The broker is down: the caller applies it in the request.
    return publish(notification_apply, event.pk)
