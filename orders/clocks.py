"""Who holds the ball: the periods of an order's life that wait on the client, and those
that are on us.

The classing is declared here and nowhere else (`CLIENT_STAGES`, `CLIENT_DELIVERY` and
`order_wait`). Everything else reads it: the stage move that starts or stops the client's
clock (orders.services.clocks), the stage limits (notifications.deadlines) and the order
page's two clocks (orders.selectors.clocks).

The client's clock runs in calendar time: the client's days are days, nights and weekends
included. Our clock runs in working hours of the company calendar (orders.calendar), the
unit every deadline and stage limit is counted in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import pgettext_lazy

from orders.calendar import WorkingTime
from orders.models import CLOSED_STAGES, DeliveryMethod, Order, Stage


class Wait(models.TextChoices):
    """What the order waits for the client to do."""

    PREPAYMENT = "prepayment", pgettext_lazy("waiting on the client", "paying the prepayment")
    POSTPAYMENT = "postpayment", pgettext_lazy("waiting on the client", "paying the balance")
    PICKUP = "pickup", pgettext_lazy("waiting on the client", "collecting the order")
    # A mock-up or a drawing the client signs off. Nothing asks for it yet: the step that
    # does adds its condition to `order_wait` and calls orders.services.clocks.
    # order_clock_sync when the approval is asked for and when it comes.
    APPROVAL = "approval", pgettext_lazy("waiting on the client", "approval")


# Stages in which the order waits on the client, whatever else holds.
CLIENT_STAGES: dict[str, Wait] = {
    Stage.PREPAYMENT: Wait.PREPAYMENT,
    Stage.POSTPAYMENT: Wait.POSTPAYMENT,
}
# Stages in which the order waits on the client for one way of delivery: a pickup order
# in delivery is ready, and the client is to come and collect it.
CLIENT_DELIVERY: dict[tuple[str, str], Wait] = {
    (Stage.DELIVERY, DeliveryMethod.PICKUP): Wait.PICKUP,
}


def stage_wait(stage: str, delivery_method: str) -> Wait | None:
    """What an order in this stage waits for the client to do; None: it is on us (or
    closed: won and lost stop both clocks)."""
    if stage in CLOSED_STAGES:
        return None
    return CLIENT_STAGES.get(stage) or CLIENT_DELIVERY.get((stage, delivery_method))


def order_wait(order: Order) -> Wait | None:
    """What the order waits for the client to do now; None: the ball is ours."""
    return stage_wait(order.stage, order.delivery_method)


def client_seconds(order: Order, *, now: dt.datetime) -> int:
    """Calendar seconds the order has waited on the client, the current spell included."""
    seconds = order.client_seconds
    if order.client_since is not None:
        seconds += max(0, int((now - order.client_since).total_seconds()))
    return seconds


@dataclass(frozen=True)
class Period:
    """A stretch of the order's life in one stage, and what it waited for then."""

    stage: str
    start: dt.datetime
    end: dt.datetime
    wait: Wait | None  # None: on us


def periods(
    order: Order,
    moves: Iterable[tuple[dt.datetime, str, str]],
    *,
    now: dt.datetime,
) -> list[Period]:
    """The order's open life cut at its stage moves (when, from stage, to stage; oldest
    first), from its creation to now or to its closing. A move missing from the timeline
    (an order imported as it was) leaves its stage running from `stage_changed_at`."""
    result: list[Period] = []
    stage, start = Stage.NEW.value, order.created_at
    for at, from_stage, to_stage in moves:
        stage = from_stage or stage
        if at > start:
            result.append(Period(stage, start, at, stage_wait(stage, order.delivery_method)))
        stage, start = to_stage, max(start, at)
    if stage != order.stage and order.stage_changed_at > start:
        result.append(
            Period(stage, start, order.stage_changed_at, stage_wait(stage, order.delivery_method))
        )
        stage, start = order.stage, order.stage_changed_at
    if order.stage not in CLOSED_STAGES and now > start:
        result.append(Period(order.stage, start, now, order_wait(order)))
    return result


def working_hours_on_us(spans: Iterable[Period], working_time: WorkingTime) -> Decimal:
    """Working hours of the periods that were on us."""
    return sum(
        (working_time.working_hours_between(p.start, p.end) for p in spans if p.wait is None),
        Decimal(0),
    )
