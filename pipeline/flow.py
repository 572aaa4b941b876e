"""The funnel in one place: per event and per stage entered, what happens.

Read the two tables at the end, EVENTS and ON_ENTER (docs/pipeline.md prints them). An
event (a payment arrived, a line was made…) runs its `before` steps, then the first of its
moves whose stage matches and whose transition's conditions hold (Order's @transition
methods), then the consequences of the stage entered (ON_ENTER), then its `after` steps,
then the event it leads to, if any.

This module is the only caller of Order's transitions. The services in pipeline/ check an
action's guards, lock the order and call `handle`; departments (invoices, production,
logistics) and notifications never call back up here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext_noop
from django_fsm import can_proceed

from core.money import Amount
from core.texts import Msg
from documents.services import closing_documents_issue
from invoices.models import InvoiceKind
from invoices.services import (
    invoice_issue,
    invoices_close_for_cancel,
    receipt_settlement_queue,
)
from logistics.services import delivery_client_message, delivery_task_open
from notifications import client, staff
from orders import rules
from orders.models import (
    OPEN_STAGES,
    OPEN_TASK_STATUSES,
    UNFINISHED_TASK_STATUSES,
    EventKind,
    Order,
    Stage,
    TaskKind,
    TaskStatus,
)
from orders.services.clocks import order_clock_sync
from orders.services.common import event_record, order_recalculate
from orders.services.tasks import task_close
from pipeline.promise import promise_after_invoice, promise_after_payment
from production.planning import schedule_request
from production.services import production_start
from production.summaries import margin_order_lost


class Event(enum.StrEnum):
    TAKEN_INTO_WORK = "taken_into_work"
    QUALIFIED = "qualified"
    PAYMENT_RECEIVED = "payment_received"
    MONEY_COUNTED = "money_counted"  # after a payment, or an admin's push
    LINE_MADE = "line_made"
    ALL_LINES_MADE = "all_lines_made"
    DELIVERY_DETAILS_SAVED = "delivery_details_saved"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


@dataclass
class Context:
    """One event being handled: the locked order, who did it, and what the event carries
    (a payment, a cancellation reason, a comment)."""

    order: Order
    actor: User | None
    data: dict[str, Any] = field(default_factory=dict)


Step = Callable[[Context], None]


# ----------------------------------------------------------------------------- steps


def tell_client(kind: str, *, carrying: tuple[str, ...] = (), by_system: bool = False) -> Step:
    """The client's e-mail of that kind (templates/emails/<kind>.*), recorded first;
    `carrying`: what of the event it shows (a payment); `by_system`: no one's doing."""

    def step(ctx: Context) -> None:
        client.tell_client(
            order=ctx.order,
            kind=kind,
            actor=None if by_system else ctx.actor,
            **{name: ctx.data[name] for name in carrying},
        )

    step.__doc__ = f"tell the client: {kind}"
    return step


def tell_manager(note: Callable[[Context], Msg], *, unless_actor: bool = False) -> Step:
    """The order's manager hears it (the bell); `unless_actor`: not when they did it."""

    def step(ctx: Context) -> None:
        manager_id = ctx.order.manager_id
        if manager_id is None or (unless_actor and manager_id == getattr(ctx.actor, "pk", None)):
            return
        staff.tell_staff(user_id=manager_id, order=ctx.order, text=note(ctx))

    step.__doc__ = f"tell the manager: {note.__doc__}"
    return step


def payment_note(ctx: Context) -> Msg:
    """payment received"""
    return Msg(
        gettext_noop("Payment of %(amount)s received for order %(number)s"),
        amount=Amount(ctx.data["payment"].amount, ctx.data["payment"].currency),
        number=ctx.order.number,
    )


def line_made_note(ctx: Context) -> Msg:
    """line made"""
    return Msg(
        gettext_noop("Order %(number)s: line made: %(name)s"),
        number=ctx.order.number,
        name=ctx.data["line"].name,
    )


def made_note(ctx: Context) -> Msg:
    """order made"""
    return Msg(gettext_noop("Order %(number)s is made"), number=ctx.order.number)


def recompute(ctx: Context) -> None:
    """recompute the order's money and progress"""
    order_recalculate(ctx.order)


def issue_invoice(kind: str) -> Step:
    """An invoice for what is due now: the prepayment, or the balance after production."""

    def step(ctx: Context) -> None:
        order = ctx.order
        amount = order.prepayment_amount if kind == InvoiceKind.PREPAYMENT else order.balance
        invoice_issue(order=order, kind=kind, amount=amount, actor=ctx.actor)

    step.__doc__ = f"issue the {kind} invoice"
    return step


