"""Deadlines count working hours only: nights, weekends and holidays do not count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from orders.calendar import WorkingTime
from orders.models import Holiday, TaskKind, TaskSLA, WorkingCalendar
from tests import factories as f

MSK = ZoneInfo("Europe/Moscow")


def msk(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MSK)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (msk(23, 10), 2, msk(23, 12)),  # Monday morning: same day
        (msk(23, 17), 2, msk(24, 10)),  # an hour before closing: next morning
        (msk(23, 20), 2, msk(24, 11)),  # evening: counting starts at 9:00
        (msk(23, 5), 2, msk(23, 11)),  # before opening
        (msk(27, 17), 2, msk(30, 10)),  # Friday afternoon: over the weekend to Monday
        (msk(28, 12), 2, msk(30, 11)),  # Saturday: nothing counts until Monday
        (msk(23, 10), 9, msk(24, 10)),  # a full working day
        (msk(23, 10), Decimal("0.5"), msk(23, 10, 30)),
    ],
)
def test_working_hours_skip_nights_and_weekends(db, start, hours, due):
    assert WorkingTime.load(around=start).add_hours(start, hours) == due


def test_holidays_are_skipped_and_moved_working_days_count(db):
    Holiday.objects.create(date=dt.date(2026, 12, 31), name="Новый год")
    Holiday.objects.create(date=dt.date(2027, 1, 1), name="Новый год")
    Holiday.objects.create(date=dt.date(2027, 1, 2), name="Рабочая суббота", is_working_day=True)
    start = msk(30, 17, month=12)  # Wednesday 17:00
    working_time = WorkingTime.load(around=start)
    # 1 h on Wednesday, Thursday 31st and Friday 1st are holidays, Saturday 2nd is worked.
    assert working_time.add_hours(start, 3) == dt.datetime(2027, 1, 2, 11, 0, tzinfo=MSK)


def test_the_calendar_is_configurable(db):
    calendar = WorkingCalendar.load()
    calendar.day_start, calendar.day_end, calendar.saturday = dt.time(8), dt.time(20), True
    calendar.save()
    start = msk(27, 19)  # Friday 19:00
    assert WorkingTime.load(around=start).add_hours(start, 3) == msk(28, 10)  # Saturday 10:00


def test_working_hours_between_counts_only_working_time(db):
    working_time = WorkingTime.load(around=msk(27, 17))
    assert working_time.working_hours_between(msk(27, 17), msk(30, 10)) == Decimal(2)


def test_a_new_orders_task_deadline_crosses_the_weekend(staff, catalogue):
    TaskSLA.objects.filter(kind=TaskKind.TAKE_INTO_WORK).update(working_hours=Decimal(4))
    with time_machine.travel(msk(27, 16, 30), tick=False):  # Friday 16:30
        order = f.new_order([(catalogue["chair"], 1)])
    assert order.tasks.get().due_at == msk(30, 11, 30)  # 1.5 h Friday + 2.5 h Monday


def test_an_order_arriving_at_night_is_due_after_opening(staff, catalogue):
    with time_machine.travel(msk(24, 23, 40), tick=False):  # Tuesday night
        order = f.new_order([(catalogue["chair"], 1)])
    assert order.tasks.get().due_at == msk(25, 11)
    assert f.refreshed(order).next_due_at == msk(25, 11)
