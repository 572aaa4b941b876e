"""Tasks done and handed on: completing a task tells the pipeline what it unblocks (the
order taken into work, a line made, the order delivered)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_noop

from core.texts import Msg
from logistics.services import delivery_record
from notifications.staff import task_announce, task_assigned
from orders import rules
from orders.models import EventKind, Stage, Task, TaskKind
from orders.rules import OrderError
from orders.services import tasks
from orders.services.common import event_record, lock_order, order_recalculate
from pipeline.flow import Context, Event, handle
from production.services import (
    AMOUNT_NEGATIVE,
    NOT_A_PRODUCTION_TASK,
    line_actual_cost,
    line_cost_record,
    line_cost_so_far,
    line_for_costing,
    production_task_finish,
)


def task_complete(
    *,
    task: Task,
    actor: User,
    actual_cost: Decimal | None = None,
    note: str = "",
    shipped_on: dt.date | None = None,
    tracking_number: str = "",
) -> Task:
    """Complete a task and make whatever it unblocks happen (the robots)."""
    with transaction.atomic():
        order = lock_order(task.order_id)
        task = Task.objects.select_for_update().get(pk=task.pk)
        if not task.is_open:
            raise OrderError(str(rules.TASK_NOT_OPEN) % {"status": task.get_status_display()})
        if note:
            task.note = note
            task.save(update_fields=["note"])
        ctx = Context(order, actor)
        if task.kind == TaskKind.TAKE_INTO_WORK and order.stage == Stage.NEW:
            handle(Event.TAKEN_INTO_WORK, Context(order, actor, {"tasks": [task]}))
        elif task.kind == TaskKind.PRODUCE_LINE:
            done = production_task_finish(
                order=order, task=task, actor=actor, actual_cost=actual_cost
            )
            if done.opened is not None:
                task_announce(done.opened, order=order)
            if done.line is not None:
                handle(Event.LINE_MADE, Context(order, actor, {"line": done.line}))
        elif task.kind == TaskKind.DELIVER:
            delivery_record(
                order=order,
                task=task,
                actor=actor,
                shipped_on=shipped_on,
                tracking_number=tracking_number,
            )
            handle(Event.DELIVERED, ctx)
        elif task.kind == TaskKind.TAKE_INTO_WORK:
            tasks.task_close(task, actor=actor)  # taken into work some other way already
        else:
            tasks.task_close(task, actor=actor)
            event_record(
                order=order,
                kind=EventKind.TASK,
                actor=actor,
                text=Msg(gettext_noop("Task done: %(title)s"), title=task.title_text),
            )
        order_recalculate(order)
    return task


def production_task_done(
    *,
    task: Task,
    actor: User,
    materials_cost: Decimal | None = None,
    labour_minutes: int | None = None,
    note: str = "",
) -> Task:
    """The shop floor ticks a line (or one operation of it) off, optionally with what it
    actually took; an operation's materials and minutes add up to the line's."""
    if task.kind != TaskKind.PRODUCE_LINE:
        raise OrderError(str(NOT_A_PRODUCTION_TASK))
    if materials_cost is not None and materials_cost < 0:
        raise OrderError(errors={"materials_cost": [str(AMOUNT_NEGATIVE)]})
    with transaction.atomic():
        line = line_for_costing(task)
        if task.step:
            materials_cost, labour_minutes = line_cost_so_far(
                line=line, materials_cost=materials_cost, labour_minutes=labour_minutes
            )
        actual = line_actual_cost(
            line=line, materials_cost=materials_cost, labour_minutes=labour_minutes
        )
        task = task_complete(task=task, actor=actor, actual_cost=actual, note=note.strip())
        if actual is not None:
            line_cost_record(
                line=line,
                actor=actor,
                total=actual,
                materials_cost=materials_cost,
                labour_minutes=labour_minutes,
            )
    return task


def task_reassign(*, task: Task, assignee: User, actor: User) -> Task:
    """Another person of the department takes the task over, and is told."""
    task = tasks.task_reassign(task=task, assignee=assignee, actor=actor)
    task_assigned(task, assignee=assignee)
    return task
