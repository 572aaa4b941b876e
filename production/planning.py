"""The production schedule, as the rest of the funnel sees it: when an order can be ready,
and asking for the schedule to be computed again after something changed it."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from orders.calendar import WorkingTime
from orders.models import Order
from orders.queue import publish_by_name

logger = logging.getLogger(__name__)

RUN_TASK = "production.tasks.schedule_run"
PREVIEW_TASK = "production.tasks.schedule_preview"
# Set while a run is queued and not yet started: requests meanwhile add nothing to the
# queue. The run clears it as it starts, so a change made during a run queues one more.
QUEUED_KEY = "production:schedule:queued"
QUEUED_TTL = 300
PREVIEW_KEY = "production:schedule:preview:"
PREVIEW_TTL = 600
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Proposal:
    """What the manager can promise: when the order's last operation would finish if its
    production started at `start`, and the date to promise the client (that plus the
    delivery lead time)."""

    start: dt.datetime
    ready_at: dt.datetime
    promised_date: dt.date


@dataclass(frozen=True)
class PreviewRow:
    """One order the head of production's new priorities would change."""

    order: Order
    ready_before: dt.datetime | None
    ready_after: dt.datetime | None
    at_risk_before: bool
    at_risk_after: bool


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
    """Something the schedule depends on changed: compute it again after the commit. A
    burst of changes queues one run (two when one comes in while a run goes)."""
    transaction.on_commit(_queue_run)


def _queue_run() -> None:
    if cache.add(QUEUED_KEY, 1, QUEUED_TTL) and not publish_by_name(RUN_TASK, []):
        cache.delete(QUEUED_KEY)  # the beat's run will come; let the next change try


def schedule_run_requested() -> None:
    """The queued run starts: later changes queue the next one."""
    cache.delete(QUEUED_KEY)
    schedule_run()


def schedule_run() -> None:
    """Plan every unfinished operation and write the plan (planned start and finish,
    work centres' load, orders' planned ready moment and their risk)."""


def schedule_preview(priorities: dict[int, int]) -> list[PreviewRow]:
    """What the plan would be with these priorities (order id → priority): the orders whose
    planned ready moment or risk would change. Nothing is written."""
    return []


def schedule_preview_start(priorities: dict[int, int]) -> str:
    """Compute the preview in the background; its token for schedule_preview_result."""
    token = secrets.token_urlsafe(16)
    publish_by_name(PREVIEW_TASK, [token, sorted(priorities.items())])
    return token


def schedule_preview_store(token: str, priorities: dict[int, int]) -> None:
    rows = [
        (row.order.pk, row.ready_before, row.ready_after, row.at_risk_before, row.at_risk_after)
        for row in schedule_preview(priorities)
    ]
    cache.set(PREVIEW_KEY + token, rows, PREVIEW_TTL)


def schedule_preview_result(token: str) -> list[PreviewRow] | None:
    """The preview's rows, None while it is computed (or when the token is unknown)."""
    if not TOKEN.fullmatch(token):
        return None
    rows = cache.get(PREVIEW_KEY + token)
    if rows is None:
        return None
    orders = Order.objects.in_bulk([row[0] for row in rows])
    return [PreviewRow(orders[row[0]], *row[1:]) for row in rows if row[0] in orders]
