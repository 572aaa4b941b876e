"""Reads of the shop floor: task lists and the margin report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet, Sum

from orders import roles
from orders.models import CENT, ZERO, Department, Order, Task
from orders.selectors.tasks import CappedCount, TaskCursor, capped_count, task_page
from production.models import MarginDay, MarginMonth
from production.progress import with_line_steps

# Tasks on a page of the shop floor: each card carries its forms (start, done, actual cost),
# so a phone gets a short page and "more" rather than 100 KB.
SHOP_FLOOR_PAGE = 25


def task_list_for_shop_floor(
    *, user, after: TaskCursor | None = None, limit: int = SHOP_FLOOR_PAGE
) -> tuple[list[Task], TaskCursor | None]:
    """A page of the person's open production tasks, soonest due first, with their orders,
    clients and lines, and the cursor of the next page (one query on the open tasks'
    (assignee, due_at) index, reading limit + 1 rows)."""
    queryset = with_line_steps(
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
    queryset = with_line_steps(
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


def _first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def margin_spans(
    start: dt.date, end: dt.date
) -> tuple[list[tuple[dt.date, dt.date]], tuple[dt.date, dt.date] | None]:
    """A period as the day ranges at its ends (inclusive) and the first days of its first
    and last whole months: 2 Jan – 1 Apr is 2–31 Jan and 1 Apr as days, 1 Feb – 1 Mar as
    months."""
    first_month = start if start.day == 1 else _first_of_next_month(start)
    after_months = _first_of_next_month(end)
    if after_months - dt.timedelta(days=1) != end:  # the period ends inside a month
        after_months = end.replace(day=1)
    if first_month >= after_months:
        return [(start, end)], None
    days = []
    if start < first_month:
        days.append((start, first_month - dt.timedelta(days=1)))
    if after_months <= end:
        days.append((after_months, end))
    return days, (first_month, (after_months - dt.timedelta(days=1)).replace(day=1))


def _sums(queryset: QuerySet) -> QuerySet:
    return (
        queryset.values("product_id", "product__sku", "product__name")
        .annotate(
            quantity_sum=Sum("quantity"),
            revenue_sum=Sum("revenue"),
            cost_sum=Sum("cost"),
            lines_sum=Sum("lines"),
        )
        .order_by()
    )


def margin_by_product(*, start: dt.date, end: dt.date) -> tuple[list[MarginRow], MarginRow]:
    """Revenue, cost and margin per product of the lines made between `start` and `end`
    (inclusive, local dates), lost orders left out. A line's cost is its actual cost where
    production recorded one, its standard cost otherwise; each line is rounded to kopecks
    as on the order, then summed. Read from the roll-ups kept as lines are made and orders
    lost (production.summaries): the whole months of the period from the months' roll-up,
    the days at its ends from the days' one, each a range on its unique index; at most
    (62 days + 37 months) × products rows, whatever the number of lines (one query)."""
    day_spans, months = margin_spans(start, end)
    parts = []
    if day_spans:
        within = Q()
        for first, last in day_spans:
            within |= Q(day__gte=first, day__lte=last)
        parts.append(_sums(MarginDay.objects.filter(within)))
    if months is not None:
        parts.append(_sums(MarginMonth.objects.filter(month__gte=months[0], month__lte=months[1])))
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    by_product: dict[int, MarginRow] = {}
    lines: dict[int, int] = {}
    for row in rows:
        found = by_product.setdefault(
            row["product_id"],
            MarginRow(
                row["product_id"], row["product__sku"], row["product__name"], ZERO, ZERO, ZERO
            ),
        )
        found.quantity += row["quantity_sum"] or ZERO
        # SQLite returns sums without their scale; PostgreSQL with it.
        found.revenue += Decimal(row["revenue_sum"] or ZERO).quantize(CENT)
        found.cost += Decimal(row["cost_sum"] or ZERO).quantize(CENT)
        lines[row["product_id"]] = lines.get(row["product_id"], 0) + (row["lines_sum"] or 0)
    # A day and product whose lines all left (their orders lost) stays with zeros.
    result = sorted(
        (row for row in by_product.values() if lines[row.product_id] > 0),
        key=lambda row: (row.name, row.product_id),
    )
    total = MarginRow(
        product_id=0,
        sku="",
        name="",
        quantity=sum((r.quantity for r in result), ZERO),
        revenue=sum((r.revenue for r in result), ZERO),
        cost=sum((r.cost for r in result), ZERO),
    )
    return result, total
