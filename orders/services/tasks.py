"""Tasks: opened with a deadline and an assignee, started, reassigned, closed. Who hears of
a task is the pipeline's (it announces them through notifications)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.texts import Msg
from orders import roles, rules
from orders.assignment import DEPARTMENT_GROUPS, pick_assignee
from orders.calendar import WorkingTime
from orders.models import (
    EventKind,
    LineStatus,
    Order,
    OrderLine,
    Task,
    TaskKind,
    TaskSLA,
    TaskStatus,
)
from orders.rules import OrderError
from orders.services.common import event_record

DEFAULT_SLA_HOURS: dict[str, Decimal] = {
    TaskKind.TAKE_INTO_WORK: Decimal(2),
    TaskKind.PRODUCE_LINE: Decimal(24),
    TaskKind.DELIVER: Decimal(8),
    TaskKind.CUSTOM: Decimal(8),
}


def task_create(
    *,
    order: Order,
    kind: str,
    department: str,
    title: str | Msg,
    assignee: User | None = None,
    due_at: dt.datetime | None = None,
    line: OrderLine | None = None,
    working_time: WorkingTime | None = None,
) -> Task:
    if due_at is None:
        working_time = working_time or WorkingTime.load()
        sla = TaskSLA.objects.filter(kind=kind).values_list("working_hours", flat=True).first()
        due_at = working_time.add_hours(timezone.now(), sla or DEFAULT_SLA_HOURS[kind])
    if assignee is None:
        assignee = pick_assignee(department)
    title_msg = title.as_data() if isinstance(title, Msg) else {}
    task = Task.objects.create(
        order=order,
        line=line,
        kind=kind,
        department=department,
        title=(title.render() if isinstance(title, Msg) else title)[:255],
        title_msg=title_msg,
        assignee=assignee,
        due_at=due_at,
    )
    return task


def task_start(*, task: Task, actor: User) -> Task:
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.status != TaskStatus.OPEN:
            raise OrderError(str(rules.TASK_NOT_OPEN) % {"status": task.get_status_display()})
        task.status = TaskStatus.IN_PROGRESS
        task.started_at = timezone.now()
        task.save(update_fields=["status", "started_at"])
        if task.line_id:
            OrderLine.objects.filter(pk=task.line_id, status=LineStatus.PENDING).update(
                status=LineStatus.IN_PROGRESS
            )
    return task


def task_reassign(*, task: Task, assignee: User, actor: User) -> Task:
    groups = {DEPARTMENT_GROUPS.get(task.department), roles.DEPARTMENT_HEADS[task.department]}
    if not (assignee.is_active and assignee.groups.filter(name__in=groups - {None}).exists()):
        raise OrderError(
            str(rules.NOT_IN_DEPARTMENT)
            % {"user": rules.person(assignee), "department": task.get_department_display()}
        )
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if not task.is_open:
            raise OrderError(str(rules.TASK_NOT_OPEN) % {"status": task.get_status_display()})
        task.assignee = assignee
        task.reminded_at = None
        task.save(update_fields=["assignee", "reminded_at"])
        event_record(
            order=task.order,
            kind=EventKind.TASK,
            actor=actor,
            text=Msg(
                gettext_noop("Task “%(title)s” reassigned to %(user)s"),
                title=task.title_text,
                user=rules.person(assignee),
            ),
        )
    return task


def task_close(task: Task, *, actor: User | None, status: str = TaskStatus.DONE) -> None:
    task.status = status
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.save(update_fields=["status", "completed_at", "completed_by"])
