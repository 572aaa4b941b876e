"""Orders walked through the whole funnel by the services, as PROCESS.md describes it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from invoices.models import InvoiceKind, InvoiceStatus
from orders.models import (
    DeliveryMethod,
    EventKind,
    LineStatus,
    Order,
    PaymentScheme,
    Stage,
    TaskKind,
    TaskStatus,
)
from pipeline.orders import order_cancel
from pipeline.work import task_complete
from tests import factories as f

MSK = ZoneInfo("Europe/Moscow")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=MSK)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=MSK)


def stages(order) -> list[tuple[str, str]]:
    return list(order.events.filter(kind=EventKind.STAGE).values_list("from_stage", "to_stage"))


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def test_full_prepayment_with_pickup_goes_from_intake_to_won(staff, catalogue, client):
    from orders.services.api_keys import api_key_create

    _, key = api_key_create(name="Web shop", scopes=["intake", "read"])
    response = client.post(
        "/api/v1/orders/",
        {
            "external_id": "shop-1",
            "customer": {"name": "Анна", "email": "anna@example.com"},
            "lines": [{"sku": "TBL-1", "quantity": 1}, {"sku": "CHR-1", "quantity": 2}],
            "delivery": {"method": "pickup"},
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201
    order = Order.objects.get(number=response.json()["number"])
    # New: assigned to the manager with a take-into-work task due in 2 working hours.
    assert order.stage == Stage.NEW
    assert order.manager == staff["manager"]
    task = order.tasks.get()
    assert (task.kind, task.assignee, task.due_at) == (
        TaskKind.TAKE_INTO_WORK,
        staff["manager"],
        at(23, 12),
    )
    assert order.total_amount == Decimal("23000.00")

    order = f.take(order, staff["manager"])
    assert order.stage == Stage.QUALIFICATION
    assert order.tasks.get().status == TaskStatus.DONE

    order = f.qualify(order, staff["manager"], payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    assert order.stage == Stage.PREPAYMENT
    assert order.prepayment_amount == Decimal("23000.00")
    invoice = order.invoices.get()
    assert (invoice.kind, invoice.amount, invoice.status) == (
        InvoiceKind.PREPAYMENT,
        Decimal("23000.00"),
        InvoiceStatus.ISSUED,
    )
    assert [row["name"] for row in invoice.lines] == ["Oak table", "Oak chair"]

    f.pay(invoice)
    order = f.refreshed(order)
    assert order.stage == Stage.PRODUCTION
    assert (order.paid_amount, order.balance) == (Decimal("23000.00"), Decimal("0.00"))
    made = order.tasks.filter(kind=TaskKind.PRODUCE_LINE).order_by("line__position")
    # Lead time in working days from Monday 10:00: the table 5 days, the chair 3.
    assert [(t.assignee, t.due_at) for t in made] == [
        (staff["production"], at(30, 10)),
        (staff["production"], at(26, 10)),
    ]
    # Standard cost snapshotted: table 3,250, chair 1,150 × 2.
    assert order.cost_amount == Decimal("5550.00")
    assert order.margin == Decimal("17450.00")

    order = f.make_all_lines(order)
    assert order.stage == Stage.DELIVERY_DETAILS
    assert order.invoices.count() == 1  # fully paid: no postpayment invoice
    assert set(order.lines.values_list("status", flat=True)) == {LineStatus.MADE}

    order = f.ship(order, staff["manager"], pickup_date=dt.date(2026, 11, 25))
    assert order.stage == Stage.DELIVERY
    deliver = order.tasks.get(kind=TaskKind.DELIVER)
    assert (deliver.assignee, deliver.due_at) == (staff["logistics"], at(25, 18))

    task_complete(task=deliver, actor=staff["logistics"])
    order = f.refreshed(order)
    assert order.stage == Stage.WON
    assert order.shipped_on == dt.date(2026, 11, 23)
    assert stages(order) == [
        ("new", "qualification"),
        ("qualification", "prepayment"),
        ("prepayment", "production"),
        ("production", "delivery_details"),
        ("delivery_details", "delivery"),
        ("delivery", "won"),
    ]
    assert not order.tasks.filter(status__in=["open", "in_progress"]).exists()


def test_partial_prepayment_with_carrier_puts_delivery_into_both_invoices(staff, catalogue):
    order = f.new_order(
        [(catalogue["table"], 1), (catalogue["chair"], 2)],
        method=DeliveryMethod.CARRIER,
        address="Москва, Лесная, 5",
    )
    order = f.take(order, staff["manager"])
    order = f.qualify(
        order,
        staff["manager"],
        payment_scheme=PaymentScheme.PARTIAL_PREPAYMENT,
        prepayment_amount=Decimal("10000"),
        delivery_cost=Decimal("2500"),
    )
    assert order.stage == Stage.PREPAYMENT
    assert order.total_amount == Decimal("25500.00")
    prepayment = order.invoices.get()
    assert prepayment.amount == Decimal("10000.00")
    assert prepayment.lines[-1]["name"] == "Delivery"
    assert prepayment.lines[-1]["amount"] == "2500.00"

    f.pay(prepayment, Decimal("4000"))
    assert f.refreshed(order).stage == Stage.PREPAYMENT  # 4,000 of 10,000: not yet
    f.pay(prepayment, Decimal("6000"))
    order = f.refreshed(order)
    assert order.stage == Stage.PRODUCTION
    assert (order.paid_amount, order.balance) == (Decimal("10000.00"), Decimal("15500.00"))

    order = f.make_all_lines(order)
    assert order.stage == Stage.POSTPAYMENT
    postpayment = order.invoices.get(kind=InvoiceKind.POSTPAYMENT)
    assert postpayment.amount == Decimal("15500.00")
    assert postpayment.lines[-1]["amount"] == "2500.00"
    assert (postpayment.order_total, postpayment.paid_before) == (
        Decimal("25500.00"),
        Decimal("10000.00"),
    )

    f.pay(postpayment)
    order = f.refreshed(order)
    assert order.stage == Stage.DELIVERY_DETAILS
    assert order.balance == Decimal("0.00")

    order = f.ship(order, staff["manager"], planned_ship_date=dt.date(2026, 11, 27))
    deliver = order.tasks.get(kind=TaskKind.DELIVER)
    assert deliver.due_at == at(27, 18)
    task_complete(task=deliver, actor=staff["logistics"], tracking_number="1234567890")
    order = f.refreshed(order)
    assert order.stage == Stage.WON
    assert order.tracking_number == "1234567890"


def test_postpayment_with_courier_goes_straight_to_production(
    staff, catalogue, django_capture_on_commit_callbacks, mailoutbox
):
    order = f.new_order(
        [(catalogue["chair"], 4)],
        method=DeliveryMethod.COURIER,
        address="Москва, Тверская, 1",
        client=f.customer(language="en"),
    )
    order = f.take(order, staff["manager"])
    order = f.qualify(
        order,
        staff["manager"],
        payment_scheme=PaymentScheme.POSTPAYMENT,
        delivery_cost=Decimal("1500"),
    )
    assert order.stage == Stage.PRODUCTION
    assert order.invoices.count() == 0
    assert order.prepayment_amount == Decimal("0.00")

    with django_capture_on_commit_callbacks(execute=True):
        order = f.make_all_lines(order)
    assert order.stage == Stage.POSTPAYMENT
    invoice = order.invoices.get()
    assert (invoice.kind, invoice.amount) == (InvoiceKind.POSTPAYMENT, Decimal("17500.00"))
    subjects = [m.subject for m in mailoutbox]
    assert f"Your order {order.number} is made" in subjects
    assert f"Invoice {invoice.number}" in subjects

    f.pay(invoice)
    order = f.ship(f.refreshed(order), staff["manager"])
    task_complete(task=order.tasks.get(kind=TaskKind.DELIVER), actor=staff["logistics"])
    order = f.refreshed(order)
    assert order.stage == Stage.WON
    assert [e.to_stage for e in order.events.filter(kind=EventKind.STAGE)] == [
        "qualification",
        "production",
        "postpayment",
        "delivery_details",
        "delivery",
        "won",
    ]


def _drive_to(stage: str, staff, catalogue):
    order = f.new_order(
        [(catalogue["table"], 1)], method=DeliveryMethod.COURIER, address="Москва, Лесная, 5"
    )
    if stage == Stage.NEW:
        return order
    order = f.take(order, staff["manager"])
    if stage == Stage.QUALIFICATION:
        return order
    order = f.qualify(
        order,
        staff["manager"],
        payment_scheme=PaymentScheme.PARTIAL_PREPAYMENT,
        prepayment_amount=Decimal("5000"),
        delivery_cost=Decimal("1000"),
    )
    if stage == Stage.PREPAYMENT:
        f.pay(order.invoices.get(), Decimal("2000"))  # part of the prepayment came in
        return f.refreshed(order)
    f.pay(order.invoices.get())
    if stage == Stage.PRODUCTION:
        return f.refreshed(order)
    order = f.make_all_lines(order)
    if stage == Stage.POSTPAYMENT:
        return order
    f.pay(order.invoices.get(kind=InvoiceKind.POSTPAYMENT))
    if stage == Stage.DELIVERY_DETAILS:
        return f.refreshed(order)
    return f.ship(f.refreshed(order), staff["manager"])


@pytest.mark.parametrize(
    "stage",
    [
        Stage.NEW,
        Stage.QUALIFICATION,
        Stage.PREPAYMENT,
        Stage.PRODUCTION,
        Stage.POSTPAYMENT,
        Stage.DELIVERY_DETAILS,
        Stage.DELIVERY,
    ],
)
def test_an_order_can_be_lost_from_every_open_stage(stage, staff, catalogue):
    order = _drive_to(stage, staff, catalogue)
    assert order.stage == stage
    paid = order.paid_amount

    order = order_cancel(order=order, actor=staff["manager"], reason="Client changed their mind")

    assert order.stage == Stage.LOST
    assert order.lost_reason == "Client changed their mind"
    assert not order.tasks.filter(status__in=["open", "in_progress"]).exists()
    # Invoices that received nothing are void; money received stays visible as owed back.
    for invoice in order.invoices.all():
        expected = InvoiceStatus.VOID if invoice.paid_amount == 0 else invoice.status
        assert invoice.status == expected
        assert invoice.status != InvoiceStatus.ISSUED
    assert order.paid_amount == paid
    assert order.owed_back == paid
    last = order.events.filter(kind=EventKind.STAGE).last()
    assert (last.from_stage, last.to_stage, last.text) == (
        stage,
        "lost",
        "Client changed their mind",
    )
