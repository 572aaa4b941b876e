"""The head of production's load view: each work centre's planned hours against its capacity
per day for the next two weeks (from the schedule's WorkCentreLoad rows), the queue of its
next operations, and the operations already late.

Every function here runs a fixed number of queries and returns a bounded number of rows,
whatever the number of tasks (tests/production/test_load.py pins them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from core.keyset import keyset_parse
from orders.calendar import WorkingTime
from orders.models import OPEN_TASK_STATUSES, UNFINISHED_TASK_STATUSES, Department, Task
from production.models import CapacityException, WorkCentre, WorkCentreLoad

LOAD_DAYS = 14
# Operations shown per work centre on the load view, and per "more".
QUEUE_SIZE = 5
QUEUE_PAGE = 25
# Late operations shown at most (the oldest deadlines first).
OVERDUE_LIMIT = 50
# Work centres on the page: a shop has a handful; past this the page stops growing.
CENTRE_LIMIT = 60

ZERO = Decimal("0")
ONE = Decimal("1")


@dataclass(frozen=True)
class LoadDay:
    day: dt.date
    capacity: Decimal
    planned: Decimal
    working: bool  # a working day of the company's calendar
    exception: CapacityException | None = None

    @property
    def over(self) -> bool:
        return self.planned > self.capacity

    @property
    def over_hours(self) -> Decimal:
        return max(self.planned - self.capacity, ZERO)


@dataclass(frozen=True)
class QueueCursor:
    """Keyset position on a work centre's queue: the last operation shown."""

    planned_start: dt.datetime
    id: int

    def __str__(self) -> str:
        return f"{self.planned_start.isoformat()}~{self.id}"

    @classmethod
    def parse(cls, raw: str | None) -> QueueCursor | None:
        position = keyset_parse(raw)
        return cls(*position) if position else None

    @classmethod
    def of(cls, task: Task) -> QueueCursor:
        assert task.planned_start is not None  # the queue holds planned operations only
        return cls(task.planned_start, task.pk)


# The chart: a column per day, its bar the planned hours, a line at the capacity.
CHART_HEIGHT = 100
CHART_COLUMN = 24


@dataclass(frozen=True)
class Bar:
    """Where a day's column sits in the chart's SVG (y grows downwards)."""

    day: LoadDay
    x: int
    height: int
    capacity_y: int

    @property
    def y(self) -> int:
        return CHART_HEIGHT - self.height

    @property
    def middle(self) -> int:
        return self.x + CHART_COLUMN // 2


@dataclass
class CentreLoad:
    centre: WorkCentre
    days: list[LoadDay]
    queue: list[Task] = field(default_factory=list)
    more: QueueCursor | None = None

    @property
    def scale(self) -> Decimal:
        """The hours the chart's full height stands for: the busiest day or the largest
        capacity of the fortnight."""
        return max([day.capacity for day in self.days] + [day.planned for day in self.days] + [ONE])

    @property
    def bars(self) -> list[Bar]:
        scale = self.scale
        return [
            Bar(
                day=day,
                x=index * CHART_COLUMN,
                height=round(day.planned * CHART_HEIGHT / scale),
                capacity_y=CHART_HEIGHT - round(day.capacity * CHART_HEIGHT / scale),
            )
            for index, day in enumerate(self.days)
        ]

    @property
    def chart_width(self) -> int:
        return len(self.days) * CHART_COLUMN

    @property
    def over_days(self) -> int:
        return sum(1 for day in self.days if day.over)


@dataclass
class LoadPage:
    days: list[dt.date]
    centres: list[CentreLoad]
    overdue: list[Task]
    overdue_more: bool
    now: dt.datetime


def load_days(start: dt.date, count: int = LOAD_DAYS) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range(count)]


def _day_load(
    centre: WorkCentre,
    day: dt.date,
    row: WorkCentreLoad | None,
    exception: CapacityException | None,
    working_time: WorkingTime,
) -> LoadDay:
    """The schedule's numbers when it wrote the day; else nothing planned and the capacity
    the calendar and the exceptions give."""
    working = working_time.is_working_day(day)
    if row is not None:
        capacity, planned = row.capacity_hours, row.planned_hours
    elif exception is not None:
        capacity, planned = exception.hours, ZERO
    else:
        capacity, planned = (centre.hours_per_day if working else ZERO), ZERO
    return LoadDay(day, capacity, planned, working, exception)


