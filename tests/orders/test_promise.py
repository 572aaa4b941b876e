"""The date promised to the client: proposed at qualification, accepted or set later,
required to qualify, and moved once by a prepayment that comes after its pay-by date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from invoices.models import PaymentSource
from orders import rules
from orders.models import EventKind, NotificationStatus, PaymentScheme, Stage
from orders.rules import OrderError
from orders.services.orders import order_update
from pipeline.orders import order_qualify
from pipeline.payments import payment_register
from pipeline.promise import order_promise, promise_offer
from production.planning import promise_propose
from tests import factories as f

MSK = ZoneInfo("Europe/Moscow")
# Monday 23 November 2026; a prepayment invoice issued today is due on Saturday 28th
# (INVOICE_DUE_DAYS = 5).
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(MONDAY_10, tick=False):
        yield


@pytest.fixture
def in_qualification(staff, catalogue):
    order = f.new_order([(catalogue["table"], 1)], actor=staff["manager"], manager=staff["manager"])
    return f.take(order, staff["manager"])


def prepaid(order, manager):
    order_update(order=order, actor=manager, payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    return f.refreshed(order)


def test_it_proposes_the_schedules_earliest_date(in_qualification):
    offer = promise_offer(in_qualification)
    assert offer.pay_by is None
    assert offer.earliest == promise_propose(in_qualification).promised_date
    assert offer.earliest >= dt.date(2026, 11, 23)


def test_accepting_stores_the_proposed_date_and_records_it(in_qualification, staff):
    earliest = promise_offer(in_qualification).earliest
    order = order_promise(order=in_qualification, actor=staff["manager"])
    order = f.refreshed(order)
    assert (order.promised_date, order.promise_days) == (earliest, None)
    event = order.events.get(kind=EventKind.PROMISE)
    assert event.actor == staff["manager"]
    assert event.display_text == f"Promised to the client: ready by {earliest:%m/%d/%Y}"


def test_a_later_date_is_kept(in_qualification, staff):
    later = promise_offer(in_qualification).earliest + dt.timedelta(days=10)
    order = order_promise(order=in_qualification, actor=staff["manager"], promised_date=later)
    assert f.refreshed(order).promised_date == later


def test_an_earlier_date_is_refused_naming_the_earliest(in_qualification, staff):
    earliest = promise_offer(in_qualification).earliest
    with pytest.raises(OrderError) as refused:
        order_promise(
            order=in_qualification,
            actor=staff["manager"],
            promised_date=earliest - dt.timedelta(days=1),
        )
    words = f"{earliest:%-d} {earliest:%B}"  # "4 December": this year's date, no year
    assert refused.value.errors == {
        "promised_date": [
            f"The order cannot be ready before {words}: promise that date or a later one."
        ]
    }
    assert f.refreshed(in_qualification).promised_date is None


def test_qualification_requires_a_promise(in_qualification, staff):
    order_update(
        order=in_qualification, actor=staff["manager"], payment_scheme=PaymentScheme.POSTPAYMENT
    )
    with pytest.raises(OrderError) as refused:
        order_qualify(order=in_qualification, actor=staff["manager"])
    assert refused.value.errors == {
        "promised_date": ["Promise the client a date: accept the proposed one or set a later one."]
    }
    assert str(rules.PROMISE_MISSING) in refused.value.errors["promised_date"]
    assert f.refreshed(in_qualification).stage == Stage.QUALIFICATION

    order_promise(order=in_qualification, actor=staff["manager"])
    assert order_qualify(order=in_qualification, actor=staff["manager"]).stage == Stage.PRODUCTION


def test_a_promise_that_has_passed_must_be_made_again(in_qualification, staff):
    order_update(
        order=in_qualification, actor=staff["manager"], payment_scheme=PaymentScheme.POSTPAYMENT
    )
    order = order_promise(order=in_qualification, actor=staff["manager"])
    later = dt.datetime(2027, 1, 11, 10, 0, tzinfo=MSK)
    with time_machine.travel(later, tick=False), pytest.raises(OrderError) as refused:
        order_qualify(order=order, actor=staff["manager"])
    promised = order.promised_date
    assert refused.value.errors == {
        "promised_date": [
            f"The promised date {promised:%-d} {promised:%B} {promised:%Y} has passed: "
            "promise a new one."
        ]
    }


def test_a_prepayment_order_counts_its_promise_from_the_pay_by_date(in_qualification, staff):
    order = prepaid(in_qualification, staff["manager"])
    offer = promise_offer(order)
    assert offer.pay_by == dt.date(2026, 11, 28)  # the invoice's due date, a Saturday
    # Production starts after the payment: later than if it started today.
    assert offer.earliest > promise_propose(order).promised_date

    # Friday 18 December: 15 working days after Saturday 28 November.
    order = order_promise(order=order, actor=staff["manager"], promised_date=dt.date(2026, 12, 18))
    order = f.refreshed(order)
    assert (order.promised_date, order.promise_days) == (dt.date(2026, 12, 18), 15)
    event = order.events.get(kind=EventKind.PROMISE)
    assert event.display_text == "Promised to the client: paid by 11/28/2026, ready by 12/18/2026"


def _qualified_with_promise(order, manager):
    order = prepaid(order, manager)
    order_promise(order=order, actor=manager, promised_date=dt.date(2026, 12, 18))
    return order_qualify(order=order, actor=manager)


def _pay(order, day: dt.datetime, *, external_id: str = "bank-1"):
    invoice = order.invoices.get()
    return payment_register(
        invoice=invoice,
        amount=invoice.amount,
        source=PaymentSource.BANK_STATEMENT,
        external_id=external_id,
        paid_at=day,
    )


def test_a_prepayment_on_time_keeps_the_promise(in_qualification, staff, mailoutbox):
    order = _qualified_with_promise(in_qualification, staff["manager"])
    with time_machine.travel(dt.datetime(2026, 11, 27, 11, 0, tzinfo=MSK), tick=False):
        _pay(order, dt.datetime(2026, 11, 27, 11, 0, tzinfo=MSK))
    order = f.refreshed(order)
    assert order.stage == Stage.PRODUCTION
    assert order.promised_date == dt.date(2026, 12, 18)
    assert not order.events.filter(data__notification="promise_moved").exists()


def test_a_late_prepayment_moves_the_promise_and_tells_the_client_once(
    in_qualification, staff, django_capture_on_commit_callbacks, mailoutbox
):
    order = _qualified_with_promise(in_qualification, staff["manager"])
    paid_at = dt.datetime(2026, 12, 2, 11, 0, tzinfo=MSK)  # Wednesday, four days late
    with time_machine.travel(paid_at, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            _pay(order, paid_at)
        # The bank's statement brings the same payment again: nothing new.
        with django_capture_on_commit_callbacks(execute=True):
            _payment, created = _pay(order, paid_at)
    assert created is False

    order = f.refreshed(order)
    assert order.stage == Stage.PRODUCTION
    # 15 working days after Wednesday 2 December: Wednesday 23 December.
    assert order.promised_date == dt.date(2026, 12, 23)
    told = order.events.filter(data__notification="promise_moved")
    assert told.count() == 1
    assert told.get().notification_status == NotificationStatus.SENT
    moved = order.events.get(kind=EventKind.PROMISE, actor=None)
    assert moved.display_text == (
        "The prepayment came on 12/02/2026, after the pay-by date: "
        "the promised date moved from 12/18/2026 to 12/23/2026"
    )
    letters = [m for m in mailoutbox if m.subject == f"Заказ {order.number}: новая дата готовности"]
    assert len(letters) == 1
    assert "23 декабря" in letters[0].body


def test_the_promise_moves_once_when_the_payment_event_is_seen_twice(in_qualification, staff):
    from orders.services.common import lock_order
    from pipeline.flow import Context, Event, handle

    order = _qualified_with_promise(in_qualification, staff["manager"])
    paid_at = dt.datetime(2026, 12, 2, 11, 0, tzinfo=MSK)
    with time_machine.travel(paid_at, tick=False):
        payment, _created = _pay(order, paid_at)
        # The same payment's event handled once more (a redelivered follow-up).
        data = {"payment": payment, "payment_id": payment.pk}
        handle(Event.PAYMENT_RECEIVED, Context(lock_order(order), None, data))
    order = f.refreshed(order)
    assert order.promised_date == dt.date(2026, 12, 23)
    assert order.events.filter(data__notification="promise_moved").count() == 1
    assert order.paid_amount == Decimal(order.invoices.get().amount)


def test_qualified_days_after_the_promise_it_counts_from_the_invoices_due_date(
    in_qualification, staff, mailoutbox, django_capture_on_commit_callbacks
):
    manager = staff["manager"]
    order = prepaid(in_qualification, manager)
    # Promised on Monday 23rd: pay by Saturday 28th, ready by Friday 18 December.
    order_promise(order=order, actor=manager, promised_date=dt.date(2026, 12, 18))
    wednesday = dt.datetime(2026, 11, 25, 10, 0, tzinfo=MSK)
    with time_machine.travel(wednesday, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            order = order_qualify(order=order, actor=manager)
        invoice = order.invoices.get()
        assert invoice.due_date == dt.date(2026, 11, 30)  # Monday
        # 15 working days after Monday 30 November: Monday 21 December.
        order = f.refreshed(order)
        assert order.promised_date == dt.date(2026, 12, 21)
        assert order.events.filter(kind=EventKind.PROMISE).count() == 2
        assert not order.events.filter(data__notification="promise_moved").exists()
        # The invoice's e-mail names the date the promise moved to.
        [letter] = [m for m in mailoutbox if m.subject == f"Счёт {invoice.number}"]
        assert "При оплате до 30 ноября заказ будет готов к выдаче к 21 декабря." in letter.body

        # Paid on its due date: the promise holds.
        paid_at = dt.datetime(2026, 11, 30, 12, 0, tzinfo=MSK)
        with time_machine.travel(paid_at, tick=False):
            _pay(order, paid_at)
    order = f.refreshed(order)
    assert (order.stage, order.promised_date) == (Stage.PRODUCTION, dt.date(2026, 12, 21))
