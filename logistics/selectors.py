"""Reads of logistics: the delivery list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from orders.models import Task, TaskKind
from orders.selectors.tasks import COUNT_CAP, CappedCount, TaskCursor

# Cards per group and per "more": a delivery card carries its shipping form, so four full
# groups stay under 100 KB.
DELIVERY_PAGE = 15
DELIVERY_GROUPS = ("overdue", "today", "tomorrow", "later")


@dataclass
class DeliveryGroup:
    key: str
    tasks: list[Task]
    count: CappedCount
    next_cursor: TaskCursor | None


def delivery_bounds(now: dt.datetime) -> dict[str, tuple[dt.datetime | None, dt.datetime | None]]:
    """Each group's deadlines as a half-open range [from, to) of moments: overdue before
    now; today until the company's next midnight; tomorrow until the one after; later from
    there. Ranges, not a date of each deadline, so the index on due_at reads only them."""
    today = timezone.localdate(now)
    zone = timezone.get_current_timezone()

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone)

    tomorrow, after = midnight(today + dt.timedelta(days=1)), midnight(today + dt.timedelta(days=2))
    return {
        "overdue": (None, now),
        "today": (now, tomorrow),
        "tomorrow": (tomorrow, after),
        "later": (after, None),
    }


def delivery_position(task_id: str, now: dt.datetime) -> tuple[str, TaskCursor] | None:
    """The group an open delivery task (its id as a link carries it) is listed in, and the
    cursor its page starts from (the task first), so a link to one task opens where it is,
    however far down its group. None for a task done since, or a mangled id (one query)."""
    if not task_id.isdigit() or len(task_id) > 18:
        return None
    task = Task.objects.open().filter(kind=TaskKind.DELIVER, pk=int(task_id)).only("due_at").first()
    if task is None:
        return None
    for key, (start, end) in delivery_bounds(now).items():
        if (start is None or task.due_at >= start) and (end is None or task.due_at < end):
            return key, TaskCursor(task.due_at, task.pk - 1)
    raise AssertionError("the groups cover every moment")


def _open_deliveries(bounds: tuple[dt.datetime | None, dt.datetime | None]) -> QuerySet[Task]:
    start, end = bounds
    queryset = Task.objects.open().filter(kind=TaskKind.DELIVER)
    if start is not None:
        queryset = queryset.filter(due_at__gte=start)
    if end is not None:
        queryset = queryset.filter(due_at__lt=end)
    return queryset


def _capped_counts(querysets: list[QuerySet[Task]], cap: int) -> list[CappedCount]:
    """Each queryset's rows counted up to cap + 1, in one query: a scalar subquery per
    count, each a LIMIT over the partial (kind, due_at, id) index."""
    parts: list[str] = []
    params: list[Any] = []
    for queryset in querysets:
        sql, part_params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
        parts.append(f"(SELECT count(*) FROM ({sql}) counted)")
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return [CappedCount(count=count, cap=cap) for count in row]


def task_list_for_deliveries(
    *,
    now: dt.datetime | None = None,
    only: str | None = None,
    after: TaskCursor | None = None,
    limit: int = DELIVERY_PAGE,
) -> list[DeliveryGroup]:
    """Open delivery tasks in overdue / today / tomorrow / later by their deadline in the
    company's time zone: each group's first `limit` tasks soonest due first with their
    orders, customers, carriers and responsible people, its count up to a cap, and the
    cursor of its next tasks. With `only`, that group alone, after the cursor.

    Two queries, each reading bounded ranges of the partial (kind, due_at, id) index of
    open tasks: the counts, and the groups' pages as one UNION ALL of a LIMIT per group
    (one query per group where the database cannot order and limit inside a UNION)."""
    bounds = delivery_bounds(now or timezone.now())
    keys = [only] if only in DELIVERY_GROUPS else list(DELIVERY_GROUPS)
    querysets = [_open_deliveries(bounds[key]) for key in keys]
    counts = _capped_counts(querysets, COUNT_CAP)
    pages = []
    for queryset in querysets:
        if only and after is not None:
            queryset = queryset.filter(after.condition())
        related = queryset.select_related("order__customer", "order__carrier", "assignee")
        pages.append(related.order_by("due_at", "id")[: limit + 1])
    if len(pages) > 1 and connection.features.supports_slicing_ordering_in_compound:
        rows = list(pages[0].union(*pages[1:], all=True))
    else:
        rows = [task for page in pages for task in page]
    groups = []
    for key, count in zip(keys, counts, strict=True):
        start, end = bounds[key]
        found = sorted(
            (
                task
                for task in rows
                if (start is None or task.due_at >= start) and (end is None or task.due_at < end)
            ),
            key=lambda task: (task.due_at, task.pk),
        )
        tasks = found[:limit]
        next_cursor = TaskCursor.of(tasks[-1]) if len(found) > limit else None
        groups.append(DeliveryGroup(key=key, tasks=tasks, count=count, next_cursor=next_cursor))
    return groups
