"""Reads of the shop floor: task lists and the margin report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import QuerySet, Sum

from orders import roles
from orders.models import CENT, ZERO, Department, Order, Task
from orders.selectors.tasks import CappedCount, TaskCursor, capped_count, task_page
from production.models import MarginDay

# Tasks on a page of the shop floor: each card carries its forms (start, done, actual cost),
# so a phone gets a short page and "more" rather than 100 KB.
SHOP_FLOOR_PAGE = 25


def task_list_for_shop_floor(
    *, user, after: TaskCursor | None = None, limit: int = SHOP_FLOOR_PAGE
) -> tuple[list[Task], TaskCursor | None]:
    """A page of the person's open production tasks, soonest due first, with their orders,
    clients and lines, and the cursor of the next page (one query on the open tasks'
    (assignee, due_at) index, reading limit + 1 rows)."""
    queryset = (
        Task.objects.open()
        .filter(assignee=user, department=Department.PRODUCTION)
        .select_related("order__customer", "line")
    )
    return task_page(queryset, after=after, limit=limit)


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
    """A page of tasks, soonest due first, grouped under their orders: the order whose
    next task is due soonest first, its tasks soonest first (no query: each task carries
    its order). An order with tasks on the next page shows there again."""
    groups: dict[int, OrderTasks] = {}
    for task in tasks:
        group = groups.setdefault(task.order_id, OrderTasks(order=task.order, tasks=[]))
        group.tasks.append(task)
    return list(groups.values())


# Tasks on a page of the production board: a few screens of cards across the workers.
BOARD_PAGE = 60


@dataclass
class BoardPage:
    """A page of the production board: the department's open tasks soonest due first,
    in a column per worker."""

    columns: list[tuple[User | None, list[Task]]]
    count: CappedCount
    next_cursor: TaskCursor | None


def _worker_order(worker: User | None) -> tuple:
    if worker is None:  # the unassigned last
        return (1, "", "")
    return (0, worker.first_name, worker.username)


def task_list_for_board(*, after: TaskCursor | None = None, limit: int = BOARD_PAGE) -> BoardPage:
    """The next `limit` open production tasks, soonest due first, with their orders,
    lines and workers, by keyset on the partial (department, due_at, id) index of open
    tasks, put in a column per worker; and the department's open tasks counted up to a cap
    on the same index (two queries, each reading a bounded number of index entries)."""
    queryset = (
        Task.objects.open()
        .filter(department=Department.PRODUCTION)
        .select_related("order", "line", "assignee")
    )
    tasks, next_cursor = task_page(queryset, after=after, limit=limit)
    by_worker: dict[int | None, list[Task]] = {}
    for task in tasks:
        by_worker.setdefault(task.assignee_id, []).append(task)
    columns = sorted(
        ((column[0].assignee, column) for column in by_worker.values()),
        key=lambda item: _worker_order(item[0]),
    )
    count = capped_count(Task.objects.open().filter(department=Department.PRODUCTION))
    return BoardPage(columns=columns, count=count, next_cursor=next_cursor)


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
