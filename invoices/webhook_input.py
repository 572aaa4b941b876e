"""A CloudPayments request as received: bounded, screened for NUL bytes, its signature
verified, and parsed into a Notification (invoices/webhooks.py stores and applies it).

Every body is bounded before any work: at most MAX_BODY bytes, no NUL anywhere, JSON no
deeper than MAX_DEPTH, each field we read within its column. A signed notification that
breaks a bound is answered 400 with the refusal code (13 for Check, 0 for the rest, per
the rules in invoices/webhooks.py), kept as its first STORED_UNSIGNED bytes and never
queued. A request without a valid signature is kept the same way, and an address that
keeps sending them is answered 429 for a while."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.jsonbody import NotJson, TooDeep, json_read
from invoices.payments import AMOUNT_LIMIT, PaymentError, money_date_clean

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
