"""Reads of invoices for pages."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from invoices.models import UNPAID_STATUSES, Invoice, InvoiceStatus, ReconciliationIssue

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
