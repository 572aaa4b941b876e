"""Numbers, the order's lock, its timeline and its recomputed totals: what every write of
an order uses."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Min, Sum
from django.utils import timezone

from core.texts import Msg
from orders.models import (
    OPEN_TASK_STATUSES,
    ZERO,
    DeliveryMethod,
    LineStatus,
    Order,
    PaymentScheme,
    TimelineEvent,
    YearCounter,
)


def next_number(name: str, *, year: int | None = None) -> tuple[int, int]:
    """The next number of a gapless yearly sequence. Must run inside the transaction that
    uses it: the counter row stays locked until commit, and a rollback returns the number."""
    year = year or timezone.localdate().year
    locked = YearCounter.objects.select_for_update()
    counter = locked.filter(name=name, year=year).first()
    if counter is None:  # the year's first number; get_or_create survives a racing insert
        YearCounter.objects.get_or_create(name=name, year=year)
        counter = locked.get(name=name, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return year, counter.last


def lock_order(order: Order | int) -> Order:
    pk = order if isinstance(order, int) else order.pk
    return Order.objects.select_for_update().select_related("customer").get(pk=pk)


def event_record(
    *,
    order: Order,
    kind: str,
    actor: User | None = None,
    text: str | Msg = "",
    from_stage: str = "",
    to_stage: str = "",
    **data: object,
) -> TimelineEvent:
    """One timeline row. A `Msg` is kept as message and arguments, so each reader sees it
    in their own language; the column holds it in the site's default language."""
    if isinstance(text, Msg):
        data["msg"] = text.as_data()
        text = text.render()
    return TimelineEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor,
        text=text,
        from_stage=from_stage,
        to_stage=to_stage,
        data=data,
    )


def order_recalculate(order: Order) -> Order:
    """Recompute money and progress from lines, payments and tasks (the one place)."""
    lines = list(order.lines.all())
    order.lines_total = sum((line.amount for line in lines), ZERO)
    order.lines_count = len(lines)
    order.lines_made = sum(1 for line in lines if line.status == LineStatus.MADE)
    order.cost_amount = sum((line.cost for line in lines), ZERO)
    delivery = order.delivery_cost or ZERO
    if order.delivery_method == DeliveryMethod.PICKUP:
        delivery = ZERO
    order.total_amount = order.lines_total + delivery
    order.paid_amount = order.payments.aggregate(s=Sum("amount"))["s"] or ZERO
    if order.payment_scheme == PaymentScheme.FULL_PREPAYMENT:
        order.prepayment_amount = order.total_amount
    elif order.payment_scheme == PaymentScheme.POSTPAYMENT:
        order.prepayment_amount = ZERO
    order.next_due_at = order.tasks.filter(status__in=OPEN_TASK_STATUSES).aggregate(
        m=Min("due_at")
    )["m"]
    order.save(
        update_fields=[
            "lines_total",
            "lines_count",
            "lines_made",
            "cost_amount",
            "total_amount",
            "paid_amount",
            "prepayment_amount",
            "next_due_at",
            "updated_at",
        ]
    )
    return order
