"""The shop floor's timer on an operation: start, pause, resume. The time is kept on the
task: seconds of the finished spells (worked_seconds) and the start of the running one
(timer_started_at, null while paused). Finishing the operation is the pipeline's (it
closes the running spell and hands the minutes to the line's actual cost)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from orders import rules
from orders.models import Department, Task, TaskStatus
from orders.rules import OrderError
from orders.services.tasks import task_start
from production.planning import schedule_request

NOT_RUNNING = gettext_lazy("The timer of this task is not running.")
NOT_A_SHOP_FLOOR_TASK = gettext_lazy("Only a production task has a timer.")


@dataclass
class TimerStarted:
    """The task whose timer runs now, and the person's other tasks it paused (one person
    runs one timer at a time: starting another one pauses the first)."""

    task: Task
    paused: list[Task] = field(default_factory=list)


def task_elapsed_seconds(task: Task, now: dt.datetime | None = None) -> int:
    """Seconds worked on the task so far, the running spell included."""
    if task.timer_started_at is None:
        return task.worked_seconds
    now = now or timezone.now()
    return task.worked_seconds + max(0, int((now - task.timer_started_at).total_seconds()))


def worked_minutes(seconds: int) -> int | None:
    """Whole minutes for the line's cost (to the nearest minute, at least one for any time
    recorded); None when the timer was never run."""
    if seconds <= 0:
        return None
    return max(1, (seconds + 30) // 60)


def _spell_close(task: Task, now: dt.datetime) -> None:
    task.worked_seconds = task_elapsed_seconds(task, now)
    task.timer_started_at = None
    task.save(update_fields=["worked_seconds", "timer_started_at"])


def task_timer_start(*, task: Task, actor: User) -> TimerStarted:
    """Start the task (open → in progress) or resume it, and run its timer; any other
    running timer of the task's person is paused. Pressing it twice changes nothing."""
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.department != Department.PRODUCTION:
            raise OrderError(str(NOT_A_SHOP_FLOOR_TASK))
        if task.status == TaskStatus.OPEN:
            task = task_start(task=task, actor=actor)
            # In progress, the operation is planned from now on, not from its turn.
            schedule_request()
        elif task.status != TaskStatus.IN_PROGRESS:
            raise OrderError(str(rules.TASK_NOT_OPEN) % {"status": task.get_status_display()})
        now = timezone.now()
        paused = []
        if task.assignee_id is not None:
            others = (
                Task.objects.select_for_update()
                .filter(
                    assignee_id=task.assignee_id,
                    status=TaskStatus.IN_PROGRESS,
                    timer_started_at__isnull=False,
                )
                .exclude(pk=task.pk)
                .order_by("pk")
            )
            for other in others:
                _spell_close(other, now)
                paused.append(other)
        if task.timer_started_at is None:
            task.timer_started_at = now
            task.save(update_fields=["timer_started_at"])
    return TimerStarted(task=task, paused=paused)


def task_timer_pause(*, task: Task, actor: User) -> Task:
    """Stop the running spell and add it to the time worked."""
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.status != TaskStatus.IN_PROGRESS:
            raise OrderError(str(rules.TASK_NOT_OPEN) % {"status": task.get_status_display()})
        if task.timer_started_at is None:
            raise OrderError(str(NOT_RUNNING))
        _spell_close(task, timezone.now())
    return task


def task_timer_stop(task: Task) -> int:
    """Close the running spell, if any, of a task being finished; its seconds worked.
    Caller holds the task's lock."""
    if task.timer_started_at is not None:
        _spell_close(task, timezone.now())
    return task.worked_seconds