def _queue_ids(centre_ids: list[int], size: int) -> list[int]:
    """The first `size` planned unfinished operations of each work centre, in one query:
    a LATERAL subquery per centre walks the (work_centre, planned_start, id) index of
    unfinished tasks and stops after `size` entries."""
    if not centre_ids:
        return []
    statuses = [str(status) for status in UNFINISHED_TASK_STATUSES]
    sql = """
        SELECT queued.id FROM unnest(%s::bigint[]) AS centre(id)
        CROSS JOIN LATERAL (
            SELECT task.id FROM orders_task task
            WHERE task.work_centre_id = centre.id AND task.status = ANY(%s)
              AND task.planned_start IS NOT NULL
            ORDER BY task.planned_start, task.id LIMIT %s
        ) queued
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [centre_ids, statuses, size])
        return [row[0] for row in cursor.fetchall()]


def _planned_order(task: Task) -> tuple:
    return (task.planned_start, task.pk)


def _queue_tasks():
    return Task.objects.select_related("order", "line", "assignee", "operation")


def load_for_head(*, start: dt.date | None = None) -> LoadPage:
    """The load view (eight queries): the work centres, their load rows and capacity
    exceptions of the fortnight, the calendar and its exceptions (WorkingTime.load: two),
    the ids of every centre's first operations and of the late operations (one query each),
    and those operations with their orders, lines, people, operations and work centres."""
    now = timezone.now()
    start = start or timezone.localdate(now)
    days = load_days(start)
    end = days[-1]
    centres = list(WorkCentre.objects.order_by("name", "id")[:CENTRE_LIMIT])
    rows = {
        (row.work_centre_id, row.day): row
        for row in WorkCentreLoad.objects.filter(
            work_centre__in=centres, day__gte=start, day__lte=end
        )
    }
    exceptions = {
        (row.work_centre_id, row.date): row
        for row in CapacityException.objects.filter(
            work_centre__in=centres, date__gte=start, date__lte=end
        )
    }
    working_time = WorkingTime.load(around=now)
    centre_ids = [centre.pk for centre in centres]
    queue_ids = _queue_ids(centre_ids, QUEUE_SIZE + 1)
    overdue_ids = _overdue_ids(centre_ids, now, OVERDUE_LIMIT + 1)
    found = {
        task.pk: task
        for task in _queue_tasks()
        .select_related("work_centre")
        .filter(pk__in=[*queue_ids, *overdue_ids])
    }
    queued: dict[int, list[Task]] = {}
    for task in sorted((found[pk] for pk in queue_ids), key=_planned_order):
        assert task.work_centre_id is not None  # queued by work centre
        queued.setdefault(task.work_centre_id, []).append(task)
    overdue = [found[pk] for pk in overdue_ids]  # the oldest deadline first
    loads = []
    for centre in centres:
        tasks = queued.get(centre.pk, [])
        loads.append(
            CentreLoad(
                centre=centre,
                days=[
                    _day_load(
                        centre,
                        day,
                        rows.get((centre.pk, day)),
                        exceptions.get((centre.pk, day)),
                        working_time,
                    )
                    for day in days
                ],
                queue=tasks[:QUEUE_SIZE],
                more=QueueCursor.of(tasks[QUEUE_SIZE - 1]) if len(tasks) > QUEUE_SIZE else None,
            )
        )
    return LoadPage(
        days=days,
        centres=loads,
        overdue=overdue[:OVERDUE_LIMIT],
        overdue_more=len(overdue) > OVERDUE_LIMIT,
        now=now,
    )


def _overdue_ids(centre_ids: list[int], now: dt.datetime, limit: int) -> list[int]:
    """The `limit` late operations with the oldest deadlines, in one query of two bounded
    parts: open operations past their deadline (a range of the open tasks' (department,
    due_at, id) index), and per work centre, unfinished ones past their planned finish (its
    oldest planned starts on the (work_centre, planned_start, id) index: those still
    running by the plan are few, as a centre's capacity is)."""
    open_statuses = [str(status) for status in OPEN_TASK_STATUSES]
    unfinished = [str(status) for status in UNFINISHED_TASK_STATUSES]
    sql = """
        (SELECT task.id, task.due_at FROM orders_task task
         WHERE task.department = %s AND task.status = ANY(%s) AND task.due_at < %s
         ORDER BY task.due_at, task.id LIMIT %s)
        UNION
        (SELECT late.id, late.due_at FROM unnest(%s::bigint[]) AS centre(id)
         CROSS JOIN LATERAL (
            SELECT task.id, task.due_at FROM orders_task task
            WHERE task.work_centre_id = centre.id AND task.status = ANY(%s)
              AND task.planned_start < %s AND task.planned_finish < %s
            ORDER BY task.planned_start, task.id LIMIT %s
         ) late)
        ORDER BY due_at, id LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                Department.PRODUCTION.value,
                open_statuses,
                now,
                limit,
                centre_ids,
                unfinished,
                now,
                now,
                limit,
                limit,
            ],
        )
        return [row[0] for row in cursor.fetchall()]


def queue_page(
    *, centre: WorkCentre, after: QueueCursor | None = None, limit: int = QUEUE_PAGE
) -> tuple[list[Task], QueueCursor | None]:
    """A page of a work centre's planned unfinished operations in the order they are
    planned, after `after`, by keyset on the (work_centre, planned_start, id) index; and
    the cursor of the next page (one query reading limit + 1 rows)."""
    queryset = _queue_tasks().filter(
        work_centre=centre, status__in=UNFINISHED_TASK_STATUSES, planned_start__isnull=False
    )
    if after is not None:
        queryset = queryset.filter(
            Q(planned_start__gt=after.planned_start)
            | Q(planned_start=after.planned_start, id__gt=after.id)
        )
    rows = list(queryset.order_by("planned_start", "id")[: limit + 1])
    tasks = rows[:limit]
    return tasks, (QueueCursor.of(tasks[-1]) if len(rows) > limit else None)
