"""Finishing an operation on the shop floor: its timer stops and the minutes it recorded
become the labour of the line's actual cost, then the task is done as any production task
(pipeline.work.production_task_done)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction

from orders.models import Task
from orders.services.common import lock_order
from pipeline.work import production_task_done
from production.timer import task_timer_stop, worked_minutes


def task_timer_finish(
    *,
    task: Task,
    actor: User,
    materials_cost: Decimal | None = None,
    labour_minutes: int | None = None,
    note: str = "",
) -> Task:
    """Stop the task's timer and tick it off. Minutes typed in win over the timer's (the
    person forgot to start it, or to pause it over lunch); without either the line keeps
    its standard labour."""
    with transaction.atomic():
        # The order first, then the task: the order in which task_complete locks them.
        lock_order(task.order_id)
        locked = Task.objects.select_for_update().get(pk=task.pk)
        seconds = task_timer_stop(locked) if locked.is_open else 0
        if labour_minutes is None:
            labour_minutes = worked_minutes(seconds)
        return production_task_done(
            task=locked,
            actor=actor,
            materials_cost=materials_cost,
            labour_minutes=labour_minutes,
            note=note,
        )
