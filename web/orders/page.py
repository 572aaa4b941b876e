"""What the order page shows, read across the departments (orders, invoices) in a fixed
number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F

from documents.models import ClosingDocument
from invoices.models import Invoice, Payment, Receipt
from orders.models import ZERO, EventKind, Order, OrderLine, Stage, Task, TimelineEvent
from orders.selectors.clocks import Clocks, order_clocks


@dataclass
class OrderPage:
    order: Order
    lines: list[OrderLine]
    tasks: list[Task]
    invoices: list
    payments: list
    receipts: list[Receipt]
    events: list[TimelineEvent]
    path: list[str]
    closing_documents: list[ClosingDocument] = field(default_factory=list)
    clocks: Clocks | None = None  # who holds the ball (templates/orders/partials/clocks.html)


# Timeline entries that name sums of money: left out for those who may not see money.
MONEY_EVENTS = (EventKind.INVOICE, EventKind.PAYMENT)


def order_page_data(order: Order, *, money: bool = True) -> OrderPage:
    """Everything the single window shows: six queries (lines, tasks, invoices, payments,
    fiscal receipts, timeline), whatever their number. Without `money` the timeline
    leaves out invoices and payments."""

    lines = list(order.lines.all())
    tasks = list(
        order.tasks.select_related("assignee", "completed_by").order_by(
            F("completed_at").desc(nulls_first=True), "due_at", "id"
        )
    )
    invoices = list(Invoice.objects.filter(order=order).order_by("issued_at", "id"))
    payments = list(
        Payment.objects.filter(order=order)
        .select_related("invoice", "recorded_by")
        .order_by("created_at", "id")
    )
    reversed_ids = {p.reversal_of_id for p in payments if p.reversal_of_id}
    refunded: dict[int, Decimal] = {}
    for payment in payments:
        if payment.refund_of_id:
            refunded[payment.refund_of_id] = (
                refunded.get(payment.refund_of_id, ZERO) - payment.amount
            )
    for payment in payments:
        is_reversed = payment.pk in reversed_ids
        # Marks for the template, not fields of Payment (hence the attr-defined ignores).
        payment.is_reversed = is_reversed  # type: ignore[attr-defined]
        payment.refundable = (  # type: ignore[attr-defined]
            payment.amount - refunded.get(payment.pk, ZERO)
            if payment.amount > 0 and not is_reversed and not payment.reversal_of_id
            else ZERO
        )
    events_shown = order.events.all() if money else order.events.exclude(kind__in=MONEY_EVENTS)
    receipts = list(Receipt.objects.filter(order=order).order_by("created_at", "id"))
    events = list(events_shown.select_related("actor").order_by("-created_at", "-id"))
    # A won order's closing documents, one query more; no other order has any to read.
    documents = (
        list(ClosingDocument.objects.filter(order=order).order_by("kind"))
        if money and order.stage == Stage.WON
        else []
    )
    path = []
    for event in reversed(events):
        if event.to_stage and event.to_stage not in path:
            path.append(event.to_stage)
    if order.stage not in path:
        path.append(order.stage)
    return OrderPage(
        order=order,
        lines=lines,
        tasks=tasks,
        invoices=invoices,
        payments=payments,
        receipts=receipts,
        events=events,
        path=path,
        closing_documents=documents,
        # From the timeline read above (its stage moves) and the calendar: two queries.
        clocks=order_clocks(order, events),
    )
