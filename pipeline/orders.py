"""Actions on an order that move it or tell someone: each locks the order, checks its
guards (refusing with one OrderError and a message a user reads), and hands the event to
pipeline/flow.py, which knows what follows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.texts import Msg
from logistics.models import Carrier
from logistics.services import delivery_details_apply
from notifications.client import event_send_to_client
from notifications.staff import task_announce, tell_staff
from orders import roles, rules
from orders.models import (
    OPEN_STAGES,
    OPEN_TASK_STATUSES,
    Customer,
    Department,
    EventKind,
    Order,
    Source,
    Stage,
    TaskKind,
    TimelineEvent,
)
from orders.rules import OrderError
from orders.selectors.order import manual_targets, transition_between
from orders.services.common import event_record, lock_order, order_recalculate
from orders.services.orders import LineInput, order_record, order_update
from orders.services.tasks import task_create
from pipeline.flow import Context, Event, handle

P = ParamSpec("P")

MOVE_IMPOSSIBLE = gettext_lazy("An order cannot go from “%(source)s” to “%(target)s”.")
MOVE_AUTOMATIC = gettext_lazy(
    "Orders go from “%(source)s” to “%(target)s” by themselves (%(event)s); "
    "this cannot be done by hand."
)
MOVE_NEEDS_REASON = gettext_lazy("Cancel the order on its page: a reason is required.")
QUALIFY_ELSEWHERE = gettext_lazy(
    "With its payment scheme this order goes to “%(target)s” once qualified."
)


def _with_first_task(record: Callable[P, Order]) -> Callable[P, Order]:
    """`record` (orders' order_record) and, in the same transaction, the order's "take
    into work" task, its assignee told."""

    @wraps(record)
    def create(*args: P.args, **kwargs: P.kwargs) -> Order:
        with transaction.atomic():
            order = record(*args, **kwargs)
            task = task_create(
                order=order,
                kind=TaskKind.TAKE_INTO_WORK,
                department=Department.SALES,
                title=Msg(gettext_noop("Take order %(number)s into work"), number=order.number),
                assignee=order.manager,
            )
            task_announce(task, order=order)
            order_recalculate(order)
        return order

    return create


# A new order (order_record's fields), given to a manager with a "take into work" task
# they are told of.
order_create = _with_first_task(order_record)


def order_create_by_staff(
    *,
    customer: Customer | Callable[[], Customer],
    lines: list[LineInput],
    terms: dict[str, Any],
    actor: User,
    qualify: bool = False,
) -> tuple[Order, OrderError | None]:
    """An order typed in by staff, in one transaction with its customer (`customer` may
    be a callable saving a new one). A sales manager keeps it and is on it already (taken
    into work); anyone else (an admin typing in an order taken by phone) creates it with
    the source "admin", and the robot gives it to the least loaded manager.

    With `qualify` a sales manager's order is qualified too; a refusal leaves the order
    created and comes back beside it."""
    in_sales = actor.groups.filter(name__in=[roles.SALES_MANAGERS, roles.HEAD_OF_SALES]).exists()
    with transaction.atomic():
        order = order_create(
            customer=customer() if callable(customer) else customer,
            lines=lines,
            source=Source.MANAGER if in_sales else Source.ADMIN,
            actor=actor,
            manager=actor if in_sales else None,
            delivery_method=terms["delivery_method"],
            delivery_address=terms["delivery_address"],
            delivery_cost=terms["delivery_cost"],
        )
        if in_sales:
            order_take_into_work(order=order, actor=actor)
        order_update(order=order, actor=actor, **terms)
    if not (qualify and in_sales):
        return order, None
    try:
        return order_qualify(order=order, actor=actor), None
    except OrderError as refused:
        return order, refused


def order_save_terms(
    *, order: Order, actor: User, lines: list[LineInput], terms: dict[str, Any], qualify: bool
) -> Order:
    """The qualification form saved: lines and terms stay even when qualifying is then
    refused (the OrderError says why, field by field). Qualifying a new order takes it
    into work first."""
    order = order_update(order=order, actor=actor, lines=lines, **terms)
    if qualify:
        if order.stage == Stage.NEW:
            order_take_into_work(order=order, actor=actor)
        order = order_qualify(order=order, actor=actor)
    return order


@contextmanager
def _locked(order: Order, *stages: str) -> Iterator[Order]:
    """The order locked, in one transaction, for an action allowed in `stages`; in any
    other stage the action is refused (the "wrong stage" message)."""
    with transaction.atomic():
        locked = lock_order(order)
        if locked.stage not in stages:
            raise rules.wrong_stage(locked)
        yield locked


def order_take_into_work(*, order: Order, actor: User) -> Order:
    """The manager starts on a new order: its "take into work" task is done."""
    with _locked(order, Stage.NEW) as order:
        handle(Event.TAKEN_INTO_WORK, Context(order, actor))
        order_recalculate(order)
    return order


def order_qualify(*, order: Order, actor: User) -> Order:
    """Leave qualification: to prepayment (with its invoice) or straight to production."""
    with _locked(order, Stage.QUALIFICATION) as order:
        order_recalculate(order)
        problems = rules.qualification_problems(order)
        if problems:
            raise OrderError(errors=problems)
        handle(Event.QUALIFIED, Context(order, actor))
        order_recalculate(order)
    return order


def order_start_production(*, order: Order, actor: User) -> Order:
    """Manual push out of prepayment (admin): refused while the prepayment is unpaid."""
    with _locked(order, Stage.PREPAYMENT) as order:
        order_recalculate(order)
        if not order.prepayment_paid:
            raise OrderError(
                str(rules.PREPAYMENT_NOT_PAID)
                % {
                    "paid": rules.money(order.paid_amount),
                    "required": rules.money(order.prepayment_amount),
                }
            )
        _after_money(order, actor)
    return order


def order_request_delivery_details(*, order: Order, actor: User) -> Order:
    """Manual push out of postpayment (admin): refused while a balance is due."""
    with _locked(order, Stage.POSTPAYMENT) as order:
        order_recalculate(order)
        if order.balance > 0:
            raise OrderError(str(rules.BALANCE_NOT_PAID) % {"balance": rules.money(order.balance)})
        _after_money(order, actor)
    return order


def _after_money(order: Order, actor: User | None) -> None:
    """The moves money makes, without a new payment (an admin's push)."""
    handle(Event.MONEY_COUNTED, Context(order, actor))


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
    with _locked(order, Stage.DELIVERY_DETAILS) as order:
        delivery_details_apply(
            order=order,
            carrier=carrier,
            delivery_address=delivery_address,
            planned_ship_date=planned_ship_date,
            pickup_date=pickup_date,
        )
        handle(Event.DELIVERY_DETAILS_SAVED, Context(order, actor, {"comment": comment}))
        order_recalculate(order)
    return order


def order_cancel(*, order: Order, actor: User | None, reason: str) -> Order:
    """Lost, from any open stage: open tasks cancelled (whoever was doing one is told to
    stop), open invoices voided; money already received stays on the order as owed back."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(errors={"reason": [str(rules.REASON_MISSING)]})
    with _locked(order, *OPEN_STAGES) as order:
        handle(Event.CANCELLED, Context(order, actor, {"reason": reason}))
        order_recalculate(order)
    return order


def order_hand_over(*, order: Order, manager: User, actor: User) -> Order:
    """The head of sales gives an open order to another manager: the order and its open
    sales tasks move to them (the board counters follow by trigger), both managers are
    told, and the timeline says who did it."""
    if not (
        manager.is_active
        and manager.groups.filter(name__in=[roles.SALES_MANAGERS, roles.HEAD_OF_SALES]).exists()
    ):
        raise OrderError(
            errors={"manager": [str(rules.NOT_A_MANAGER) % {"user": rules.person(manager)}]}
        )
    with _locked(order, *OPEN_STAGES) as order:
        previous = order.manager
        if previous is not None and previous.pk == manager.pk:
            return order
        order.manager = manager
        order.save(update_fields=["manager", "updated_at"])
        for task in order.tasks.select_for_update().filter(
            status__in=OPEN_TASK_STATUSES, department=Department.SALES
        ):
            task.assignee = manager
            task.reminded_at = None
            task.save(update_fields=["assignee", "reminded_at"])
        event_record(
            order=order,
            kind=EventKind.TASK,
            actor=actor,
            text=Msg(
                gettext_noop("Order handed over from %(old)s to %(new)s"),
                old=rules.person(previous),
                new=rules.person(manager),
            ),
        )
        tell_staff(
            to=manager,
            order=order,
            text=Msg(gettext_noop("Order %(number)s was handed over to you"), number=order.number),
        )
        if previous is not None and previous.pk != actor.pk:
            tell_staff(
                to=previous,
                order=order,
                text=Msg(
                    gettext_noop("Order %(number)s was handed over to %(user)s"),
                    number=order.number,
                    user=rules.person(manager),
                ),
            )
    return order


def order_comment(
    *, order: Order, actor: User, text: str, send_to_client: bool = False
) -> TimelineEvent:
    text = text.strip()
    if not text:
        raise OrderError(errors={"text": [_("Write the comment first.")]})
    with transaction.atomic():
        event = event_record(order=order, kind=EventKind.COMMENT, actor=actor, text=text)
        if send_to_client:
            event_send_to_client(event=event, actor=actor)
    return event


def board_move(*, order: Order, target: str, actor: User) -> None:
    """A card dragged (or "Move to…") to a column: the action that makes that move, or a
    refusal saying why not."""
    source_label, target_label = Stage(order.stage).label, Stage(target).label
    if target == Stage.LOST:
        raise OrderError(str(MOVE_NEEDS_REASON))
    transition = transition_between(order.stage, target)
    if transition is None:
        raise OrderError(str(MOVE_IMPOSSIBLE) % {"source": source_label, "target": target_label})
    if not transition.custom.get("manual"):
        raise OrderError(
            str(MOVE_AUTOMATIC)
            % {"source": source_label, "target": target_label, "event": transition.custom["label"]}
        )
    if order.stage == Stage.NEW:
        order_take_into_work(order=order, actor=actor)
    elif order.stage == Stage.QUALIFICATION:
        if target not in manual_targets(order):
            other = Stage.PRODUCTION if target == Stage.PREPAYMENT else Stage.PREPAYMENT
            raise OrderError(str(QUALIFY_ELSEWHERE) % {"target": Stage(other).label})
        order_qualify(order=order, actor=actor)
    elif order.stage == Stage.DELIVERY_DETAILS:
        order_save_delivery_details(
            order=order,
            actor=actor,
            planned_ship_date=order.planned_ship_date,
            pickup_date=order.pickup_date,
        )


def order_finish_production(*, order: Order, actor: User | None) -> None:
    """Every line is made: on to postpayment (with its invoice) or delivery details.
    Caller holds the order's lock."""
    order_recalculate(order)
    if order.stage != Stage.PRODUCTION:
        raise rules.wrong_stage(order)
    if order.lines_made < order.lines_count:
        raise OrderError(
            str(rules.LINES_NOT_MADE) % {"made": order.lines_made, "count": order.lines_count}
        )
    handle(Event.ALL_LINES_MADE, Context(order, actor))
