"""The production schedule, as the rest of the funnel sees it: when an order can be ready,
and asking for the schedule to be computed again after something changed it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from orders.calendar import WorkingTime
from orders.models import Order


@dataclass(frozen=True)
class Proposal:
    """What the manager can promise: when the order's last operation would finish if its
    production started at `start`, and the date to promise the client (that plus the
    delivery lead time)."""

    start: dt.datetime
    ready_at: dt.datetime
    promised_date: dt.date


def promise_propose(order: Order, *, start: dt.datetime | None = None) -> Proposal:
    """The earliest promise for `order` if production starts at `start` (now by default)."""
    working_time = WorkingTime.load()
    start = start or timezone.now()
    days = max(
        (line.product.lead_time_days for line in order.lines.select_related("product")), default=0
    )
    ready_at = working_time.add_days(start, days)
    return Proposal(start=start, ready_at=ready_at, promised_date=timezone.localdate(ready_at))


def schedule_request() -> None:
    """Something the schedule depends on changed: compute it again after the commit."""
