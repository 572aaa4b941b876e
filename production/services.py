"""Production: costing lines and the shop floor's tasks."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from core.money import Quantity
from core.texts import Msg
from orders.assignment import pick_assignee
from orders.calendar import WorkingTime
from orders.models import CENT, Department, EventKind, LineStatus, Order, OrderLine, Task, TaskKind
from orders.rules import OrderError
from orders.services.common import event_record, order_recalculate
from orders.services.tasks import task_close, task_create
from production.models import BillOfMaterialsItem, LineCost, Product
from production.summaries import margin_lines_count

NOT_A_PRODUCTION_TASK = gettext_lazy("This is not a production task.")
AMOUNT_NEGATIVE = gettext_lazy("The amount cannot be negative.")


def production_start(*, order: Order, actor: User | None) -> list[Task]:
    """Entering production: snapshot each line's standard cost and give every line a task
    with a deadline from the product's lead time; returns the tasks opened. Caller holds
    the order's lock."""
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
    tasks = [
        task_create(
            order=order,
            kind=TaskKind.PRODUCE_LINE,
            department=Department.PRODUCTION,
            title=Msg(
                gettext_noop("Make %(name)s × %(quantity)s"),
                name=line.name,
                quantity=Quantity(line.quantity),
            ),
            line=line,
            assignee=production_assignee(line.product),
            due_at=working_time.add_days(now, line.product.lead_time_days),
            working_time=working_time,
        )
        for line in lines
    ]
    event_record(
        order=order,
        kind=EventKind.PRODUCTION,
        actor=actor,
        text=Msg(gettext_noop("Production started: %(count)s lines"), count=len(lines)),
    )
    order_recalculate(order)
    return tasks


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
