"""The schedule's time and capacity: the company's working days counted from today, and
each work centre's days (capacity, how far each is taken, and the first day with room).
production.schedule plans on them."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

# Ten years: a centre with no capacity within them cannot plan what is queued at it.
MAX_DAYS = 3660
EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Calendar:
    """The company's working days: hours of the day, working weekdays (0 = Monday) and the
    dates that break the weekday rule (a holiday: False, a moved working day: True)."""

    day_start: dt.time
    day_end: dt.time
    weekdays: frozenset[int]
    overrides: Mapping[dt.date, bool]
    tz: dt.tzinfo

    @property
    def hours(self) -> float:
        start = self.day_start.hour * 3600 + self.day_start.minute * 60 + self.day_start.second
        end = self.day_end.hour * 3600 + self.day_end.minute * 60 + self.day_end.second
        return (end - start) / 3600

    def is_working_day(self, day: dt.date) -> bool:
        worked = self.overrides.get(day)
        return day.weekday() in self.weekdays if worked is None else worked


@dataclass(frozen=True, slots=True)
class Centre:
    """A work centre: its capacity on a normal working day, and the dates that differ
    (hours that day; 0: closed, a broken machine)."""

    id: int
    name: str
    hours_per_day: float
    exceptions: Mapping[dt.date, float] = field(default_factory=dict)


class Days:
    """The company's calendar from today: working or not per day index, and the working
    days before each (for working hours between two moments)."""

    def __init__(self, calendar: Calendar, today: dt.date) -> None:
        self.calendar = calendar
        self.today = today
        self.working: list[bool] = []
        self.before: list[int] = [0]  # working days in [0, d)

    def ensure(self, day: int) -> None:
        working, before, calendar = self.working, self.before, self.calendar
        while len(working) <= day:
            worked = calendar.is_working_day(self.today + dt.timedelta(days=len(working)))
            working.append(worked)
            before.append(before[-1] + worked)

    def worked(self, day: int, part: float) -> float:
        """Working days from today's start to `part` of day `day`."""
        self.ensure(day)
        return self.before[day] + (part if self.working[day] else 0.0)

    def at_worked(self, w: float) -> tuple[int, float]:
        """The moment when `w` working days have passed: (day, share of it); a whole number
        of days ends on the evening of the last one."""
        while self.before[-1] < w:
            self.ensure(len(self.working) + 64)
        index = bisect.bisect_left(self.before, w)
        day = max(index - 1, 0)
        return day, w - self.before[day]

    def worked_by_evening(self, day: int) -> float:
        """Working days from today's start to the end of `day` (negative: a day past)."""
        if day >= 0:
            self.ensure(day)
            return self.before[day + 1]
        past = 0
        for back in range(day + 1, 0):
            past += self.calendar.is_working_day(self.today + dt.timedelta(days=back))
        return -float(past)


class CentreDays:
    """One work centre's days: capacity, the fill (how far into the day it is taken, in
    hours of its capacity) and the hours planned. `room[d]` points to the first day from d
    on with room left (itself while it has some); full days are jumped over, and each
    lookup shortens the path it walked, so finding room never rescans a full stretch."""

    __slots__ = ("cap", "centre", "days", "fill", "holes", "room", "used")

    def __init__(self, centre: Centre, days: Days) -> None:
        self.centre = centre
        self.days = days
        self.cap: list[float] = []
        self.fill: list[float] = []
        self.used: list[float] = []
        self.room: list[int] = []
        # Stretches left idle before the fill, per day: an operation that could not start
        # before its line let it leaves one, and work ready earlier takes it up.
        self.holes: dict[int, list[list[float]]] = {}

    def ensure(self, day: int) -> None:
        cap = self.cap
        if len(cap) > day:
            return
        days, centre = self.days, self.centre
        days.ensure(day + 64)
        hours, exceptions = float(centre.hours_per_day), centre.exceptions
        start, working, room = len(cap), days.working, self.room
        for index in range(start, day + 64):
            special = exceptions.get(days.today + dt.timedelta(days=index)) if exceptions else None
            if special is not None:
                capacity = max(float(special), 0.0)
            else:
                capacity = hours if working[index] else 0.0
            cap.append(capacity)
            room.append(index if capacity > 0 else index + 1)
        grown = len(cap) - start
        self.fill.extend([0.0] * grown)
        self.used.extend([0.0] * grown)

    def first_room(self, day: int) -> int:
        """The first day from `day` on with capacity left (MAX_DAYS + 1: none)."""
        room = self.room
        while day <= MAX_DAYS:
            if day >= len(room):
                self.ensure(day)
            following = room[day]
            if following == day:
                return day
            if following >= len(room):
                self.ensure(following)
            room[day] = room[following]
            day = following
        return MAX_DAYS + 1

    def take_up(self, day: int, hours: float) -> None:
        """Preloaded hours (another plan's) on a day."""
        self.ensure(day)
        self.used[day] = hours
        self.fill[day] = min(hours, self.cap[day])
        if self.fill[day] >= self.cap[day] - EPS:
            self.room[day] = day + 1

    def can_work(self) -> bool:
        return float(self.centre.hours_per_day) > 0 or any(
            float(hours) > 0 and date >= self.days.today
            for date, hours in self.centre.exceptions.items()
        )
