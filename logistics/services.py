"""Delivery details, the logistics task and handing the order over."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from logistics.models import Carrier
from orders import rules
from orders.calendar import WorkingTime
from orders.models import DeliveryMethod, Department, EventKind, Order, Stage, Task, TaskKind
from orders.rules import OrderError
from orders.texts import Msg

User = AbstractBaseUser


def order_save_delivery_details(
    *,
    order: Order,
    actor: User,
    carrier: Carrier | None = None,
    delivery_address: str | None = None,
    planned_ship_date: dt.date | None = None,
    pickup_date: dt.date | None = None,
    comment: str = "",
) -> Order:
    """Delivery details saved: the order goes to delivery and logistics gets its task."""
    from orders.notify import client_notify
    from orders.services import _move, event_record, lock_order, order_recalculate, task_create

    with transaction.atomic():
        order = lock_order(order)
        if order.stage != Stage.DELIVERY_DETAILS:
            raise rules.wrong_stage(order)
        if carrier is not None:
            order.carrier = carrier
        if delivery_address is not None:
            order.delivery_address = delivery_address
        order.planned_ship_date = planned_ship_date
        order.pickup_date = pickup_date
        problems = rules.delivery_details_problems(order)
        if problems:
            raise OrderError(errors=problems)
        _move(order, "start_delivery", actor=actor)
        if comment.strip():
            event_record(order=order, kind=EventKind.DELIVERY, actor=actor, text=comment.strip())
        working_time = WorkingTime.load()
        day = (
            order.pickup_date
            if order.delivery_method == DeliveryMethod.PICKUP
            else order.planned_ship_date
        )
        due_at = working_time.end_of_day(day)
        if due_at <= timezone.now():
            due_at = None  # a date in the past: the SLA gives a reachable deadline
        if order.delivery_method == DeliveryMethod.PICKUP:
            title = Msg(gettext_noop("Hand over order %(number)s (pickup)"), number=order.number)
        else:
            title = Msg(gettext_noop("Ship order %(number)s"), number=order.number)
        task_create(
            order=order,
            kind=TaskKind.DELIVER,
            department=Department.LOGISTICS,
            title=title,
            due_at=due_at,
            working_time=working_time,
        )
        client_notify(order=order, kind="delivery_details", actor=actor)
        order_recalculate(order)
    return order


def delivery_complete(
    *,
    order: Order,
    task: Task,
    actor: User | None,
    shipped_on: dt.date | None = None,
    tracking_number: str = "",
) -> None:
    """The delivery task is done: the order is shipped (or handed over) and won.
    Caller holds the order's and the task's locks."""
    from orders.notify import client_notify
    from orders.services import _move, _task_close

    _task_close(task, actor=actor)
    order.shipped_on = shipped_on or timezone.localdate()
    order.tracking_number = tracking_number.strip()
    _move(order, "win", actor=actor)
    kind = "picked_up" if order.delivery_method == DeliveryMethod.PICKUP else "shipped"
    client_notify(order=order, kind=kind, actor=actor)
