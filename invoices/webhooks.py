"""CloudPayments notifications: verified, stored raw, then applied once per transaction.

Answers follow CloudPayments' rules: Check answers 0 (accept), 10 (unknown invoice),
11 (wrong account), 12 (wrong amount or currency), 13 (cannot be accepted now), 20
(expired); every other notification answers 0 once it is stored and dealt with, so that
CloudPayments stops repeating it (a problem we cannot resolve becomes a
ReconciliationIssue for the accountants instead).

Every body is bounded before any work: at most MAX_BODY bytes, no NUL anywhere, JSON no
deeper than MAX_DEPTH, each field we read within its column. A signed notification that
breaks a bound is answered 400 with the refusal code (13 for Check, 0 for the rest, per
the rules above), kept as its first STORED_UNSIGNED bytes and never queued. A request
without a valid signature is kept the same way, and an address that keeps sending them is
answered 429 for a while."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop

from core.jsonbody import NotJson, TooDeep, json_read
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
from invoices.payments import AMOUNT_LIMIT, PaymentError, money_date_clean, payment_refund
from invoices.reconcile import account_matches, transaction_apply
from orders.models import EventKind
from orders.services.common import event_record

logger = logging.getLogger(__name__)

CODE_OK = 0
CODE_UNKNOWN_INVOICE = 10
CODE_WRONG_ACCOUNT = 11
CODE_WRONG_AMOUNT = 12
CODE_REJECTED = 13
CODE_EXPIRED = 20

MAX_BODY = 64 * 1024
MAX_DEPTH = 8
STORED_UNSIGNED = 4 * 1024
# Requests without a valid signature, per client address and minute; more get 429.
UNSIGNED_PER_MINUTE = 30
# CloudPayments' ids are Int64: at most 19 digits; 20 leaves room and fits every column.
TRANSACTION_ID = re.compile(r"[0-9]{1,20}")
# The fields we read, bounded to the columns they end up in (ProviderEvent,
# ReconciliationIssue, the timeline).
FIELD_LIMITS = {
    "Amount": 32,
    "Currency": 3,
    "InvoiceId": 64,
    "AccountId": 64,
    "Status": 32,
    "TestMode": 8,
    "DateTime": 40,
    "Reason": 200,
}
NUL_REFUSED = "NUL byte in request"


class BodyTooLarge(ValueError):
    pass


def body_read(request: HttpRequest) -> bytes:
    """The body, refused before it is read when it says it is too large, and read no
    further than the bound when it does not say."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        raise BodyTooLarge
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise BodyTooLarge
    return body


def has_nul(body: bytes, content_type: str, headers: dict[str, str]) -> bool:
    """A NUL byte in the body as sent, in a value it encodes (%00, \\u0000) or in what we
    store from the headers. PostgreSQL cannot store one, and nobody honest sends one."""
    if b"\x00" in body or "\x00" in content_type:
        return True
    if any("\x00" in value for value in headers.values()):
        return True
    try:
        data = fields_decode(body, content_type)
    except BadNotification:
        return False  # unreadable for another reason: the signature or parse decides
    return _nul_inside(data)


def _nul_inside(value: object) -> bool:
    return any(isinstance(item, str) and "\x00" in item for item, _level in _walk(value))


