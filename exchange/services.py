"""The exchange's writes: sessions, the orders sent and confirmed, 1C's uploads and their
import, and the log of every call."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from hashlib import sha256

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy

from exchange.commerceml import orders_document
from exchange.models import (
    Direction,
    ExchangeLog,
    ExchangeSession,
    ExchangeUpload,
    ExchangeWatermark,
)
from exchange.upload import Document1C, Payment1C, Shipment1C, UploadRefused, upload_read
from invoices.models import UNPAID_STATUSES, Invoice, Payment, PaymentSource
from orders.models import OPEN_TASK_STATUSES, ApiKey, ApiScope, Order, Stage, TaskKind
from orders.rules import OrderError
from orders.services.api_keys import api_key_authenticate
from orders.services.common import lock_order
from pipeline.payments import payment_register
from pipeline.work import task_complete

# An order saved in a transaction that commits after a query may carry an earlier
# updated_at than the query's moment: the watermark stays this far behind, and the orders
# already sent inside that window are remembered by version instead.
LAG = dt.timedelta(minutes=2)
LOG_DOCUMENT_CHARS = 20_000
# 1C calls every few minutes, six calls an exchange: the log keeps a quarter's worth.
LOG_KEEP = dt.timedelta(days=90)

KEY_REFUSED = gettext_lazy("Wrong login or password: the password is an API key of Conveyor.")
SCOPE_MISSING = gettext_lazy(
    "This API key may not exchange with 1C: it needs the “exchange” scope."
)
FILE_TOO_LARGE = gettext_lazy("The file is larger than %(n)s bytes.")
FILE_NAME_INVALID = gettext_lazy("Invalid file name.")
FILE_UNKNOWN = gettext_lazy("No file %(name)s was uploaded in this exchange.")
UNKNOWN_ORDER = gettext_lazy("Document %(document)s: no such order here, skipped.")
DELETED_ORDER = gettext_lazy("Document %(document)s: marked deleted in 1C, skipped.")
NO_INVOICE = gettext_lazy(
    "Order %(number)s: no unpaid invoice for payment %(payment)s, nothing recorded."
)
NOT_IN_DELIVERY = gettext_lazy(
    "Order %(number)s is in “%(stage)s”, not in delivery: its shipment was not recorded."
)
REFUSED_FOR_ORDER = gettext_lazy("Order %(number)s: %(reason)s")

_FILE_NAME = re.compile(r"[\w .()\-]+(/[\w .()\-]+)*")


# ----------------------------------------------------------------------------- settings


def exchange_encoding() -> str:
    return settings.EXCHANGE_1C_ENCODING


def exchange_file_limit() -> int:
    """The chunk 1C may send in one request: never more than a request body may be."""
    body_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return min(settings.EXCHANGE_1C_FILE_LIMIT, body_limit or settings.EXCHANGE_1C_FILE_LIMIT)


def exchange_zip() -> bool:
    return settings.EXCHANGE_1C_ZIP


def exchange_max_file() -> int:
    return settings.EXCHANGE_1C_MAX_FILE


def _batch() -> int:
    return settings.EXCHANGE_1C_BATCH


def _session_age() -> dt.timedelta:
    return dt.timedelta(minutes=settings.EXCHANGE_1C_SESSION_MINUTES)


# ----------------------------------------------------------------------------- sessions


class ExchangeRefused(Exception):
    """The call refused; the message is what 1C shows its user."""


def session_start(*, password: str) -> tuple[ExchangeSession, str]:
    """checkauth: the password is an API key with the `exchange` scope. Returns the session
    and the cookie's value, given once (only its hash is kept)."""
    key = api_key_authenticate(password.strip())  # refuses a NUL before any lookup
    if key is None:
        raise ExchangeRefused(str(KEY_REFUSED))
    if not key.allows(ApiScope.EXCHANGE):
        raise ExchangeRefused(str(SCOPE_MISSING))
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    # Housekeeping at each sign-in (an indexed delete, usually of nothing): sessions past
    # their time with the files never imported, and the log past LOG_KEEP.
    ExchangeSession.objects.filter(key=key, expires_at__lt=now).delete()
    ExchangeLog.objects.filter(created_at__lt=now - LOG_KEEP).delete()
    session = ExchangeSession.objects.create(
        key=key,
        token_hash=sha256(token.encode()).hexdigest(),
        created_at=now,
        expires_at=now + _session_age(),
    )
    return session, token


def session_find(token: str) -> ExchangeSession | None:
    """The live session of a cookie whose key is neither revoked nor stripped of its scope."""
    if not token or len(token) > 100:
        return None
    session = (
        ExchangeSession.objects.select_related("key")
        .filter(token_hash=sha256(token.encode()).hexdigest(), expires_at__gt=timezone.now())
        .first()
    )
    if session is None or session.key.revoked_at is not None:
        return None
    return session if session.key.allows(ApiScope.EXCHANGE) else None


# ----------------------------------------------------------------------------- to 1C


def _version(order: Order) -> str:
    return order.updated_at.isoformat()


