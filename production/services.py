"""Production: costing lines and the shop floor's tasks."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.calendar import WorkingTime
from orders.models import Department, EventKind, LineStatus, Order, OrderLine, Task, TaskKind
from production.models import BillOfMaterialsItem

User = AbstractBaseUser


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
            title=_("Make %(name)s × %(quantity)s")
            % {"name": line.name, "quantity": line.quantity.normalize()},
            line=line,
            due_at=working_time.add_days(now, line.product.lead_time_days),
            working_time=working_time,
        )
    event_record(
        order=order,
        kind=EventKind.PRODUCTION,
        actor=actor,
        text=_("Production started: %(count)s lines") % {"count": len(lines)},
    )
    order_recalculate(order)


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
        text=_("Line made: %(name)s × %(quantity)s")
        % {"name": line.name, "quantity": line.quantity.normalize()},
        line_id=line.pk,
    )
    order_recalculate(order)
    notify_staff(
        user=order.manager,
        order=order,
        text=_("Order %(number)s: line made: %(name)s")
        % {"number": order.number, "name": line.name},
    )
    if order.lines_made == order.lines_count:
        order_finish_production(order=order, actor=actor)
