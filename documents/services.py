"""Closing documents: issued once when an order is won (pipeline/flow.py's ON_ENTER), each
with a number from its kind's gapless yearly sequence; regenerated only when someone asks,
keeping its number and date and going up a version."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.texts import Msg
from documents.content import Line, document_content, order_lines
from documents.models import ClosingDocument, DocumentKind
from documents.tasks import closing_document_render
from invoices.models import SellerProfile
from invoices.services import vat_rate_setting
from orders.models import Customer, EventKind, Order, Stage
from orders.queue import enqueue_after_commit
from orders.rules import OrderError
from orders.services.common import event_record, lock_order, next_number

NOT_WON = _("Closing documents are issued for a won order only.")
NONE_ISSUED = _("This order has no closing documents to regenerate.")

ISSUED: dict[str, str] = {
    DocumentKind.UPD: gettext_noop("UPD No. %(number)s issued, status %(status)s"),
    DocumentKind.ACT: gettext_noop("Act No. %(number)s issued"),
    DocumentKind.WAYBILL: gettext_noop("Waybill No. %(number)s issued"),
}
REGENERATED = gettext_noop("Closing documents regenerated (version %(version)s)")


def lines_of(kind: str, lines: list[Line]) -> list[Line]:
    """The rows a document of `kind` shows: everything on a УПД, the goods on a waybill,
    the services (the delivery) on an act."""
    if kind == DocumentKind.WAYBILL:
        return [line for line in lines if not line.is_service]
    if kind == DocumentKind.ACT:
        return [line for line in lines if line.is_service]
    return lines


def documents_for(lines: list[Line]) -> list[tuple[str, list[Line]]]:
    """Which documents the order gets (settings.CLOSING_DOCUMENTS) and the rows of each:
    one УПД, or a waybill and an act, each only when it has rows."""
    if settings.CLOSING_DOCUMENTS != "act_waybill":
        return [(DocumentKind.UPD, lines)]
    kinds = [DocumentKind.WAYBILL, DocumentKind.ACT]
    return [(kind, lines_of(kind, lines)) for kind in kinds if lines_of(kind, lines)]


def upd_status(kind: str, vat_rate: Decimal | None) -> int | None:
    """1: the УПД is also the VAT invoice; 2: only the transfer document (no VAT)."""
    if kind != DocumentKind.UPD:
        return None
    return 1 if vat_rate is not None else 2


def _totals(content: dict[str, Any]) -> tuple[Decimal, Decimal | None]:
    tax = content["totals"]["tax"]
    return Decimal(content["totals"]["gross"]), None if tax is None else Decimal(tax)


def closing_documents_issue(*, order: Order, actor: User | None = None) -> list[ClosingDocument]:
    """The order's closing documents, issued the first time it is called for the order.
    Idempotent: an order won twice, or a second call, finds the set already there (under
    the order's lock; the (order, kind) constraint says the same in the database)."""
    with transaction.atomic():
        order = lock_order(order)
        existing = list(ClosingDocument.objects.filter(order=order).order_by("kind"))
        if existing:
            return existing
        if order.stage != Stage.WON:
            raise OrderError(str(NOT_WON))
        vat_rate = vat_rate_setting()
        seller = SellerProfile.load()
        today = timezone.localdate()
        # A business client's documents go out by e-mail: rendered now. A person's are
        # rendered when someone first opens them (closing_document_pdf_request).
        render_now = order.customer.kind != Customer.Kind.PERSON
        documents = []
        for kind, lines in documents_for(order_lines(order, vat_rate)):
            year, number = next_number(f"closing-{kind}", year=today.year)
            content = document_content(order=order, lines=lines, issued_on=today, seller=seller)
            total, vat_amount = _totals(content)
            document = ClosingDocument.objects.create(
                order=order,
                kind=kind,
                year=year,
                number=number,
                issued_on=today,
                upd_status=upd_status(kind, vat_rate),
                vat_rate=vat_rate,
                currency=order.currency,
                total=total,
                vat_amount=vat_amount,
                content=content,
                pdf_requested_at=timezone.now() if render_now else None,
            )
            event_record(
                order=order,
                kind=EventKind.INVOICE,
                actor=actor,
                text=Msg(ISSUED[kind], number=number, status=document.upd_status),
                closing_document_id=document.pk,
            )
            if render_now:
                enqueue_after_commit(closing_document_render, document.pk, record=True)
            documents.append(document)
        return documents


def closing_document_pdf_request(*, document: ClosingDocument) -> bool:
    """Someone opened a document whose PDF was never asked for (a person's): its render is
    queued, once, however often it is opened meanwhile; the worker renders it (never the
    request). True when this call queued it."""
    with transaction.atomic():
        claimed = ClosingDocument.objects.filter(
            pk=document.pk, pdf_requested_at__isnull=True
        ).update(pdf_requested_at=timezone.now())
        if claimed:
            enqueue_after_commit(closing_document_render, document.pk, record=True)
    return bool(claimed)


def closing_documents_regenerate(*, order: Order, actor: User | None) -> list[ClosingDocument]:
    """Draw the order's documents again from today's requisites, lines and VAT mode (a
    corrected client's INN, say): each keeps its number and date, goes up a version (the
    УПД prints it as a correction), gets a new PDF and goes to a business client again."""
    with transaction.atomic():
        order = lock_order(order)
        documents = list(
            ClosingDocument.objects.select_for_update().filter(order=order).order_by("kind")
        )
        if not documents:
            raise OrderError(str(NONE_ISSUED))
        vat_rate = vat_rate_setting()
        seller = SellerProfile.load()
        lines = order_lines(order, vat_rate)
        version = max(d.version for d in documents) + 1
        for document in documents:
            document.content = document_content(
                order=order,
                lines=lines_of(document.kind, lines),
                issued_on=document.issued_on,
                seller=seller,
            )
            document.total, document.vat_amount = _totals(document.content)
            document.vat_rate = vat_rate
            document.upd_status = upd_status(document.kind, vat_rate)
            document.version = version
            document.regenerated_on = timezone.localdate()
            document.sent_at = None
            document.pdf_error = ""
            document.pdf_requested_at = timezone.now()
            document.save()
            enqueue_after_commit(closing_document_render, document.pk, record=True)
        event_record(
            order=order,
            kind=EventKind.INVOICE,
            actor=actor,
            text=Msg(REGENERATED, version=version),
        )
        return documents