def orders_query(*, key: ApiKey) -> tuple[bytes, int]:
    """The orders changed since the exchange 1C last confirmed, oldest change first, at
    most a batch; the document and how many orders it holds. Until 1C confirms (success),
    the next query sends them again."""
    with transaction.atomic():
        mark, _created = ExchangeWatermark.objects.select_for_update().get_or_create(key=key)
        now = timezone.now()
        seen: dict[str, str] = dict(mark.confirmed_versions)
        candidates = Order.objects.order_by("updated_at", "id")
        if mark.confirmed_at is not None:
            candidates = candidates.filter(updated_at__gt=mark.confirmed_at)
        # The remembered versions are the only ones skipped, so this many more suffice.
        rows = list(candidates[: _batch() + len(seen)])
        sent = [order for order in rows if seen.get(str(order.pk)) != _version(order)][: _batch()]
        base = now - LAG
        if len(sent) == _batch():  # more wait: this batch ends just before the last change
            base = min(base, sent[-1].updated_at - dt.timedelta(microseconds=1))
        if mark.confirmed_at is not None:
            base = max(base, mark.confirmed_at)
        versions = {pk: v for pk, v in seen.items() if (parse_datetime(v) or base) > base}
        versions.update({str(o.pk): _version(o) for o in sent if o.updated_at > base})
        mark.pending_at, mark.pending_versions = base, versions
        mark.pending_count, mark.queried_at = len(sent), now
        mark.save()
        orders = (
            Order.objects.filter(pk__in=[o.pk for o in sent])
            .order_by("updated_at", "id")
            .select_related("customer")
            .prefetch_related("lines", "payments")
        )
        return orders_document(orders, encoding=exchange_encoding()), len(sent)


def orders_confirm(*, key: ApiKey) -> int | None:
    """success: what the last query sent has reached 1C; the watermark moves on. Returns
    how many orders it held, or None when no query waited for confirmation."""
    with transaction.atomic():
        mark = ExchangeWatermark.objects.select_for_update().filter(key=key).first()
        if mark is None or mark.pending_at is None:
            return None
        count = mark.pending_count
        mark.confirmed_at, mark.confirmed_versions = mark.pending_at, mark.pending_versions
        mark.pending_at, mark.pending_versions, mark.pending_count = None, {}, 0
        mark.success_at = timezone.now()
        mark.save()
    return count


# ----------------------------------------------------------------------------- from 1C


def file_name_clean(name: str) -> str:
    name = (name or "").strip().replace("\\", "/")
    if not name or len(name) > 200 or ".." in name or not _FILE_NAME.fullmatch(name):
        raise UploadRefused(str(FILE_NAME_INVALID))
    return name


def upload_append(*, session: ExchangeSession, filename: str, chunk: bytes) -> int:
    """A chunk of 1C's file, appended to what came before; returns the size so far."""
    filename = file_name_clean(filename)
    with transaction.atomic():
        upload, _created = ExchangeUpload.objects.select_for_update().get_or_create(
            session=session, filename=filename
        )
        size = upload.size + len(chunk)
        if size > exchange_max_file():
            raise UploadRefused(str(FILE_TOO_LARGE) % {"n": exchange_max_file()})
        upload.content = bytes(upload.content) + chunk
        upload.size = size
        upload.save(update_fields=["content", "size", "updated_at"])
    return size


@dataclass
class ImportResult:
    documents: int = 0
    payments: int = 0
    repeated: int = 0
    shipments: int = 0
    skipped: int = 0
    size: int = 0
    notes: list[str] = field(default_factory=list)


def upload_import(*, session: ExchangeSession, filename: str) -> ImportResult:
    """Apply 1C's file: every payment and shipment in it, in one transaction, or nothing
    (UploadRefused with the reason). Payments are recorded once per 1C payment document
    and order, so the same file again records nothing twice."""
    filename = file_name_clean(filename)
    upload = ExchangeUpload.objects.filter(session=session, filename=filename).first()
    if upload is None and filename.lower().endswith(".xml"):
        # With zip=yes 1C uploads an archive and names the XML file inside it.
        upload = ExchangeUpload.objects.filter(session=session, filename__iendswith=".zip").first()
    if upload is None:
        raise UploadRefused(str(FILE_UNKNOWN) % {"name": filename})
    raw = bytes(upload.content)
    upload.delete()
    documents = upload_read(raw, default_encoding=exchange_encoding(), max_size=exchange_max_file())
    result = ImportResult(documents=len(documents), size=len(raw))
    found = [(order, doc) for doc in documents if (order := _order_of(doc, result)) is not None]
    with transaction.atomic():
        # Orders are locked in one order (their ids) whatever the file's: two imports at
        # once wait for each other instead of deadlocking.
        for order, document in sorted(found, key=lambda pair: pair[0].pk):
            _document_apply(order, document, result)
    return result


