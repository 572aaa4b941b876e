"""The date promised to the client: proposed from the production schedule at
qualification, accepted or set later by the manager, and moved by a late prepayment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.texts import Msg
from invoices.models import InvoiceKind, InvoiceStatus
from notifications.client import tell_client
from orders import rules
from orders.calendar import WorkingTime
from orders.models import OPEN_STAGES, EventKind, Order, Stage
from orders.rules import OrderError
from orders.services.common import event_record, lock_order
from orders.services.promise import (
    order_promise_record,
    pay_by_expected,
    promise_move_after_payment,
    promise_move_to_pay_by,
)
from production.planning import promise_propose, schedule_request

# While the terms are being agreed; afterwards the promise moves only with the payment.
PROMISE_STAGES = (Stage.NEW, Stage.QUALIFICATION)


@dataclass(frozen=True)
class Offer:
    """What can be promised now: the earliest date, and for an order paid in advance the
    pay-by date the promise counts from (production starts after the payment)."""

    earliest: dt.date
    pay_by: dt.date | None
    ready_at: dt.datetime


def promise_offer(order: Order) -> Offer:
    """The schedule's earliest promise for `order`; an order paid in advance starts after
    the end of its pay-by day."""
    pay_by = pay_by_expected() if order.needs_prepayment else None
    start = WorkingTime.load().end_of_day(pay_by) if pay_by is not None else None
    proposal = promise_propose(order, start=start)
    return Offer(earliest=proposal.promised_date, pay_by=pay_by, ready_at=proposal.ready_at)


def order_promise(*, order: Order, actor: User, promised_date: dt.date | None = None) -> Order:
    """Promise the client a date: the earliest proposed (no date given) or a later one;
    an earlier one is refused with the earliest possible named."""
    with transaction.atomic():
        order = lock_order(order)
        if order.stage not in PROMISE_STAGES:
            raise rules.wrong_stage(order)
        offer = promise_offer(order)
        promised = promised_date or offer.earliest
        if promised < offer.earliest:
            message = str(rules.PROMISE_TOO_EARLY) % {"date": rules.day(offer.earliest)}
            raise OrderError(errors={"promised_date": [message]})
        order_promise_record(order=order, actor=actor, promised_date=promised, pay_by=offer.pay_by)
    return order


def promise_after_payment(*, order: Order, paid_at: dt.datetime | None) -> dt.date | None:
    """The prepayment covered, production starts: a promise counted from the payment moves
    when the money came after the pay-by date, and the client is told the new date (once:
    a second look at the same payment finds the promise already moved)."""
    paid_on = timezone.localdate(paid_at or timezone.now())
    moved = promise_move_after_payment(order=order, paid_on=paid_on)
    if moved is not None:
        tell_client(order=order, kind="promise_moved", promised_date=moved.isoformat())
    return moved


def promise_after_invoice(*, order: Order) -> dt.date | None:
    """The prepayment invoice issued: the promise counts from its due date (later than the
    pay-by date promised when the order is qualified days after the promise)."""
    due = (
        order.invoices.filter(kind=InvoiceKind.PREPAYMENT)
        .exclude(status=InvoiceStatus.VOID)
        .order_by("-id")
        .values_list("due_date", flat=True)
        .first()
    )
    return promise_move_to_pay_by(order=order, pay_by=due) if due is not None else None


def order_priority_set(*, order: Order, actor: User, priority: int) -> Order:
    """The head of production puts the order ahead of others (or behind): recorded in the
    timeline, and the schedule computed again after the commit."""
    with transaction.atomic():
        order = lock_order(order)
        if order.stage not in OPEN_STAGES:
            raise rules.wrong_stage(order)
        was = order.priority
        if priority == was:
            return order
        order.priority = priority
        order.save(update_fields=["priority", "updated_at"])
        event_record(
            order=order,
            kind=EventKind.PRIORITY,
            actor=actor,
            text=Msg(
                gettext_noop("Production priority changed from %(was)s to %(now)s"),
                was=was,
                now=priority,
            ),
        )
        schedule_request()
    return order
