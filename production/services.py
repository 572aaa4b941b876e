"""Production: costing lines and the shop floor's tasks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from core.money import Quantity
from core.texts import Msg
from orders.assignment import pick_assignee
from orders.calendar import WorkingTime
from orders.models import (
    CENT,
    ZERO,
    Department,
    EventKind,
    LineStatus,
    Order,
    OrderLine,
    Task,
    TaskKind,
    TaskStatus,
)
from orders.rules import OrderError
from orders.services.common import event_record, order_recalculate
from orders.services.tasks import task_close
from production.models import BillOfMaterialsItem, LineCost, Operation, Product
from production.planning import schedule_request
from production.summaries import margin_lines_count

NOT_A_PRODUCTION_TASK = gettext_lazy("This is not a production task.")
AMOUNT_NEGATIVE = gettext_lazy("The amount cannot be negative.")


def production_start(*, order: Order, actor: User | None) -> list[Task]:
    """Entering production: snapshot each line's standard cost and give every line its
    tasks: one per operation of the product's routing (the first open, the rest waiting
    for their turn), or one for the whole line when the product has no routing; deadlines
    from the product's lead time. Returns the tasks opened, whose assignees are to be
    told. Caller holds the order's lock."""
    working_time = WorkingTime.load()
    now = timezone.now()
    lines = list(
        order.lines.select_related("product").prefetch_related(
            Prefetch("product__bom", BillOfMaterialsItem.objects.select_related("material")),
            Prefetch("product__operations", Operation.objects.order_by("position", "id")),
        )
    )
    for line in lines:
        line.unit_cost = line.product.standard_cost
        line.status = LineStatus.PENDING
    OrderLine.objects.bulk_update(lines, ["unit_cost", "status"])
    tasks: list[Task] = []
    for line in lines:
        operations = list(line.product.operations.all())
        if operations:
            tasks.extend(_operation_tasks(order, line, operations, working_time, now))
            continue
        tasks.append(
            _production_task(
                order,
                line,
                title=Msg(
                    gettext_noop("Make %(name)s × %(quantity)s"),
                    name=line.name,
                    quantity=Quantity(line.quantity),
                ),
                assignee=production_assignee(line.product),
                due_at=working_time.add_days(now, line.product.lead_time_days),
                planned_minutes=_minutes(line.product.labour_minutes * line.quantity),
            )
        )
    # One INSERT for the order's tasks (the assignees were picked one by one above, each
    # under its SKIP LOCKED claim).
    Task.objects.bulk_create(tasks)
    event_record(
        order=order,
        kind=EventKind.PRODUCTION,
        actor=actor,
        text=Msg(gettext_noop("Production started: %(count)s lines"), count=len(lines)),
    )
    order_recalculate(order)
    schedule_request()
    return [task for task in tasks if task.status == TaskStatus.OPEN]


# Standard minutes as the task's column holds them (a huge quantity of a slow product).
MAX_PLANNED_MINUTES = 2**31 - 1
# Until the schedule plans it, an operation is due within a year of working days at most.
FALLBACK_DAYS_MAX = 250


def _minutes(value: Decimal | int) -> int:
    return min(MAX_PLANNED_MINUTES, max(0, int(Decimal(value).to_integral_value())))


def _production_task(order: Order, line: OrderLine, *, title: Msg, **fields: Any) -> Task:
    return Task(
        order=order,
        line=line,
        kind=TaskKind.PRODUCE_LINE,
        department=Department.PRODUCTION,
        title=title.render()[:255],
        title_msg=title.as_data(),
        **fields,
    )


def operation_title(operation: Operation, line: OrderLine) -> Msg:
    return Msg(
        gettext_noop("%(operation)s: %(name)s × %(quantity)s"),
        operation=operation.name,
        name=line.name,
        quantity=Quantity(line.quantity),
    )