def _order_of(document: Document1C, result: ImportResult) -> Order | None:
    """The order a document of 1C's speaks of, or None (noted) for one to skip."""
    name = document.ident or document.number or "?"
    # <Ид> is the number we sent; 1C's own <Номер> only when no order has that.
    found = None
    for number in filter(None, (document.ident, document.number)):
        if (found := Order.objects.filter(number=number).first()) is not None:
            break
    if found is None:
        result.skipped += 1
        result.notes.append(str(UNKNOWN_ORDER) % {"document": name})
        return None
    if document.deleted:
        result.skipped += 1
        result.notes.append(str(DELETED_ORDER) % {"document": name})
        return None
    return found


def _document_apply(order: Order, document: Document1C, result: ImportResult) -> None:
    # The same file imported twice at once: the second waits here, then finds the payment
    # booked and the order shipped, instead of tripping over the first one's changes.
    order = lock_order(order.pk)
    try:
        if document.payment is not None:
            _payment_apply(order, document.payment, result)
        if document.shipment is not None:
            _shipment_apply(order, document.shipment, result)
    except OrderError as exc:
        raise UploadRefused(
            str(REFUSED_FOR_ORDER) % {"number": order.number, "reason": exc.message}
        ) from exc


def _payment_apply(order: Order, payment: Payment1C, result: ImportResult) -> None:
    # One bank payment may settle several orders: the order is part of the key. The date is
    # not: an accountant correcting it in 1C must not book the same payment again.
    external_id = f"{order.number}/{payment.number}"
    if Payment.objects.filter(source=PaymentSource.EXCHANGE_1C, external_id=external_id).exists():
        result.repeated += 1
        return
    invoice = (
        Invoice.objects.filter(order=order, status__in=UNPAID_STATUSES)
        .order_by("issued_at", "id")
        .first()
    )
    # 1C's payment document as an accountant names it, whatever language the reader has.
    reference = f"№ {payment.number} от {payment.paid_on:%d.%m.%Y}"
    if invoice is None:
        result.notes.append(str(NO_INVOICE) % {"number": order.number, "payment": reference})
        return
    paid_at = timezone.make_aware(dt.datetime.combine(payment.paid_on, dt.time.min))
    _payment, created = payment_register(
        invoice=invoice,
        amount=payment.amount or invoice.balance,
        source=PaymentSource.EXCHANGE_1C,
        external_id=external_id,
        reference=reference[:200],
        paid_at=paid_at,
        actor=None,
    )
    # Another import of the same file may have booked it while this one waited for the
    # order's lock: then it is found, not booked again.
    if created:
        result.payments += 1
    else:
        result.repeated += 1


def _shipment_apply(order: Order, shipment: Shipment1C, result: ImportResult) -> None:
    order.refresh_from_db(fields=["stage"])  # a payment above may have moved it
    if order.stage == Stage.WON:
        return  # shipped already: the same file again
    task = order.tasks.filter(kind=TaskKind.DELIVER, status__in=OPEN_TASK_STATUSES).first()
    if order.stage != Stage.DELIVERY or task is None:
        result.notes.append(
            str(NOT_IN_DELIVERY) % {"number": order.number, "stage": Stage(order.stage).label}
        )
        return
    # 1C is no one of staff: as a payment reported by accounting, the delivery task is done
    # by nobody (every step beneath takes None; task_complete's hint names the usual case).
    task_complete(
        task=task,
        actor=None,  # type: ignore[arg-type]
        shipped_on=shipment.shipped_on,
        tracking_number="",
    )
    result.shipments += 1


# ----------------------------------------------------------------------------- the log


def _bounded_text(raw: bytes | str, encoding: str = "utf-8") -> str:
    text = (
        raw
        if isinstance(raw, str)
        else raw[: LOG_DOCUMENT_CHARS * 2].decode(encoding, errors="replace")
    )
    return text[:LOG_DOCUMENT_CHARS].replace("\x00", "\ufffd")


def exchange_log(
    *,
    mode: str,
    ok: bool,
    key: ApiKey | None = None,
    login: str = "",
    direction: str = Direction.NONE,
    filename: str = "",
    document: bytes | str = b"",
    encoding: str = "utf-8",
    errors: str = "",
    remote_addr: str = "",
    result: ImportResult | None = None,
    documents: int = 0,
    size: int = 0,
) -> ExchangeLog:
    """One call of 1C's, with its counts and errors; the document is kept to its first
    LOG_DOCUMENT_CHARS characters."""
    counts = {}
    if result is not None:
        documents, size = result.documents, size or result.size
        counts = {
            "payments": result.payments,
            "repeated": result.repeated,
            "shipments": result.shipments,
            "skipped": result.skipped,
        }
        errors = "\n".join([*result.notes, errors]).strip()
    return ExchangeLog.objects.create(
        key=key,
        login=login[:150].replace("\x00", ""),
        mode=mode,
        direction=direction,
        ok=ok,
        filename=filename[:200].replace("\x00", ""),
        size=size or len(document),
        documents=documents,
        errors=errors.replace("\x00", "\ufffd"),
        document=_bounded_text(document, encoding),
        remote_addr=remote_addr or None,
        **counts,
    )
