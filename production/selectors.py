"""Reads of the shop floor: task lists and the margin report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Case, DecimalField, ExpressionWrapper, F, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Round

from orders import roles
from orders.models import CENT, ZERO, Department, LineStatus, OrderLine, Stage, Task

MONEY: DecimalField = DecimalField(max_digits=20, decimal_places=2)


def task_list_for_shop_floor(*, user) -> QuerySet[Task]:
    """The person's open production tasks, soonest deadline first (one query)."""
    return (
        Task.objects.open()
        .filter(assignee=user, department=Department.PRODUCTION)
        .select_related("order", "line")
        .order_by("due_at", "id")
    )


def task_list_for_board() -> QuerySet[Task]:
    """Every open production task with its worker (one query)."""
    return (
        Task.objects.open()
        .filter(department=Department.PRODUCTION)
        .select_related("order", "line", "assignee")
        .order_by("assignee__first_name", "assignee__username", "due_at", "id")
    )


def production_workers() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.PRODUCTION)
        .order_by("first_name", "username")
        .distinct()
    )


@dataclass
class MarginRow:
    product_id: int
    sku: str
    name: str
    quantity: Decimal
    revenue: Decimal
    cost: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.revenue:
            return None
        return (self.margin * 100 / self.revenue).quantize(Decimal("0.1"))


def margin_by_product(*, start: dt.date, end: dt.date) -> tuple[list[MarginRow], MarginRow]:
    """Revenue, cost and margin per product of the lines made between `start` and `end`
    (inclusive, local dates), cancelled orders left out. A line's cost is its actual cost
    where production recorded one, its standard cost otherwise; each line is rounded to
    kopecks as on the order, then summed (one query)."""
    amount = Round(F("quantity") * F("price") - F("discount"), 2, output_field=MONEY)
    standard = Round(Coalesce(F("unit_cost"), Value(ZERO)) * F("quantity"), 2, output_field=MONEY)
    cost = Case(When(actual_cost__isnull=False, then=F("actual_cost")), default=standard)
    rows = (
        OrderLine.objects.filter(
            status=LineStatus.MADE, made_at__date__gte=start, made_at__date__lte=end
        )
        .exclude(order__stage=Stage.LOST)
        .values("product_id", "product__sku", "product__name")
        .annotate(
            quantity_sum=Sum("quantity"),
            revenue=Sum(ExpressionWrapper(amount, output_field=MONEY)),
            cost_sum=Sum(ExpressionWrapper(cost, output_field=MONEY)),
        )
        .order_by("product__name", "product_id")
    )
    result = [
        MarginRow(
            product_id=row["product_id"],
            sku=row["product__sku"],
            name=row["product__name"],
            quantity=row["quantity_sum"] or ZERO,
            # SQLite returns sums without their scale; PostgreSQL with it.
            revenue=Decimal(row["revenue"] or ZERO).quantize(CENT),
            cost=Decimal(row["cost_sum"] or ZERO).quantize(CENT),
        )
        for row in rows
    ]
    total = MarginRow(
        product_id=0,
        sku="",
        name="",
        quantity=sum((r.quantity for r in result), ZERO),
        revenue=sum((r.revenue for r in result), ZERO),
        cost=sum((r.cost for r in result), ZERO),
    )
    return result, total
