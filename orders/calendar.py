"""Deadlines counted in working hours of the company's calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from orders.models import Holiday, WorkingCalendar


@dataclass(frozen=True)
class WorkingTime:
    day_start: dt.time
    day_end: dt.time
    weekdays: frozenset[int]
    # date → is it worked; overrides the weekday rule (holidays, moved working days).
    overrides: dict[dt.date, bool]

    @classmethod
    def load(cls, *, around: dt.datetime | None = None) -> WorkingTime:
        """Two queries: the calendar row and the exceptions of the next year and a half."""
        calendar = WorkingCalendar.load()
        start = timezone.localdate(around or timezone.now())
        overrides = dict(
            Holiday.objects.filter(
                date__gte=start - dt.timedelta(days=31), date__lte=start + dt.timedelta(days=550)
            ).values_list("date", "is_working_day")
        )
        return cls(calendar.day_start, calendar.day_end, frozenset(calendar.weekdays), overrides)

    @property
    def hours_per_day(self) -> Decimal:
        start = dt.datetime.combine(dt.date.min, self.day_start)
        end = dt.datetime.combine(dt.date.min, self.day_end)
        return Decimal((end - start).total_seconds()) / 3600

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() in self.weekdays

    def add_hours(self, start: dt.datetime, hours: Decimal | float | int) -> dt.datetime:
        """The moment `hours` working hours after `start`; time outside working hours,
        weekends and holidays does not count."""
        tz = timezone.get_current_timezone()
        cursor = timezone.localtime(start, tz)
        remaining = dt.timedelta(seconds=round(float(hours) * 3600))
        day = cursor.date()
        for _ in range(3700):
            if self.is_working_day(day):
                opens = dt.datetime.combine(day, self.day_start, tzinfo=tz)
                closes = dt.datetime.combine(day, self.day_end, tzinfo=tz)
                begin = max(cursor, opens)
                if begin < closes:
                    if remaining <= closes - begin:
                        return begin + remaining
                    remaining -= closes - begin
            day += dt.timedelta(days=1)
            cursor = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        raise ValueError("The working calendar has no working days in the next ten years.")

    def subtract_hours(self, end: dt.datetime, hours: Decimal | float | int) -> dt.datetime:
        """The latest moment from which `hours` working hours have passed by `end`."""
        tz = timezone.get_current_timezone()
        cursor = timezone.localtime(end, tz)
        remaining = dt.timedelta(seconds=round(float(hours) * 3600))
        day = cursor.date()
        for _step in range(3700):
            if self.is_working_day(day):
                opens = dt.datetime.combine(day, self.day_start, tzinfo=tz)
                closes = dt.datetime.combine(day, self.day_end, tzinfo=tz)
                finish = min(cursor, closes)
                if finish > opens:
                    if remaining <= finish - opens:
                        return finish - remaining
                    remaining -= finish - opens
            day -= dt.timedelta(days=1)
            cursor = dt.datetime.combine(day, dt.time.max, tzinfo=tz)
        raise ValueError("The working calendar has no working days in the last ten years.")

    def add_days(self, start: dt.datetime, days: int) -> dt.datetime:
        return self.add_hours(start, self.hours_per_day * days)

    def end_of_day(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.day_end, tzinfo=timezone.get_current_timezone())

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> Decimal:
        """Working hours elapsed from `start` to `end` (0 when end is before start)."""
        tz = timezone.get_current_timezone()
        start, end = timezone.localtime(start, tz), timezone.localtime(end, tz)
        total = dt.timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                opens = max(start, dt.datetime.combine(day, self.day_start, tzinfo=tz))
                closes = min(end, dt.datetime.combine(day, self.day_end, tzinfo=tz))
                if closes > opens:
                    total += closes - opens
            day += dt.timedelta(days=1)
        return Decimal(total.total_seconds()) / 3600
