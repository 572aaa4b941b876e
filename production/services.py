"""Production: costing lines and the shop floor's tasks."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from orders.assignment import pick_assignee
from orders.calendar import WorkingTime
from orders.models import (
    CENT,
    Department,
    EventKind,
    LineStatus,
    Order,
    OrderLine,
    Task,
    TaskKind,
)
from orders.rules import OrderError
from orders.texts import Msg
from production.models import BillOfMaterialsItem, LineCost, Product

User = AbstractBaseUser

NOT_A_PRODUCTION_TASK = gettext_lazy("This is not a production task.")
AMOUNT_NEGATIVE = gettext_lazy("The amount cannot be negative.")


def production_start(*, order: Order, actor: User | None) -> None:
    """Entering production: snapshot each line's standard cost and give every line a task
    with a deadline from the product's lead time. Caller holds the order's lock."""
    from orders.services import event_record, order_recalculate, task_create

    working_time = WorkingTime.load()
    now = timezone.now()
    lines = list(
        order.lines.select_related("product").prefetch_related(
            Prefetch("product__bom", BillOfMaterialsItem.objects.select_related("material"))
        )
    )
    for line in lines:
        line.unit_cost = line.product.standard_cost
        line.status = LineStatus.PENDING
    OrderLine.objects.bulk_update(lines, ["unit_cost", "status"])
    for line in lines:
        task_create(
            order=order,
            kind=TaskKind.PRODUCE_LINE,
            department=Department.PRODUCTION,
            title=Msg(
                gettext_noop("Make %(name)s × %(quantity)s"),
                name=line.name,
                quantity=str(line.quantity.normalize()),
            ),
            line=line,
            assignee=production_assignee(line.product),
            due_at=working_time.add_days(now, line.product.lead_time_days),
            working_time=working_time,
        )
    event_record(
        order=order,
        kind=EventKind.PRODUCTION,
        actor=actor,
        text=Msg(gettext_noop("Production started: %(count)s lines"), count=len(lines)),
    )
    order_recalculate(order)


def production_assignee(product: Product) -> User | None:
    """The least loaded present worker of the product's team; the whole production
    department when the product has no team or nobody of the team is in."""
    if product.team_id is not None:
        worker = pick_assignee(Department.PRODUCTION, team_id=product.team_id)
        if worker is not None:
            return worker
    return pick_assignee(Department.PRODUCTION)


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


def production_task_done(
    *,
    task: Task,
    actor: User,
    materials_cost: Decimal | None = None,
    labour_minutes: int | None = None,
    note: str = "",
) -> Task:
    """The shop floor ticks a line off, optionally with what it actually took."""
    from orders.services import task_complete

    if task.kind != TaskKind.PRODUCE_LINE:
        raise OrderError(str(NOT_A_PRODUCTION_TASK))
    if materials_cost is not None and materials_cost < 0:
        raise OrderError(errors={"materials_cost": [str(AMOUNT_NEGATIVE)]})
    with transaction.atomic():
        line = (
            OrderLine.objects.select_related("product")
            .prefetch_related(
                Prefetch("product__bom", BillOfMaterialsItem.objects.select_related("material"))
            )
            .get(pk=task.line_id)
        )
        actual = line_actual_cost(
            line=line, materials_cost=materials_cost, labour_minutes=labour_minutes
        )
        task = task_complete(task=task, actor=actor, actual_cost=actual, note=note.strip())
        if actual is not None:
            LineCost.objects.update_or_create(
                line=line,
                defaults={
                    "materials_cost": materials_cost,
                    "labour_minutes": labour_minutes,
                    "labour_rate": line.product.labour_rate,
                    "total": actual,
                    "recorded_by": actor,
                    "recorded_at": timezone.now(),
                },
            )
    return task


def line_mark_made(
    *, order: Order, task: Task, actor: User | None, actual_cost: Decimal | None = None
) -> None:
    """A production task is done: its line is made; the last one moves the order on.
    Caller holds the order's and the task's locks."""
    from orders.services import (
        _task_close,
        event_record,
        notify_staff,
        order_finish_production,
        order_recalculate,
    )

    _task_close(task, actor=actor)
    line = OrderLine.objects.select_for_update().get(pk=task.line_id)
    line.status = LineStatus.MADE
    line.made_at = timezone.now()
    if actual_cost is not None:
        line.actual_cost = actual_cost
    line.save(update_fields=["status", "made_at", "actual_cost"])
    event_record(
        order=order,
        kind=EventKind.PRODUCTION,
        actor=actor,
        text=Msg(
            gettext_noop("Line made: %(name)s × %(quantity)s"),
            name=line.name,
            quantity=str(line.quantity.normalize()),
        ),
        line_id=line.pk,
    )
    order_recalculate(order)
    notify_staff(
        user=order.manager,
        order=order,
        text=Msg(
            gettext_noop("Order %(number)s: line made: %(name)s"),
            number=order.number,
            name=line.name,
        ),
    )
    if order.lines_made == order.lines_count:
        order_finish_production(order=order, actor=actor)
