"""pipeline/flow.py: the table covers the funnel, and an event does what its row says and
nothing when its row does not apply."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django_fsm import can_proceed

from invoices.models import Invoice, InvoiceKind
from invoices.services import manual_invoice_issue
from orders.models import OPEN_STAGES, EventKind, Order, PaymentScheme, Stage, TaskKind
from orders.rules import OrderError
from orders.services.common import lock_order
from pipeline.flow import EVENTS, ON_ENTER, Context, Event, handle
from tests import factories as f


def test_every_event_has_a_row_and_every_stage_entered_its_consequences():
    assert set(EVENTS) == set(Event)
    transitions = {t.target for t in Order._meta.get_field("stage").get_all_transitions(Order)}
    assert transitions <= set(ON_ENTER)
    for rule in EVENTS.values():
        for move in rule.moves:
            assert hasattr(Order, move.transition)


def test_every_transition_is_some_event_s_move():
    """No stage change is left to anyone but the table."""
    named = {move.transition for rule in EVENTS.values() for move in rule.moves}
    field = Order._meta.get_field("stage")
    assert {t.name for t in field.get_all_transitions(Order)} == named


def test_cancelling_is_a_move_from_every_open_stage():
    stages = {move.stage for move in EVENTS[Event.CANCELLED].moves}
    assert stages == set(OPEN_STAGES)


def test_an_event_whose_row_does_not_apply_is_refused_and_changes_nothing(staff, catalogue):
    order = f.order_in_production(manager=staff["manager"], catalogue=catalogue)
    events_before = order.events.count()
    with transaction.atomic(), pytest.raises(OrderError) as refused:
        handle(Event.DELIVERED, Context(lock_order(order), staff["manager"]))
    assert refused.value.message == (
        f"Order {order.number} is in the “Production” stage; this cannot be done there."
    )
    order = f.refreshed(order)
    assert order.stage == Stage.PRODUCTION
    assert order.events.count() == events_before


def test_money_in_production_tells_but_moves_nothing_until_the_lines_are_made(staff, catalogue):
    """A postpayment order paid in full while it is being made stays in production (the
    move out of postpayment has nothing to do there); its last line then skips
    postpayment."""
    order = f.order_in_production(manager=staff["manager"], catalogue=catalogue)
    invoice = manual_invoice_issue(order=order, amount=Decimal("32000.00"), actor=staff["manager"])
    f.pay(invoice, actor=staff["manager"])
    order = f.refreshed(order)
    assert (order.stage, order.balance) == (Stage.PRODUCTION, Decimal("0.00"))
    receipts = order.events.filter(
        kind=EventKind.NOTIFICATION, data__notification="payment_received"
    )
    assert receipts.count() == 1
    order = f.make_all_lines(order)
    assert order.stage == Stage.DELIVERY_DETAILS
    assert not Invoice.objects.filter(order=order, kind=InvoiceKind.POSTPAYMENT).exists()


def test_the_last_line_made_leads_to_the_balance_invoice(staff, catalogue):
    order = f.order_in_production(manager=staff["manager"], catalogue=catalogue)
    order = f.make_all_lines(order)
    assert order.stage == Stage.POSTPAYMENT
    invoice = Invoice.objects.get(order=order)
    assert (invoice.kind, invoice.amount) == (InvoiceKind.POSTPAYMENT, Decimal("32000.00"))
    stages = list(order.events.filter(kind=EventKind.STAGE).values_list("to_stage", flat=True))
    assert stages[-1] == Stage.POSTPAYMENT
    told = order.manager.notifications.values_list("text", flat=True)
    assert f"Order {order.number} is made" in told


def test_qualifying_goes_where_the_transitions_conditions_send_it(staff, catalogue):
    order = f.take(f.new_order([(catalogue["table"], 1)]), staff["manager"])
    f.qualify(order, staff["manager"], payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    order = f.refreshed(order)
    assert order.stage == Stage.PREPAYMENT
    assert not can_proceed(order.start_production)  # the prepayment is not paid yet
    assert order.tasks.filter(kind=TaskKind.PRODUCE_LINE).count() == 0
