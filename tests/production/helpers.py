"""Orders brought to a given stage through the real services (used by the shop-floor,
logistics, notification and browser tests)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from invoices.models import Invoice, PaymentSource
from invoices.services import payment_register
from logistics.models import Carrier
from logistics.services import order_save_delivery_details
from orders.models import Customer, DeliveryMethod, Order, PaymentScheme, Task, TaskKind
from orders.services import (
    LineInput,
    order_create,
    order_qualify,
    order_take_into_work,
    order_update,
)


def customer(language: str = "ru", *, email: str = "client@example.com", **extra) -> Customer:
    return Customer.objects.create(
        name=extra.pop("name", "Ivan Petrov"), email=email, language=language, **extra
    )


def order_in_production(
    *,
    manager,
    catalogue,
    client: Customer | None = None,
    scheme: str = PaymentScheme.POSTPAYMENT,
    delivery_method: str = DeliveryMethod.CARRIER,
    lines: list[tuple[str, str]] | None = None,
) -> Order:
    """A table and four chairs (31,000.00 + 1,000.00 delivery unless pickup), qualified;
    with a prepayment scheme the prepayment is paid, so the order is in production."""
    client = client or customer()
    specs = lines or [("table", "1"), ("chair", "4")]
    pickup = delivery_method == DeliveryMethod.PICKUP
    order = order_create(
        customer=client,
        lines=[LineInput(product=catalogue[key], quantity=Decimal(q)) for key, q in specs],
        source="manager",
        actor=manager,
        manager=manager,
        delivery_method=delivery_method,
        delivery_address="" if pickup else "Moscow, Tverskaya 1",
        delivery_cost=None if pickup else Decimal("1000.00"),
    )
    order_take_into_work(order=order, actor=manager)
    order_update(order=order, actor=manager, payment_scheme=scheme)
    order = order_qualify(order=order, actor=manager)
    if scheme != PaymentScheme.POSTPAYMENT:
        invoice = Invoice.objects.filter(order=order).latest("id")
        payment_register(
            invoice=invoice, amount=invoice.amount, source=PaymentSource.MANUAL, actor=manager
        )
    order.refresh_from_db()
    return order


def production_tasks(order: Order) -> list[Task]:
    return list(order.tasks.filter(kind=TaskKind.PRODUCE_LINE).order_by("id"))


def carrier() -> Carrier:
    carrier, _ = Carrier.objects.get_or_create(
        name="CDEK", defaults={"tracking_url": "https://cdek.example/track?n={number}"}
    )
    return carrier


def order_in_delivery(*, manager, worker, catalogue, client: Customer | None = None) -> Order:
    """A fully prepaid carrier order, made, with its delivery details saved."""
    from orders.services import task_complete

    order = order_in_production(
        manager=manager, catalogue=catalogue, client=client, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    for task in production_tasks(order):
        task_complete(task=task, actor=worker)
    order.refresh_from_db()
    order_save_delivery_details(
        order=order,
        actor=manager,
        carrier=carrier(),
        delivery_address="Moscow, Tverskaya 1",
        planned_ship_date=dt.date.today() + dt.timedelta(days=1),
    )
    order.refresh_from_db()
    return order
