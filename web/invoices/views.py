"""Invoice pages: the client's public page and PDF, the staff PDF, the receivables list,
and CloudPayments' notification endpoints."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core.exports import csv_download
from invoices import selectors
from invoices.models import Invoice, ProviderEvent, ProviderEventKind, SellerProfile
from invoices.payment_links import widget_params
from invoices.pdf import invoice_pdf_bytes
from invoices.services import cloudpayments_configured, invoice_find_by_token
from invoices.webhook_input import (
    NUL_REFUSED,
    STORED_UNSIGNED,
    BadNotification,
    BodyTooLarge,
    Notification,
    body_read,
    has_nul,
    parse,
    signature_valid,
    unsigned_allowed,
)
from invoices.webhooks import event_finish, event_store, notification_refuse
from orders.rules import person
from pipeline.payments import notification_handle, notification_queue
from web.accounts import client_ip as _client_ip
from web.invoices.forms import JournalFilterForm
from web.orders.views import order_for_user
from web.requests import WorkspaceRequest

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- public


def _miss_key(request: HttpRequest) -> str:
    return f"invoice-link-misses:{_client_ip(request)}"


def _public_invoice(request: HttpRequest, token: str) -> Invoice:
    """A wrong, revoked or expired link is a 404; an address that keeps guessing gets 429
    for its misses. A live link is always served: behind one office NAT, one guesser must
    not lock every colleague out of their invoices (a 160-bit token is not guessed
    anyway; the limit only keeps the noise down). The cache failing open: a Redis outage
    must not take the clients' invoices down."""
    invoice = invoice_find_by_token(token)
    if invoice is not None:
        return invoice
    key = _miss_key(request)
    try:
        if (cache.get(key) or 0) >= settings.INVOICE_LINK_MISSES_PER_HOUR:
            raise _TooMany
        cache.add(key, 0, 3600)
        cache.incr(key)
    except _TooMany:
        raise
    except Exception:
        pass
    raise Http404


class _TooMany(Exception):
    pass


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: keep it out of caches, referrers and search engines.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _too_many() -> HttpResponse:
    response = HttpResponse(_("Too many wrong links; try again later."), status=429)
    response["Retry-After"] = "3600"
    return response