def _walk(value: object):
    """Every key and value with its nesting level, without recursion: a parsed body may
    be nested far deeper than Python's stack (its depth is refused afterwards)."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        yield item, level
        if isinstance(item, dict):
            stack.extend((key, level + 1) for key in item)
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)


def unsigned_allowed(address: str) -> bool:
    """Counts requests without a valid signature per address over a minute. The cache
    failing open: what is stored of each is bounded anyway."""
    key = f"cloudpayments-unsigned:{address}"
    try:
        cache.add(key, 0, 60)
        return cache.incr(key) <= UNSIGNED_PER_MINUTE
    except Exception:
        return True


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
    def __init__(self, message: str, *, transaction_id: str = "") -> None:
        super().__init__(message)
        self.transaction_id = transaction_id


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


def fields_decode(body: bytes, content_type: str) -> dict[str, Any]:
    """Form-encoded or JSON, UTF-8, as CloudPayments sends them."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadNotification("the body is not UTF-8") from exc
    if "json" in content_type:
        try:
            data = json_read(text, max_depth=MAX_DEPTH, constants=True) if text else {}
        except TooDeep as exc:
            raise BadNotification("the body is nested too deeply") from exc
        except NotJson as exc:
            raise BadNotification("the body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise BadNotification("the body is not a JSON object")
        return data
    try:
        return dict(QueryDict(text, encoding="utf-8").items())
    except (SuspiciousOperation, ValueError) as exc:
        raise BadNotification(f"the body is not a form: {exc}") from exc


def parse(body: bytes, content_type: str) -> Notification:
    """The notification's fields, each within its bounds; BadNotification names the first
    field that is not."""
    data = fields_decode(body, content_type)

    def text(name: str, limit: int = 64) -> str:
        value = data.get(name)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise BadNotification(f"{name} is not a single value")
        value = str(value).strip()
        if len(value) > limit:
            raise BadNotification(f"{name} is longer than {limit} characters")
        return value

    raw_id = str(data.get("TransactionId") or "").strip()
    known_id = raw_id if TRANSACTION_ID.fullmatch(raw_id) else ""
    try:
        transaction_id = text("TransactionId", 20)
        if not transaction_id:
            raise BadNotification("TransactionId is missing")
        if not TRANSACTION_ID.fullmatch(transaction_id):
            raise BadNotification("TransactionId is not a number")
        payment_transaction_id = text("PaymentTransactionId", 20)
        if payment_transaction_id and not TRANSACTION_ID.fullmatch(payment_transaction_id):
            raise BadNotification("PaymentTransactionId is not a number")
        amount = _amount(text("Amount", FIELD_LIMITS["Amount"]))
        raw_test = text("TestMode", FIELD_LIMITS["TestMode"]).lower() or "0"
        paid_at = _moment(text("DateTime", FIELD_LIMITS["DateTime"]))
        note = Notification(
            transaction_id=transaction_id,
            amount=amount,
            currency=text("Currency", FIELD_LIMITS["Currency"]).upper(),
            invoice_number=text("InvoiceId", FIELD_LIMITS["InvoiceId"]),
            account_id=text("AccountId", FIELD_LIMITS["AccountId"]),
            status=text("Status", FIELD_LIMITS["Status"]),
            test_mode=raw_test in ("1", "true"),
            paid_at=paid_at,
            payment_transaction_id=payment_transaction_id,
            reason=text("Reason", FIELD_LIMITS["Reason"]),
            raw=data,
        )
    except BadNotification as exc:
        raise BadNotification(str(exc), transaction_id=known_id) from exc
    return note


def _amount(raw: str) -> Decimal:
    """A finite number with at most two decimals that fits Payment.amount. Zero and
    negative amounts are readable: what they mean is decided when they are applied."""
    try:
        amount = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise BadNotification(f"Amount {raw!r} is not a number") from None
    if not amount.is_finite() or abs(amount) >= AMOUNT_LIMIT:
        raise BadNotification(f"Amount {raw!r} is out of range")
    if amount != amount.quantize(Decimal("0.01")):
        raise BadNotification(f"Amount {raw!r} has more than 2 decimals")
    return amount.quantize(Decimal("0.01"))


def _moment(raw: str) -> dt.datetime | None:
    """DateTime, which CloudPayments sends in UTC; a real moment since 2000 and not
    later than tomorrow."""
    if not raw:
        return None
    try:
        moment = parse_datetime(raw.replace(" ", "T"))
    except ValueError:
        moment = None
    if moment is None:
        raise BadNotification(f"DateTime {raw!r} is not a date and time")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    try:
        return money_date_clean(moment)
    except PaymentError as exc:
        raise BadNotification(f"DateTime {raw!r}: {exc.message}") from None


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
