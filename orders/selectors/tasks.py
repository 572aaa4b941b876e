"""Reads of open tasks a page at a time: "My tasks" and its counter, and the keyset cursor
and capped counts the other task lists (shop floor, production board, deliveries) share.

Every function here runs a fixed number of queries and reads a bounded number of rows,
whatever the number of tasks (the tests pin them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils.formats import number_format

from core.keyset import keyset_parse
from orders.models import Task

# Rows on a task list and per "more": a day's work for one person, while the page stays
# far under 100 KB.
TASK_PAGE = 50
# Counters stop counting here ("1,000+"): telling 1,000 from 100,000 open tasks is not worth
# reading 100,000 index entries on every page.
COUNT_CAP = 1000
# The navigation's badge is smaller still.
NAV_COUNT_CAP = 99


@dataclass(frozen=True)
class CappedCount:
    """A number of rows counted up to a cap: shown as "1,000+" past it."""

    count: int  # at most cap + 1
    cap: int

    @property
    def more(self) -> bool:
        return self.count > self.cap

    def __str__(self) -> str:
        if self.more:
            return f"{number_format(self.cap, force_grouping=True)}+"
        return number_format(self.count, force_grouping=True)

    def __bool__(self) -> bool:
        return self.count > 0

    def __int__(self) -> int:
        return min(self.count, self.cap)


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> CappedCount:
    """Count the rows up to cap + 1 (one query: a count over a LIMIT subquery)."""
    return CappedCount(count=queryset.order_by().values("pk")[: cap + 1].count(), cap=cap)


@dataclass(frozen=True)
class TaskCursor:
    """Keyset position on a list of tasks soonest due first: the last task shown."""

    due_at: dt.datetime
    id: int

    def __str__(self) -> str:
        return f"{self.due_at.isoformat()}~{self.id}"

    @classmethod
    def parse(cls, raw: str | None) -> TaskCursor | None:
        position = keyset_parse(raw)
        return cls(*position) if position else None

    @classmethod
    def of(cls, task: Task) -> TaskCursor:
        return cls(task.due_at, task.pk)

    def condition(self) -> Q:
        # `due_at >= c` starts the index range at the cursor; the rest breaks ties on id.
        return Q(due_at__gte=self.due_at) & (Q(due_at__gt=self.due_at) | Q(id__gt=self.id))


def task_page(
    queryset: QuerySet[Task], *, after: TaskCursor | None = None, limit: int = TASK_PAGE
) -> tuple[list[Task], TaskCursor | None]:
    """The next `limit` tasks of the queryset soonest due first, by keyset (never OFFSET),
    and the cursor of the page after it, if any: one query reading limit + 1 rows."""
    if after is not None:
        queryset = queryset.filter(after.condition())
    rows = list(queryset.order_by("due_at", "id")[: limit + 1])
    tasks = rows[:limit]
    return tasks, (TaskCursor.of(tasks[-1]) if len(rows) > limit else None)


def _open_tasks_of(user: User) -> QuerySet[Task]:
    return Task.objects.open().filter(assignee=user)


def task_list_for_user(
    user: User, *, after: TaskCursor | None = None, limit: int = TASK_PAGE
) -> tuple[list[Task], TaskCursor | None]:
    """A page of this person's open tasks, due soonest first, with their orders, clients
    and lines, and the cursor of the next page: one query."""
    queryset = _open_tasks_of(user).select_related("order", "order__customer", "line")
    return task_page(queryset, after=after, limit=limit)


def open_task_count(user: User, *, cap: int = NAV_COUNT_CAP) -> CappedCount:
    """This person's open tasks, counted up to `cap` (one query on the open-task index)."""
    return capped_count(_open_tasks_of(user), cap)
