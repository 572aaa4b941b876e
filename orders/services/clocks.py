"""The client's clock kept on the order: started when the ball passes to the client, its
spell added up when it comes back to us (orders.clocks declares who holds it)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Min
from django.utils import timezone

from orders.calendar import WorkingTime
from orders.clocks import order_wait, periods
from orders.models import (
    OPEN_TASK_STATUSES,
    UNFINISHED_TASK_STATUSES,
    Department,
    Order,
    Task,
    TimelineEvent,
)


def order_clock_sync(order: Order, *, now: dt.datetime | None = None) -> bool:
    """Start or stop the client's clock when who holds the ball has changed: after every
    stage move (pipeline.flow), and after anything else that passes the ball. Changes the
    order's fields only (the caller saves it) and, when the ball comes back to us, moves
    the order's unfinished production deadlines on by the working time the client held
    it: the shop was not late while it waited. True when the clock changed."""
    now = now or timezone.now()
    waiting = order_wait(order) is not None
    if waiting and order.client_since is None:
        order.client_since = now
        return True
    if not waiting and order.client_since is not None:
        since = order.client_since
        order.client_seconds += max(0, int((now - since).total_seconds()))
        order.client_since = None
        if order.pk is not None:
            _production_resume(order, since=since, now=now)
        return True
    return False


def _production_resume(order: Order, *, since: dt.datetime, now: dt.datetime) -> None:
    """Move the deadlines of production tasks that were unfinished while the client held
    the order by the working hours of the wait (counted from each task's creation, for one
    opened during it). A deadline moved into the future may be reminded of and escalated
    again."""
    tasks = list(
        Task.objects.select_for_update()
        .filter(
            order=order,
            department=Department.PRODUCTION,
            status__in=UNFINISHED_TASK_STATUSES,
            created_at__lt=now,
        )
        .order_by("id")
    )
    if not tasks:
        return
    working_time = WorkingTime.load(around=since)
    for task in tasks:
        paused = working_time.working_hours_between(max(since, task.created_at), now)
        if paused <= 0:
            continue
        task.due_at = working_time.add_hours(task.due_at, paused)
        if task.due_at > now:
            task.reminded_at = task.overdue_notified_at = None
    Task.objects.bulk_update(tasks, ["due_at", "reminded_at", "overdue_notified_at"])
    order.next_due_at = order.tasks.filter(status__in=OPEN_TASK_STATUSES).aggregate(
        m=Min("due_at")
    )["m"]


def order_clocks_rebuild(*, batch: int = 1000, now: dt.datetime | None = None) -> int:
    """Set every order's client clock from its timeline's stage moves: for orders older than
    the clock, or made with their moments rewritten (the demo's stories). A spell that is
    not a whole stage (an approval) is not in the timeline's moves and is not rebuilt.
    Reads and writes `batch` orders at a time (three queries each); returns how many
    orders changed."""
    now = now or timezone.now()
    changed, after = 0, 0
    while True:
        orders = list(
            Order.objects.filter(pk__gt=after)
            .order_by("pk")
            .only(
                "stage",
                "delivery_method",
                "created_at",
                "stage_changed_at",
                "client_seconds",
                "client_since",
            )[:batch]
        )
        if not orders:
            return changed
        after = orders[-1].pk
        moves: dict[int, list[tuple[dt.datetime, str, str]]] = {}
        for row in (
            TimelineEvent.objects.filter(order__in=orders)
            .exclude(to_stage="")
            .order_by("created_at", "id")
            .values_list("order_id", "created_at", "from_stage", "to_stage")
        ):
            moves.setdefault(row[0], []).append(row[1:])
        touched = []
        for order in orders:
            spans = periods(order, moves.get(order.pk, []), now=now)
            current = spans[-1] if spans and order.is_open and spans[-1].end == now else None
            seconds = sum(
                int((span.end - span.start).total_seconds())
                for span in spans
                if span.wait is not None and span is not current
            )
            since = current.start if current is not None and current.wait is not None else None
            if (order.client_seconds, order.client_since) != (seconds, since):
                order.client_seconds, order.client_since = seconds, since
                touched.append(order)
        Order.objects.bulk_update(touched, ["client_seconds", "client_since"])
        changed += len(touched)