def start_production(ctx: Context) -> None:
    """production: snapshot costs, one task per line, each worker told."""
    for task in production_start(order=ctx.order, actor=ctx.actor):
        staff.task_announce(task, order=ctx.order)


def promise_from_invoice(ctx: Context) -> None:
    """the promise counted from the prepayment invoice's due date, if later than promised"""
    promise_after_invoice(order=ctx.order)


def keep_promise(ctx: Context) -> None:
    """a prepayment later than its pay-by date moves the promise; the client is told once"""
    payment = ctx.data.get("payment")
    promise_after_payment(order=ctx.order, paid_at=payment.paid_at if payment else None)


def record_delivery_comment(ctx: Context) -> None:
    """logistics' comment on the delivery, if one was written."""
    comment = ctx.data.get("comment", "").strip()
    if comment:
        event_record(order=ctx.order, kind=EventKind.DELIVERY, actor=ctx.actor, text=comment)


def open_delivery_task(ctx: Context) -> None:
    """logistics: the task to ship or hand over, its assignee told."""
    staff.task_announce(delivery_task_open(order=ctx.order), order=ctx.order)


def tell_client_delivered(ctx: Context) -> None:
    """tell the client: shipped (with tracking) or picked up."""
    tell_client(delivery_client_message(ctx.order))(ctx)


def issue_closing_documents(ctx: Context) -> None:
    """documents: the УПД (or act and waybill), e-mailed to a business client."""
    closing_documents_issue(order=ctx.order, actor=ctx.actor)


def send_settlement_receipt(ctx: Context) -> None:
    """invoices: the settlement receipt (54-ФЗ) offsetting the card prepayments

    Sent after commit; its failure never stops the delivery."""
    receipt_settlement_queue(order=ctx.order)


def close_take_into_work(ctx: Context) -> None:
    """the "take into work" task done"""
    tasks = ctx.data.get("tasks") or ctx.order.tasks.select_for_update().filter(
        kind=TaskKind.TAKE_INTO_WORK, status__in=OPEN_TASK_STATUSES
    )
    for task in tasks:
        task_close(task, actor=ctx.actor)


def stop_open_tasks(ctx: Context) -> None:
    """every open task cancelled, and every operation waiting for its turn; whoever was on
    one is told to stop; the production schedule drops them."""
    order, actor = ctx.order, ctx.actor
    open_tasks = (
        order.tasks.select_for_update(of=("self",))
        .filter(status__in=UNFINISHED_TASK_STATUSES)
        .select_related("assignee__profile")  # each doer is told in their language
    )
    for task in open_tasks:
        task_close(task, actor=actor, status=TaskStatus.CANCELLED)
        if task.assignee_id and task.assignee_id != getattr(actor, "pk", None):
            staff.tell_staff(
                to=task.assignee,
                order=order,
                text=Msg(
                    gettext_noop("Order %(number)s was cancelled: stop work on “%(title)s”"),
                    number=order.number,
                    title=task.title_text,
                ),
            )
    schedule_request()


def void_invoices(ctx: Context) -> None:
    """invoices: every invoice voided; money received stays, owed back."""
    invoices_close_for_cancel(order=ctx.order, actor=ctx.actor)


def leave_margin_report(ctx: Context) -> None:
    """production: the made lines leave the margin report"""
    margin_order_lost(order=ctx.order)


def replan(ctx: Context) -> None:
    """production: the schedule computed again after the commit"""
    schedule_request()


def always(order: Order) -> bool:
    """always"""
    return True


def every_line_made(order: Order) -> bool:
    """when every line is made"""
    return order.lines_made == order.lines_count


# ----------------------------------------------------------------------------- the tables


@dataclass(frozen=True)
class Move:
    stage: Stage  # from this stage only
    transition: str  # Order's @transition method; its conditions must hold


@dataclass(frozen=True)
class Rule:
    before: tuple[Step, ...] = ()
    moves: tuple[Move, ...] = ()
    after: tuple[Step, ...] = ()
    # The event this one may lead to, and when.
    then: tuple[Event, Callable[[Order], bool]] | None = None
    # Refuse (wrong stage) when no move applies; otherwise the event just changes nothing.
    must_move: bool = False


