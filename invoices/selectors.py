"""Reads of invoices for pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from core.keyset import keyset_parse
from invoices.models import (
    NO_DUE_DATE_KEY,
    OWED_BACK,
    RECEIVABLE,
    RECEIVABLE_DUE_KEY,
    UNPAID_STATUSES,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentDay,
    ReceivableDay,
    ReconciliationIssue,
)
from orders.models import Customer, Order

# A page of the receivables list; "more" goes on after the last one shown (keyset).
RECEIVABLES_PAGE = 50
# A search looks at this many matching invoices at most; past it the page says so, and
# its totals are those of the invoices looked at.
SEARCH_CAP = 1000
# …found through at most this many clients (by name) and orders (number or client).
SEARCH_CUSTOMERS = 200
SEARCH_ORDERS = 1000
# Shorter words do not narrow clients' names (a trigram needs three letters).
NAME_SEARCH_MIN = 3


@dataclass(frozen=True)
class ReceivableTotal:
    """One currency's money owed: by clients on open invoices, and back to clients."""

    currency: str
    open_count: int
    due: Decimal
    owed_back_count: int
    owed_back: Decimal


def _receivables() -> QuerySet:
    # Typed loosely: the stubs do not follow the due_key alias into later filters.
    return Invoice.objects.filter(RECEIVABLE).alias(due_key=RECEIVABLE_DUE_KEY)


def _overdue(invoices: QuerySet) -> QuerySet:
    # due_key, not due_date: the page's index; an invoice without a due date is never late.
    return invoices.filter(status__in=UNPAID_STATUSES, due_key__lt=timezone.localdate())


