"""Orders at any stage, made through the real services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices.models import PaymentSource
from orders.models import Customer, DeliveryMethod, Order, PaymentScheme, Source, Stage, TaskKind
from orders.services.orders import LineInput, order_update
from pipeline.orders import order_create, order_qualify, order_take_into_work
from pipeline.payments import payment_register
from pipeline.promise import order_promise
from pipeline.work import task_complete

STAGE_PATH = [Stage.NEW, Stage.QUALIFICATION, Stage.PREPAYMENT, Stage.PRODUCTION]


def make_order(
    *,
    manager,
    catalogue,
    stage: str = Stage.NEW,
    lines: int = 1,
    name: str = "Anna Client",
    phone: str = "+7 900 000-00-00",
    scheme: str = PaymentScheme.FULL_PREPAYMENT,
    delivery: str = DeliveryMethod.PICKUP,
) -> Order:
    """An order taken as far as `stage` (new … production, delivery_details)."""
    customer = Customer.objects.create(
        name=name, phone=phone, email=f"{name.split()[0].lower()}@example.com"
    )
    products = [catalogue["table"], catalogue["chair"]]
    order = order_create(
        customer=customer,
        lines=[LineInput(product=products[i % 2], quantity=Decimal(1 + i)) for i in range(lines)],
        source=Source.MANAGER,
        manager=manager,
        delivery_method=delivery,
        delivery_cost=Decimal("500.00") if delivery != DeliveryMethod.PICKUP else None,
        delivery_address="Moscow, Tverskaya 1" if delivery != DeliveryMethod.PICKUP else "",
    )
    if stage == Stage.NEW:
        return order
    order_take_into_work(order=order, actor=manager)
    if stage == Stage.QUALIFICATION:
        return Order.objects.get(pk=order.pk)
    order_update(order=order, actor=manager, payment_scheme=scheme)
    order_promise(order=order, actor=manager)
    order_qualify(order=order, actor=manager)
    order.refresh_from_db()
    if stage == Stage.PREPAYMENT or order.stage == stage:
        return order
    invoice = order.invoices.get()
    payment_register(
        invoice=invoice, amount=invoice.amount, source=PaymentSource.MANUAL, actor=manager
    )
    order.refresh_from_db()
    if stage == Stage.PRODUCTION:
        return order
    for task in order.tasks.filter(kind=TaskKind.PRODUCE_LINE):
        task_complete(task=task, actor=task.assignee)
    order.refresh_from_db()
    assert order.stage == stage, (order.stage, stage)
    return order


@pytest.fixture
def order_factory(staff, catalogue):
    def make(**kwargs) -> Order:
        kwargs.setdefault("manager", staff["manager"])
        return make_order(catalogue=catalogue, **kwargs)

    return make


def bulk_orders(*, count: int, manager, stage: str = Stage.NEW, start: int = 1000) -> list[Order]:
    """Many plain orders at once (no services): rows the board reads, made fast."""
    from django.utils import timezone

    customers = Customer.objects.bulk_create(
        [
            Customer(name=f"Bulk client {start + i}", phone=f"+7900{start + i:07d}")
            for i in range(count)
        ]
    )
    now = timezone.now()
    return Order.objects.bulk_create(
        [
            Order(
                number=f"B-{start + i}",
                customer=customer,
                manager=manager,
                source=Source.WEB_SHOP,
                stage=stage,
                total_amount=Decimal("1000.00"),
                lines_total=Decimal("1000.00"),
                lines_count=2,
                lines_made=1,
                next_due_at=now,
                created_at=now - timezone.timedelta(minutes=i),
            )
            for i, customer in enumerate(customers)
        ]
    )
