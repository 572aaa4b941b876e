"""The date promised to the client, counted in working days of the company's calendar.

An order waiting for its prepayment is promised in working days from the payment
(`Order.promise_days`): the date shown ("pay by 14 May — ready by 28 May") holds if the
money comes by the pay-by date, and moves by itself when it comes later."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.texts import Msg
from orders.calendar import WorkingTime
from orders.models import EventKind, Order
from orders.services.common import event_record


def pay_by_expected(today: dt.date | None = None) -> dt.date:
    """The prepayment invoice's due date if it were issued today (invoices' invoice_issue
    gives every invoice INVOICE_DUE_DAYS to be paid)."""
    return (today or timezone.localdate()) + dt.timedelta(days=settings.INVOICE_DUE_DAYS)


def working_days_after(working_time: WorkingTime, day: dt.date, last: dt.date) -> int:
    """How many working days there are after `day`, up to `last` included."""
    if last <= day:
        return 0
    hours = working_time.working_hours_between(
        working_time.end_of_day(day), working_time.end_of_day(last)
    )
    return int(hours // working_time.hours_per_day)


def day_after_working_days(working_time: WorkingTime, day: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `day` (`day` itself for none)."""
    if days <= 0:
        return day
    return timezone.localdate(working_time.add_days(working_time.end_of_day(day), days))


def order_promise_record(
    *, order: Order, actor: User | None, promised_date: dt.date, pay_by: dt.date | None
) -> Order:
    """Store the promise on the locked order: the date, and for an order paid in advance
    the working days from the pay-by date to it. One timeline entry when it changed."""
    working_time = WorkingTime.load()
    days = working_days_after(working_time, pay_by, promised_date) if pay_by is not None else None
    if (order.promised_date, order.promise_days) == (promised_date, days):
        return order  # promised so already: nothing to record
    order.promised_date = promised_date
    order.promise_days = days
    order.save(update_fields=["promised_date", "promise_days", "updated_at"])
    if pay_by is not None:
        text = Msg(
            gettext_noop("Promised to the client: paid by %(pay_by)s, ready by %(date)s"),
            pay_by=pay_by,
            date=promised_date,
        )
    else:
        text = Msg(gettext_noop("Promised to the client: ready by %(date)s"), date=promised_date)
    event_record(order=order, kind=EventKind.PROMISE, actor=actor, text=text)
    return order


def promise_move_after_payment(*, order: Order, paid_on: dt.date) -> dt.date | None:
    """The prepayment came on `paid_on`: the promise counted from it. When that is later
    than the date promised (the money came after the pay-by date), the order's promise
    moves there and the new date is returned; otherwise None and nothing changes.

    The UPDATE is conditional on the date it read, so a payment event seen twice moves
    the promise (and tells the client) once."""
    why = gettext_noop(
        "The prepayment came on %(paid_on)s, after the pay-by date: the promised date "
        "moved from %(was)s to %(date)s"
    )
    return _promise_count_from(order, paid_on, why, "paid_on")


def promise_move_to_pay_by(*, order: Order, pay_by: dt.date) -> dt.date | None:
    """The prepayment invoice is issued with its due date: a promise made on an earlier
    day counted from an earlier pay-by date, and moves by the days between (the invoice
    and its e-mail, sent after the commit, name the new date)."""
    why = gettext_noop(
        "The prepayment invoice is due on %(pay_by)s: the promised date moved from %(was)s "
        "to %(date)s"
    )
    return _promise_count_from(order, pay_by, why, "pay_by")


def _promise_count_from(order: Order, day: dt.date, why: str, name: str) -> dt.date | None:
    if order.promise_days is None or order.promised_date is None:
        return None
    moved = day_after_working_days(WorkingTime.load(), day, order.promise_days)
    if moved <= order.promised_date:
        return None
    was = order.promised_date
    if not Order.objects.filter(pk=order.pk, promised_date=was).update(promised_date=moved):
        return None
    order.promised_date = moved
    event_record(
        order=order, kind=EventKind.PROMISE, text=Msg(why, **{name: day}, was=was, date=moved)
    )
    return moved