EVENTS: dict[Event, Rule] = {
    Event.TAKEN_INTO_WORK: Rule(
        before=(close_take_into_work,),
        moves=(Move(Stage.NEW, "take_into_work"),),
        must_move=True,
    ),
    Event.QUALIFIED: Rule(
        moves=(
            Move(Stage.QUALIFICATION, "qualify_for_prepayment"),  # when a prepayment is due
            Move(Stage.QUALIFICATION, "qualify_for_production"),  # when none is
        ),
        after=(replan,),
        must_move=True,
    ),
    Event.PAYMENT_RECEIVED: Rule(
        before=(
            tell_client("payment_received", carrying=("payment_id",)),
            tell_manager(payment_note, unless_actor=True),
        ),
        after=(replan,),
        then=(Event.MONEY_COUNTED, always),
    ),
    Event.MONEY_COUNTED: Rule(
        before=(recompute,),
        moves=(
            Move(Stage.PREPAYMENT, "start_production"),  # when the prepayment is covered
            Move(Stage.POSTPAYMENT, "request_delivery_details"),  # when nothing is owed
        ),
    ),
    Event.LINE_MADE: Rule(
        before=(tell_manager(line_made_note),),
        then=(Event.ALL_LINES_MADE, every_line_made),
    ),
    Event.ALL_LINES_MADE: Rule(
        before=(tell_client("production_finished", by_system=True),),
        moves=(
            Move(Stage.PRODUCTION, "request_postpayment"),  # when a balance is due
            Move(Stage.PRODUCTION, "request_delivery_details"),  # when paid in full
        ),
        after=(tell_manager(made_note),),
        must_move=True,
    ),
    Event.DELIVERY_DETAILS_SAVED: Rule(
        moves=(Move(Stage.DELIVERY_DETAILS, "start_delivery"),), must_move=True
    ),
    Event.DELIVERED: Rule(moves=(Move(Stage.DELIVERY, "win"),), must_move=True),
    Event.CANCELLED: Rule(
        before=(stop_open_tasks, void_invoices),
        moves=tuple(Move(stage, "cancel") for stage in OPEN_STAGES),
        must_move=True,
    ),
}

# What entering a stage sets off, whichever event moved the order there.
ON_ENTER: dict[Stage, tuple[Step, ...]] = {
    Stage.QUALIFICATION: (),
    Stage.PREPAYMENT: (issue_invoice(InvoiceKind.PREPAYMENT), promise_from_invoice),
    Stage.PRODUCTION: (keep_promise, start_production),
    Stage.POSTPAYMENT: (issue_invoice(InvoiceKind.POSTPAYMENT),),
    Stage.DELIVERY_DETAILS: (),
    Stage.DELIVERY: (
        record_delivery_comment,
        open_delivery_task,
        tell_client("delivery_details"),
    ),
    Stage.WON: (tell_client_delivered, send_settlement_receipt, issue_closing_documents),
    Stage.LOST: (leave_margin_report,),
}


# ----------------------------------------------------------------------------- the engine


def handle(event: Event, ctx: Context) -> str | None:
    """Run `event` on the locked order; returns the stage entered, if any. The caller holds
    the order's lock (pipeline services) and recomputes the order afterwards."""
    rule = EVENTS[event]
    for step in rule.before:
        step(ctx)
    entered = None
    for move in rule.moves:
        method = getattr(ctx.order, move.transition)
        if ctx.order.stage == move.stage and can_proceed(method):
            entered = _move(ctx, move.transition)
            break
    else:
        if rule.must_move:
            raise rules.wrong_stage(ctx.order)
    if entered is not None:
        for step in ON_ENTER[Stage(entered)]:
            step(ctx)
    for step in rule.after:
        step(ctx)
    if rule.then is not None and rule.then[1](ctx.order):
        handle(rule.then[0], ctx)
    return entered


def _move(ctx: Context, transition: str) -> str:
    """Run a transition, start or stop the client's clock, save, and write the stage
    change into the timeline."""
    order = ctx.order
    from_stage = order.stage
    kwargs = {"reason": ctx.data["reason"]} if transition == "cancel" else {}
    getattr(order, transition)(**kwargs)
    order_clock_sync(order, now=order.stage_changed_at)  # who holds the ball now
    order.save()
    event_record(
        order=order,
        kind=EventKind.STAGE,
        actor=ctx.actor,
        text=ctx.data.get("reason", "") if transition == "cancel" else "",
        from_stage=from_stage,
        to_stage=order.stage,
    )
    return order.stage
