"""Reads of the shop floor: task lists and the margin report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from django.contrib.auth import get_user_model
from django.db.models import F, Min, QuerySet, Sum, Window

from orders import roles
from orders.models import CENT, ZERO, Department, Order, Task
from production.models import MarginDay


def task_list_for_shop_floor(*, user) -> QuerySet[Task]:
    """The person's open production tasks with their orders and clients, by order (the
    order whose next task is due soonest first), then soonest deadline first within the
    order (one query: the order's first deadline is a window over the same rows)."""
    return (
        Task.objects.open()
        .filter(assignee=user, department=Department.PRODUCTION)
        .select_related("order__customer", "line")
        .annotate(order_first_due=Window(Min("due_at"), partition_by=[F("order_id")]))
        .order_by("order_first_due", "order_id", "due_at", "id")
    )


@dataclass
class OrderTasks:
    """One order's open tasks of a worker: the shop floor's group."""

    order: Order
    tasks: list[Task]

    @property
    def due_at(self) -> dt.datetime:
        return self.tasks[0].due_at

    @property
    def is_overdue(self) -> bool:
        return self.tasks[0].is_overdue


def tasks_by_order(tasks: list[Task]) -> list[OrderTasks]:
    """Tasks as task_list_for_shop_floor orders them, grouped under their orders (no query:
    each task carries its order)."""
    return [
        OrderTasks(order=group[0].order, tasks=group)
        for group in (list(rows) for _, rows in groupby(tasks, key=lambda task: task.order_id))
    ]


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
    (inclusive, local dates), lost orders left out. A line's cost is its actual cost where
    production recorded one, its standard cost otherwise; each line is rounded to kopecks
    as on the order, then summed. Read from the roll-up kept as lines are made and orders
    lost (production.summaries): at most days × products rows of a range on its unique
    (day, product) index, whatever the number of lines (one query)."""
    rows = (
        MarginDay.objects.filter(day__gte=start, day__lte=end)
        .values("product_id", "product__sku", "product__name")
        .annotate(
            quantity_sum=Sum("quantity"),
            revenue=Sum("revenue"),
            cost_sum=Sum("cost"),
            lines_sum=Sum("lines"),
        )
        # A day and product whose lines all left (their orders lost) stays with zeros.
        .filter(lines_sum__gt=0)
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