def _operation_tasks(
    order: Order,
    line: OrderLine,
    operations: list[Operation],
    working_time: WorkingTime,
    now: dt.datetime,
) -> list[Task]:
    """The line's routing as tasks. Until the schedule plans them, each operation is due
    at its share of the product's lead time (by standard minutes), and never sooner than
    its own standard minutes after the previous one allow."""
    minutes = [_minutes(operation.minutes_for(line.quantity)) for operation in operations]
    total = sum(minutes)
    lead_hours = working_time.working_hours_between(
        now, working_time.add_days(now, line.product.lead_time_days)
    )
    tasks = []
    done_by = 0
    for step, (operation, planned) in enumerate(zip(operations, minutes, strict=True), start=1):
        done_by += planned
        share = lead_hours * done_by / total if total else lead_hours * step / len(operations)
        hours = min(
            max(share, Decimal(done_by) / 60), working_time.hours_per_day * FALLBACK_DAYS_MAX
        )
        first = step == 1
        tasks.append(
            _production_task(
                order,
                line,
                title=operation_title(operation, line),
                operation=operation,
                work_centre_id=operation.work_centre_id,
                step=step,
                planned_minutes=planned,
                status=TaskStatus.OPEN if first else TaskStatus.WAITING,
                assignee=operation_assignee(operation.work_centre_id, line.product)
                if first
                else None,
                due_at=working_time.add_hours(now, hours),
            )
        )
    return tasks


def production_assignee(product: Product) -> User | None:
    """The least loaded present worker of the product's team; the whole production
    department when the product has no team or nobody of the team is in."""
    if product.team_id is not None:
        worker = pick_assignee(Department.PRODUCTION, team_id=product.team_id)
        if worker is not None:
            return worker
    return pick_assignee(Department.PRODUCTION)


def operation_assignee(work_centre_id: int | None, product: Product) -> User | None:
    """The least loaded present member of the operation's work centre; when nobody of it
    is in, as for a line without a routing (the product's team, then the department)."""
    if work_centre_id is not None:
        worker = pick_assignee(Department.PRODUCTION, work_centre_id=work_centre_id)
        if worker is not None:
            return worker
    return production_assignee(product)


def line_actual_cost(
    *, line: OrderLine, materials_cost: Decimal | None, labour_minutes: int | None
) -> Decimal | None:
    """Materials used plus minutes at the product's labour rate; a part left blank comes
    from the standard cost of the line's quantity. None when nothing was recorded."""
    if materials_cost is None and labour_minutes is None:
        return None
    product = line.product
    if materials_cost is None:
        materials_cost = product.material_cost * line.quantity
    if labour_minutes is None:
        labour = product.labour_cost * line.quantity
    else:
        labour = Decimal(labour_minutes) * product.labour_rate / 60
    return (materials_cost + labour).quantize(CENT)


def line_for_costing(task: Task) -> OrderLine:
    """The line a production task makes, with what its actual cost is computed from."""
    if task.kind != TaskKind.PRODUCE_LINE:
        raise OrderError(str(NOT_A_PRODUCTION_TASK))
    assert task.line_id is not None  # a production task makes one line
    return (
        OrderLine.objects.select_related("product")
        .prefetch_related(
            Prefetch("product__bom", BillOfMaterialsItem.objects.select_related("material"))
        )
        .get(pk=task.line_id)
    )


def line_cost_record(
    *,
    line: OrderLine,
    actor: User,
    total: Decimal,
    materials_cost: Decimal | None,
    labour_minutes: int | None,
) -> None:
    """What making the line really took, as the shop floor reported it."""
    LineCost.objects.update_or_create(
        line=line,
        defaults={
            "materials_cost": materials_cost,
            "labour_minutes": labour_minutes,
            "labour_rate": line.product.labour_rate,
            "total": total,
            "recorded_by": actor,
            "recorded_at": timezone.now(),
        },
    )


@dataclass(frozen=True)
class StepDone:
    """What finishing a production task led to: its line made, or the line's next
    operation opened (its assignee to be told)."""

    line: OrderLine | None = None
    opened: Task | None = None


