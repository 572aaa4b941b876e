"""Delivery details, the logistics task and handing the order over. The stage moves these
set off are the pipeline's (pipeline/flow.py)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.texts import Msg
from logistics.models import Carrier
from orders import rules
from orders.calendar import WorkingTime
from orders.models import DeliveryMethod, Department, Order, Task, TaskKind
from orders.rules import OrderError
from orders.services.tasks import task_close, task_create


def delivery_details_apply(
    *,
    order: Order,
    carrier: Carrier | None = None,
    delivery_address: str | None = None,
    planned_ship_date: dt.date | None = None,
    pickup_date: dt.date | None = None,
) -> None:
    """Set how and when the order leaves; every missing detail is refused at once, with
    its field. Caller holds the order's lock and saves it."""
    if carrier is not None:
        order.carrier = carrier
    if delivery_address is not None:
        order.delivery_address = delivery_address
    order.planned_ship_date = planned_ship_date
    order.pickup_date = pickup_date
    problems = rules.delivery_details_problems(order)
    if problems:
        raise OrderError(errors=problems)


def delivery_task_open(*, order: Order) -> Task:
    """Logistics' task: ship (or hand over) on the day set, by the end of that working day."""
    working_time = WorkingTime.load()
    day = (
        order.pickup_date
        if order.delivery_method == DeliveryMethod.PICKUP
        else order.planned_ship_date
    )
    assert day is not None  # orders.rules asks for the date before delivery
    due_at: dt.datetime | None
    due_at = working_time.end_of_day(day)
    if due_at <= timezone.now():
        due_at = None  # a date in the past: the SLA gives a reachable deadline
    if order.delivery_method == DeliveryMethod.PICKUP:
        title = Msg(gettext_noop("Hand over order %(number)s (pickup)"), number=order.number)
    else:
        title = Msg(gettext_noop("Ship order %(number)s"), number=order.number)
    return task_create(
        order=order,
        kind=TaskKind.DELIVER,
        department=Department.LOGISTICS,
        title=title,
        due_at=due_at,
        working_time=working_time,
    )


def delivery_record(
    *,
    order: Order,
    task: Task,
    actor: User | None,
    shipped_on: dt.date | None = None,
    tracking_number: str = "",
) -> None:
    """The delivery task is done: when it left and its tracking number. Caller holds the
    order's and the task's locks and saves the order (with its move to won)."""
    task_close(task, actor=actor)
    order.shipped_on = shipped_on or timezone.localdate()
    order.tracking_number = tracking_number.strip()


def delivery_client_message(order: Order) -> str:
    """Which message tells the client the order has left: shipped or picked up."""
    return "picked_up" if order.delivery_method == DeliveryMethod.PICKUP else "shipped"
