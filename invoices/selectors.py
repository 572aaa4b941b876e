"""Reads of invoices for pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Case, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from invoices.models import UNPAID_STATUSES, Invoice, InvoiceStatus, Payment, ReconciliationIssue

RECEIVABLES_LIMIT = 500


# Money owed back to the client: an overpayment, or what a voided invoice (a lost order)
# had received and has not refunded yet.
OWED_BACK = Q(overpaid=True) | Q(status=InvoiceStatus.VOID, paid_amount__gt=0)


def invoice_list_for_receivables(*, overdue: bool = False, search: str = "") -> QuerySet[Invoice]:
    """Open invoices, and those with money owed back, soonest due first."""
    invoices = Invoice.objects.filter(Q(status__in=UNPAID_STATUSES) | OWED_BACK)
    if overdue:
        invoices = invoices.filter(status__in=UNPAID_STATUSES, due_date__lt=timezone.localdate())
    if search:
        invoices = invoices.filter(
            Q(number__icontains=search)
            | Q(order__number__icontains=search)
            | Q(order__customer__name__icontains=search)
        )
    return (
        invoices.select_related("order__customer", "order__manager")
        .annotate(
            due=Case(
                When(status__in=UNPAID_STATUSES, then=F("amount") - F("paid_amount")),
                default=Value(Decimal("0.00")),
            ),
            owed_back=Case(
                When(status=InvoiceStatus.VOID, then=F("paid_amount")),
                When(overpaid=True, then=F("paid_amount") - F("amount")),
                default=Value(Decimal("0.00")),
            ),
        )
        .order_by(F("due_date").asc(nulls_last=True), "id")
    )


def receivables_totals(invoices: QuerySet[Invoice]) -> tuple[Decimal, Decimal]:
    """(due from clients, owed back to clients), in one query."""
    totals = invoices.aggregate(due_total=Sum("due"), owed_back_total=Sum("owed_back"))
    return (
        totals["due_total"] or Decimal("0.00"),
        totals["owed_back_total"] or Decimal("0.00"),
    )


def open_issues_count() -> int:
    return ReconciliationIssue.objects.filter(resolved_at=None).count()


JOURNAL_LIMIT = 500


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
    return payments.select_related("invoice", "order__customer", "recorded_by").order_by(
        "paid_at", "id"
    )


def journal_totals(payments: QuerySet[Payment]) -> tuple[Decimal, Decimal]:
    """(received, given back) over the listed movements, in one query."""
    totals = payments.aggregate(
        received=Sum("amount", filter=Q(amount__gt=0)),
        given_back=Sum("amount", filter=Q(amount__lt=0)),
    )
    return totals["received"] or Decimal("0.00"), -(totals["given_back"] or Decimal("0.00"))


def journal_cursor(payment: Payment) -> str:
    """Where the next page of the journal starts: after this movement."""
    return f"{payment.paid_at.isoformat()}_{payment.pk}"


def journal_cursor_read(cursor: str) -> tuple[dt.datetime, int] | None:
    moment, _, pk = cursor.rpartition("_")
    try:
        return dt.datetime.fromisoformat(moment), int(pk)
    except ValueError:
        return None  # a mangled link: the first page


def journal_after(payments: QuerySet[Payment], after: tuple[dt.datetime, int]) -> QuerySet:
    """Keyset paging on (paid_at, id), the journal's order and its index."""
    moment, pk = after
    return payments.filter(Q(paid_at__gt=moment) | Q(paid_at=moment, id__gt=pk))