def production_task_finish(
    *, order: Order, task: Task, actor: User | None, actual_cost: Decimal | None = None
) -> StepDone:
    """A production task is done. An operation with another one waiting after it opens
    that one; the last operation (or a line's only task) makes the line. Caller holds the
    order's and the task's locks."""
    assert task.line_id is not None  # a production task makes one line
    if task.step:
        following = (
            Task.objects.select_for_update(of=("self",))
            .select_related("line__product")
            .filter(line_id=task.line_id, kind=TaskKind.PRODUCE_LINE, status=TaskStatus.WAITING)
            .order_by("step", "id")
            .first()
        )
        if following is not None:
            task_close(task, actor=actor)
            OrderLine.objects.filter(pk=task.line_id, status=LineStatus.PENDING).update(
                status=LineStatus.IN_PROGRESS
            )
            operation_open(following)
            event_record(
                order=order,
                kind=EventKind.PRODUCTION,
                actor=actor,
                text=Msg(gettext_noop("Operation done: %(title)s"), title=task.title_text),
                line_id=task.line_id,
            )
            schedule_request()
            return StepDone(opened=following)
    line = line_mark_made(order=order, task=task, actor=actor, actual_cost=actual_cost)
    if task.step:
        schedule_request()
    return StepDone(line=line)


def operation_open(task: Task, *, working_time: WorkingTime | None = None) -> Task:
    """The line's previous operation is done: this one is somebody's to do now, due when
    the schedule planned it to finish, or when its own standard minutes allow if that plan
    has passed (or there is none yet)."""
    assert task.line is not None  # an operation belongs to a line
    now = timezone.now()
    if task.planned_finish is not None and task.planned_finish > now:
        due_at = task.planned_finish
    else:
        working_time = working_time or WorkingTime.load()
        hours = min(
            Decimal(task.planned_minutes) / 60, working_time.hours_per_day * FALLBACK_DAYS_MAX
        )
        due_at = max(task.due_at, working_time.add_hours(now, hours))
    task.status = TaskStatus.OPEN
    task.assignee = operation_assignee(task.work_centre_id, task.line.product)
    task.due_at = due_at
    task.save(update_fields=["status", "assignee", "due_at"])
    return task


def line_cost_so_far(
    *, line: OrderLine, materials_cost: Decimal | None, labour_minutes: int | None
) -> tuple[Decimal | None, int | None]:
    """What the line took with this task's record added: an operation's materials and
    minutes add to those its line's earlier operations recorded (blank stays blank)."""
    recorded = LineCost.objects.filter(line=line).first()
    if recorded is None:
        return materials_cost, labour_minutes
    if recorded.materials_cost is not None:
        materials_cost = recorded.materials_cost + (materials_cost or ZERO)
    if recorded.labour_minutes is not None:
        labour_minutes = recorded.labour_minutes + (labour_minutes or 0)
    return materials_cost, labour_minutes


def line_mark_made(
    *, order: Order, task: Task, actor: User | None, actual_cost: Decimal | None = None
) -> OrderLine:
    """A production task is done: its line is made. Caller holds the order's and the
    task's locks."""
    task_close(task, actor=actor)
    assert task.line_id is not None  # a production task makes one line
    line = OrderLine.objects.select_for_update().get(pk=task.line_id)
    line.status = LineStatus.MADE
    line.made_at = timezone.now()
    if actual_cost is not None:
        line.actual_cost = actual_cost
    line.save(update_fields=["status", "made_at", "actual_cost"])
    margin_lines_count(lines=[line])
    event_record(
        order=order,
        kind=EventKind.PRODUCTION,
        actor=actor,
        text=Msg(
            gettext_noop("Line made: %(name)s × %(quantity)s"),
            name=line.name,
            quantity=Quantity(line.quantity),
        ),
        line_id=line.pk,
    )
    order_recalculate(order)
    return line
