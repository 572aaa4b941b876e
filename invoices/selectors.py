"""Reads of invoices for pages."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from invoices.models import UNPAID_STATUSES, Invoice, ReconciliationIssue

RECEIVABLES_LIMIT = 500


def invoice_list_for_receivables(*, overdue: bool = False, search: str = "") -> QuerySet[Invoice]:
    """Open invoices (and overpaid ones, money owed back), soonest due first."""
    invoices = Invoice.objects.filter(Q(status__in=UNPAID_STATUSES) | Q(overpaid=True))
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
        .annotate(due=F("amount") - F("paid_amount"))
        .order_by(F("due_date").asc(nulls_last=True), "id")
    )


def receivables_total(invoices: QuerySet[Invoice]) -> Decimal:
    return invoices.filter(status__in=UNPAID_STATUSES).aggregate(
        s=Sum(F("amount") - F("paid_amount"))
    )["s"] or Decimal("0.00")


def open_issues_count() -> int:
    return ReconciliationIssue.objects.filter(resolved_at=None).count()
