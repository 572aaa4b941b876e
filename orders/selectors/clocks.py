"""The order page's two clocks: the working time the order has been on us, and the time it
has waited on the client, with who holds the ball now (orders.clocks classes the periods)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from orders.calendar import WorkingTime
from orders.clocks import client_seconds, order_wait, periods, working_hours_on_us
from orders.models import Order, Stage, TimelineEvent

US, CLIENT = "us", "client"


@dataclass(frozen=True)
class Clocks:
    on_us: str  # working time of the company calendar: "3 wd 4 h"
    on_client: str  # calendar time: "2 days 5 h"
    holder: str  # US, CLIENT, or "" once the order is won or lost (both clocks stopped)
    now: str  # who holds it now, doing what, for how long; "" once closed


def order_clocks(
    order: Order,
    events: Iterable[TimelineEvent],
    *,
    now: dt.datetime | None = None,
) -> Clocks:
    """From the order's stage moves in its timeline (already read for the page) and the
    company calendar (two queries)."""
    now = now or timezone.now()
    # In the order they were written: moves of one instant keep their sequence.
    moves = [
        (event.created_at, event.from_stage, event.to_stage)
        for event in sorted(events, key=lambda event: (event.created_at, event.pk))
        if event.to_stage
    ]
    working_time = WorkingTime.load(around=order.created_at)
    on_us = working_hours_on_us(periods(order, moves, now=now), working_time)
    on_client = client_seconds(order, now=now)
    if not order.is_open:
        return Clocks(working(on_us, working_time), calendar(on_client), "", "")
    wait = order_wait(order)
    if wait is not None:
        # An order written without the clock (bench/seed.py's) waits since it entered.
        since = order.client_since or order.stage_changed_at
        spell = calendar(int((now - since).total_seconds()))
        headline = _("Now waiting on the client: %(wait)s, %(time)s") % {
            "wait": wait.label,
            "time": spell,
        }
        holder = CLIENT
    else:
        in_stage = working_time.working_hours_between(order.stage_changed_at, now)
        headline = _("Now on us: %(stage)s, %(time)s") % {
            "stage": Stage(order.stage).label,
            "time": working(in_stage, working_time),
        }
        holder = US
    return Clocks(working(on_us, working_time), calendar(on_client), holder, headline)


def working(hours: Decimal, working_time: WorkingTime) -> str:
    """Working hours as working days of the calendar and hours: "3 wd 4 h"."""
    per_day = int(working_time.hours_per_day * 60) or 1
    days, minutes = divmod(int(hours * 60), per_day)
    parts = [pgettext("working time", "%(days)s wd") % {"days": days}] if days else []
    return " ".join(parts + _rest(minutes, days=bool(days)))


def calendar(seconds: int) -> str:
    """Calendar time as days and hours: "2 days 5 h"."""
    days, minutes = divmod(max(0, seconds) // 60, 24 * 60)
    parts = [ngettext("%(days)s day", "%(days)s days", days) % {"days": days}] if days else []
    return " ".join(parts + _rest(minutes, days=bool(days)))


def _rest(minutes: int, *, days: bool) -> list[str]:
    """The hours after the days; the minutes when there is less than an hour in all."""
    hours, minutes = divmod(minutes, 60)
    if hours:
        return [pgettext("duration", "%(hours)s h") % {"hours": hours}]
    if not days:
        return [pgettext("duration", "%(minutes)s min") % {"minutes": minutes}]
    return []