def _money_columns(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return invoices.annotate(
        due=Case(
            When(status__in=UNPAID_STATUSES, then=F("amount") - F("paid_amount")),
            default=Value(Decimal("0.00")),
        ),
        owed_back=Case(
            When(status=InvoiceStatus.VOID, paid_amount__gt=0, then=F("paid_amount")),
            When(overpaid=True, then=F("paid_amount") - F("amount")),
            default=Value(Decimal("0.00")),
        ),
    )


def receivables_search(*, search: str, overdue: bool = False) -> tuple[list[int], bool]:
    """Ids of the listed invoices matching a search (at most SEARCH_CAP), and whether
    there may be more than were looked at: an invoice number or an order number from its
    start, or a client's name anywhere in it. Each step is limited and uses an index (the
    invoice and order numbers' prefix indexes, the clients' trigram index, orders by
    client)."""
    customers: list[int] = []
    if len(search) >= NAME_SEARCH_MIN:
        customers = list(
            Customer.objects.filter(name__icontains=search)
            .order_by()
            .values_list("id", flat=True)[:SEARCH_CUSTOMERS]
        )
    orders = list(
        Order.objects.filter(Q(number__istartswith=search) | Q(customer_id__in=customers))
        .order_by()
        .values_list("id", flat=True)[:SEARCH_ORDERS]
    )
    invoices = _receivables().filter(Q(number__istartswith=search) | Q(order_id__in=orders))
    if overdue:
        invoices = _overdue(invoices)
    ids = list(invoices.order_by().values_list("id", flat=True)[: SEARCH_CAP + 1])
    capped = (
        len(ids) > SEARCH_CAP or len(customers) == SEARCH_CUSTOMERS or len(orders) == SEARCH_ORDERS
    )
    return ids[:SEARCH_CAP], capped


def invoice_page_for_receivables(
    *, overdue: bool = False, ids: list[int] | None = None, after: str = ""
) -> tuple[list[Invoice], str]:
    """A page of open invoices and those with money owed back, soonest due first (those
    without a due date last), after the `after` cursor; and the next page's cursor ("" on
    the last page). `ids`: only these (a search's matches)."""
    invoices = _receivables()
    if ids is not None:
        invoices = invoices.filter(id__in=ids)
    if overdue:
        invoices = _overdue(invoices)
    if cursor := receivables_cursor_read(after):
        key, pk = cursor
        # key >= the cursor's bounds the index scan; the rest drops that one day's earlier.
        invoices = invoices.filter(due_key__gte=key).filter(Q(due_key__gt=key) | Q(id__gt=pk))
    # The page's ids first, then their orders and clients: a search's matches are not
    # joined before they are cut to a page.
    page = invoices.order_by("due_key", "id").values("id")[: RECEIVABLES_PAGE + 1]
    rows: list[Invoice] = list(
        _money_columns(Invoice.objects.filter(id__in=page))
        .defer("lines", "buyer")
        .alias(due_key=RECEIVABLE_DUE_KEY)
        .select_related("order__customer", "order__manager")
        .order_by("due_key", "id")
    )
    shown = rows[:RECEIVABLES_PAGE]
    more = len(rows) > len(shown)
    return shown, (receivables_cursor(shown[-1]) if more else "")


# Ids are bigint: a larger number in a page link is not one of ours.
ID_LIMIT = 2**63


def receivables_cursor(invoice: Invoice) -> str:
    key = invoice.due_date or NO_DUE_DATE_KEY
    return f"{key.isoformat()}_{invoice.pk}"


def receivables_cursor_read(cursor: str) -> tuple[dt.date, int] | None:
    key, _, pk = cursor.partition("_")
    try:
        after = dt.date.fromisoformat(key), int(pk)
    except ValueError:
        return None  # a mangled link: the first page
    return after if 0 <= after[1] < ID_LIMIT else None


def invoice_list_for_receivables_csv(*, overdue: bool, ids: list[int] | None) -> QuerySet:
    """Every listed invoice (or a search's matches), for the spreadsheet, streamed."""
    invoices = _receivables()
    if ids is not None:
        invoices = invoices.filter(id__in=ids)
    if overdue:
        invoices = _overdue(invoices)
    return (
        _money_columns(invoices)
        .select_related("order__customer", "order__manager")
        .order_by("due_key", "id")
    )


def receivables_totals(
    *, overdue: bool = False, ids: list[int] | None = None
) -> list[ReceivableTotal]:
    """What the whole list adds up to, per currency, from the totals kept by due date
    (invoices.summaries): as many rows as there are due dates, whatever the invoices.
    `ids`: a search's matches (at most SEARCH_CAP), added up from their rows."""
    if ids is not None:
        return receivables_totals_of(ids) if ids else []
    days = ReceivableDay.objects.all()
    if overdue:
        days = days.filter(due_key__lt=timezone.localdate())
    rows = list(
        days.values("currency")
        .annotate(
            open=Sum("open_count"),
            money_due=Sum("due"),
            back=Sum("owed_back_count"),
            money_back=Sum("owed_back"),
        )
        .order_by("currency")
    )
    if overdue:  # money owed back is never late: not the overdue list's
        for row in rows:
            row["back"], row["money_back"] = 0, None
    return _totals(rows)


def receivables_totals_of(ids: list[int]) -> list[ReceivableTotal]:
    """The same, over a search's matches (at most SEARCH_CAP invoices)."""
    rows = (
        _money_columns(Invoice.objects.filter(id__in=ids))
        .values("currency")
        .annotate(
            open=Count("id", filter=Q(status__in=UNPAID_STATUSES)),
            money_due=Sum("due"),
            back=Count("id", filter=OWED_BACK),
            money_back=Sum("owed_back"),
        )
        .order_by("currency")
    )
    return _totals(rows)


def _totals(rows) -> list[ReceivableTotal]:
    totals = [
        ReceivableTotal(
            currency=row["currency"],
            open_count=row["open"] or 0,
            due=row["money_due"] or Decimal("0.00"),
            owed_back_count=row["back"] or 0,
            owed_back=row["money_back"] or Decimal("0.00"),
        )
        for row in rows
    ]
    return [total for total in totals if total.open_count or total.owed_back_count]


def open_issues_count() -> int:
    return ReconciliationIssue.objects.filter(resolved_at=None).count()


# A page of the journal; the period's totals come from the totals kept per day.
JOURNAL_LIMIT = 50


def payment_list_for_journal(
    *, start: dt.date, end: dt.date, source: str = ""
) -> QuerySet[Payment]:
    """Money in and out over a period, by the day it moved (refunds and reversals are
    negative rows), oldest first: what a bank statement is checked against."""
    tz = timezone.get_current_timezone()
    payments = Payment.objects.filter(
        paid_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        paid_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )
    if source:
        payments = payments.filter(source=source)
    # The invoices' frozen lines and buyer are not shown: not read either.
    return (
        payments.select_related("invoice", "order__customer", "recorded_by")
        .defer("invoice__lines", "invoice__buyer")
        .order_by("paid_at", "id")
    )


@dataclass(frozen=True)
class JournalTotals:
    received: Decimal
    given_back: Decimal
    movements: int


def journal_totals(*, start: dt.date, end: dt.date, source: str = "") -> JournalTotals:
    """Received and given back (a positive sum) over a period, from the totals kept per
    day in the company's time zone (invoices.summaries): at most a row a day per source
    and currency, however many payments the period holds."""
    days = PaymentDay.objects.filter(day__gte=start, day__lte=end)
    if source:
        days = days.filter(source=source)
    totals = days.aggregate(
        received=Sum("received"), given_back=Sum("given_back"), movements=Sum("movements")
    )
    return JournalTotals(
        received=totals["received"] or Decimal("0.00"),
        given_back=totals["given_back"] or Decimal("0.00"),
        movements=totals["movements"] or 0,
    )


def journal_cursor(payment: Payment) -> str:
    """Where the next page of the journal starts: after this movement."""
    return f"{payment.paid_at.isoformat()}_{payment.pk}"


def journal_cursor_read(cursor: str) -> tuple[dt.datetime, int] | None:
    return keyset_parse(cursor, separator="_")


def journal_after(payments: QuerySet[Payment], after: tuple[dt.datetime, int]) -> QuerySet:
    """Keyset paging on (paid_at, id), the journal's order and its index."""
    moment, pk = after
    return payments.filter(Q(paid_at__gt=moment) | Q(paid_at=moment, id__gt=pk))