# The card payment widget. csp types a view as taking the request alone (too narrow).
@csp_update(settings.CLOUDPAYMENTS_CSP)  # type: ignore[arg-type]
@require_GET
def public(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invoice = _public_invoice(request, token)
    except _TooMany:
        return _too_many()
    card = cloudpayments_configured() and invoice.is_open
    context = {
        "invoice": invoice,
        "lines": invoice.lines,
        "seller": SellerProfile.load(),
        "token": token,
        "card": card,
        "widget": widget_params(invoice) if card else None,
    }
    return _private(render(request, "invoices/public.html", context))


@require_GET
def public_pdf(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invoice = _public_invoice(request, token)
    except _TooMany:
        return _too_many()
    return _private(_pdf_response(invoice))


def _pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(invoice_pdf_bytes(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    return response


# ----------------------------------------------------------------------------- staff


@login_required
@require_GET
def staff_pdf(request: WorkspaceRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("order__customer"), pk=pk)
    if not request.user.has_perm("invoices.view_invoice"):
        raise PermissionDenied
    order_for_user(request, invoice.order.number)
    response = _pdf_response(invoice)
    response["Cache-Control"] = "private, no-store"
    return response


def _require_money_reader(request: HttpRequest) -> None:
    if not (
        request.user.has_perm("invoices.view_invoice")
        and request.user.has_perm("orders.view_money")
    ):
        raise PermissionDenied


@login_required
@require_GET
def receivables(request: WorkspaceRequest) -> HttpResponseBase:
    """A page of what is owed, soonest due first, with "more"; the totals are the whole
    list's (kept by due date), or a search's over the matches it looked at."""
    _require_money_reader(request)
    overdue = request.GET.get("overdue") == "1"
    search = request.GET.get("q", "").strip()[:100]
    ids, capped = None, False
    if search:
        ids, capped = selectors.receivables_search(search=search, overdue=overdue)
    if request.GET.get("export") == "csv":
        invoices = selectors.invoice_list_for_receivables_csv(overdue=overdue, ids=ids)
        return _receivables_csv(invoices)
    after = request.GET.get("after", "")
    rows, next_cursor = selectors.invoice_page_for_receivables(
        overdue=overdue, ids=ids, after=after
    )
    context = {
        "invoices": rows,
        "next_cursor": next_cursor,
        "first_page": not after,
        "totals": selectors.receivables_totals(overdue=overdue, ids=ids),
        "capped": capped,
        "overdue": overdue,
        "search": search,
        "query": _receivables_query(search=search, overdue=overdue),
        "today": timezone.localdate(),
    }
    return render(request, "invoices/list.html", context)


def _receivables_query(*, search: str, overdue: bool) -> str:
    """The search and filter shown, for the next page's link."""
    query = QueryDict(mutable=True)
    query.update({"q": search} if search else {})
    query.update({"overdue": "1"} if overdue else {})
    return query.urlencode()


@login_required
@require_GET
def payments_journal(request: WorkspaceRequest) -> HttpResponseBase:
    """Money in and out over a period, to check against the bank statement; `?export=csv`
    gives all of it as a spreadsheet."""
    _require_money_reader(request)
    filters = {key: request.GET[key] for key in ("start", "end", "source") if key in request.GET}
    form = JournalFilterForm(filters or JournalFilterForm.defaults())
    if not form.is_valid():
        return render(request, "invoices/payments.html", {"form": form}, status=400)
    period = form.cleaned_data  # start, end and source
    payments = selectors.payment_list_for_journal(**period)
    if request.GET.get("export") == "csv":
        return _journal_csv(payments, period)
    after = request.GET.get("after", "")
    shown, next_cursor = _journal_page(payments, after=after)
    return render(
        request,
        "invoices/payments.html",
        {
            "form": form,
            "payments": shown,
            "next_cursor": next_cursor,
            "totals": selectors.journal_totals(**period),
            "first_page": not after,
            "query": _journal_query(period),
        },
    )


def _journal_query(period: dict) -> str:
    """The period and source shown, for the next page's and the export's links."""
    query = QueryDict(mutable=True)
    query.update({key: str(value) for key, value in period.items()})
    return query.urlencode()


def _journal_page(payments, *, after: str) -> tuple[list, str]:
    """The payments after the `after` cursor (keyset), and the next page's cursor."""
    page = payments
    if cursor := selectors.journal_cursor_read(after):
        page = selectors.journal_after(payments, cursor)
    rows = list(page[: selectors.JOURNAL_LIMIT + 1])
    shown = rows[: selectors.JOURNAL_LIMIT]
    return shown, (selectors.journal_cursor(shown[-1]) if len(rows) > len(shown) else "")


def _receivables_csv(invoices) -> StreamingHttpResponse:
    """Every listed invoice (the page shows a page of them), streamed."""
    header = [
        _("Invoice"),
        _("Order"),
        _("Client"),
        _("Manager"),
        _("Amount"),
        _("Paid"),
        _("Due"),
        _("Owed back"),
        _("Currency"),
        _("Pay by"),
        _("Status"),
    ]
    rows = (
        [
            invoice.number,
            invoice.order.number,
            invoice.order.customer.name,
            person(invoice.order.manager, nobody=""),
            f"{invoice.amount:.2f}",
            f"{invoice.paid_amount:.2f}",
            f"{invoice.due:.2f}",
            f"{invoice.owed_back:.2f}",
            invoice.currency,
            invoice.due_date.isoformat() if invoice.due_date else "",
            invoice.get_status_display(),
        ]
        for invoice in invoices.iterator(chunk_size=2000)
    )
    return csv_download(f"receivables-{timezone.localdate():%Y%m%d}.csv", header, rows)


def _journal_csv(payments, period: dict) -> StreamingHttpResponse:
    header = [
        _("Date"),
        _("Invoice"),
        _("Order"),
        _("Client"),
        _("Source"),
        _("Reference"),
        _("Transaction"),
        _("Amount"),
        _("Currency"),
        _("Recorded by"),
        _("Reason"),
    ]
    rows = (
        [
            timezone.localtime(payment.paid_at).strftime("%Y-%m-%d %H:%M"),
            payment.invoice.number,
            payment.order.number,
            payment.order.customer.name,
            payment.get_source_display(),
            payment.reference,
            payment.transaction_id,
            f"{payment.amount:.2f}",
            payment.currency,
            payment.recorded_by.get_username() if payment.recorded_by else "",
            payment.reason,
        ]
        for payment in payments.iterator(chunk_size=2000)
    )
    name = f"payments-{period['start']:%Y%m%d}-{period['end']:%Y%m%d}.csv"
    return csv_download(name, header, rows)


# ----------------------------------------------------------------------------- webhooks

_HEADERS = ("Content-HMAC", "X-Content-HMAC")


@csrf_exempt
@require_POST
def cloudpayments_notification(request: HttpRequest, kind: str) -> JsonResponse:
    if kind not in ProviderEventKind.values:
        raise Http404
    try:
        body = body_read(request)
    except BodyTooLarge:
        return JsonResponse({"error": "the body is too large"}, status=413)
    content_type = request.content_type or ""
    headers = {name: request.headers.get(name, "") for name in _HEADERS}
    if has_nul(body, content_type, headers):
        return JsonResponse({"error": NUL_REFUSED}, status=400)
    address = _client_ip(request)
    store = partial(
        event_store,
        kind=kind,
        body=body,
        content_type=content_type,
        headers=headers,
        remote_addr=address,
    )
    if not signature_valid(body, headers):
        return _unsigned_refuse(kind, address, store)
    try:
        note = parse(body, content_type)
    except BadNotification as exc:
        return _unreadable_refuse(kind, store, exc, body)
    return _notification_answer(kind, store(signature_ok=True), note)


def _notification_answer(kind: str, event: ProviderEvent, note: Notification) -> JsonResponse:
    if kind != ProviderEventKind.CHECK and notification_queue(event):
        # Pay, Confirm, Refund, Fail and Cancel are answered 0 whatever they bring; once
        # the verified request is stored and queued it is applied by a worker (once per
        # transaction, under the order's lock), so the answer does not wait for it.
        return JsonResponse({"code": 0})
    # Check must answer from our data; and with the broker down the notification is
    # applied here, so no payment waits for the broker.
    code = notification_handle(event, note)
    return JsonResponse({"code": code})


def _unsigned_refuse(kind: str, address: str, store: Callable[..., ProviderEvent]) -> JsonResponse:
    """A request without a valid signature: kept (truncated, and only so many a minute
    from one address) for the record, and refused."""
    if not unsigned_allowed(address):
        response = JsonResponse({"error": "too many requests"}, status=429)
        response["Retry-After"] = "60"
        return response
    event = store(signature_ok=False, limit=STORED_UNSIGNED)
    logger.warning(
        "CloudPayments %s from %s refused: missing or wrong signature (event %s)",
        kind,
        address,
        event.pk,
    )
    event_finish(event, code=-1, outcome="signature missing or wrong")
    return JsonResponse({"error": "invalid signature"}, status=401)


def _unreadable_refuse(
    kind: str, store: Callable[..., ProviderEvent], exc: BadNotification, body: bytes
) -> JsonResponse:
    event = store(signature_ok=True, limit=STORED_UNSIGNED)
    logger.warning("CloudPayments %s (event %s) unreadable: %s", kind, event.pk, exc)
    code = notification_refuse(event, exc, body)
    return JsonResponse({"code": code, "error": str(exc)}, status=400)
