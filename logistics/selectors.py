"""Reads of logistics: the delivery list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from orders.models import Task, TaskKind


@dataclass
class DeliveryList:
    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    tomorrow: list[Task] = field(default_factory=list)
    later: list[Task] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.tomorrow) + len(self.later)


def task_list_for_deliveries(*, now: dt.datetime | None = None) -> DeliveryList:
    """Every open delivery task, sorted into overdue / today / tomorrow / later by its
    deadline in the company's time zone (one query)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tasks = (
        Task.objects.open()
        .filter(kind=TaskKind.DELIVER)
        .select_related("order__customer", "order__carrier", "assignee")
        .order_by("due_at", "id")
    )
    result = DeliveryList()
    for task in tasks:
        day = timezone.localdate(task.due_at)
        if task.due_at < now:
            result.overdue.append(task)
        elif day == today:
            result.today.append(task)
        elif day == today + dt.timedelta(days=1):
            result.tomorrow.append(task)
        else:
            result.later.append(task)
    return result
