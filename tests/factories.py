"""Building orders through the real services: step by step (new_order, take, qualify, pay,
make_all_lines, ship), or straight to a stage (order_in_production, order_in_delivery)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from invoices.models import Invoice, PaymentSource
from logistics.models import Carrier
from orders.models import Customer, DeliveryMethod, Order, PaymentScheme, Source, Task, TaskKind
from orders.services.orders import LineInput, order_update
from pipeline.orders import (
    order_create,
    order_qualify,
    order_save_delivery_details,
    order_take_into_work,
)
from pipeline.payments import payment_register
from pipeline.promise import order_promise
from pipeline.work import task_complete
from production.models import Product


def customer(language: str = "ru", **kwargs) -> Customer:
    defaults = {"name": "Анна Иванова", "email": "client@example.com", "phone": "+7 900 000-00-01"}
    return Customer.objects.create(**{**defaults, "language": language, **kwargs})


def new_order(
    products: list[tuple[Product, int | str]],
    *,
    client: Customer | None = None,
    method: str = DeliveryMethod.PICKUP,
    address: str = "",
    source: str = Source.MANAGER,
    **kwargs,
) -> Order:
    return order_create(
        customer=client or customer(),
        lines=[LineInput(product=p, quantity=Decimal(str(q))) for p, q in products],
        source=source,
        delivery_method=method,
        delivery_address=address,
        **kwargs,
    )


def refreshed(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def take(order: Order, actor: User) -> Order:
    task = order.tasks.get(kind=TaskKind.TAKE_INTO_WORK)
    task_complete(task=task, actor=actor)
    return refreshed(order)


def qualify(order: Order, actor: User, **terms) -> Order:
    """Terms saved, the proposed date promised unless one is already, then qualified."""
    order_update(order=order, actor=actor, **terms)
    if refreshed(order).promised_date is None:
        order_promise(order=order, actor=actor)
    return order_qualify(order=order, actor=actor)


def pay(invoice: Invoice, amount: Decimal | None = None, **kwargs) -> None:
    kwargs.setdefault("source", PaymentSource.MANUAL)
    payment_register(invoice=invoice, amount=amount or invoice.balance, **kwargs)


def make_all_lines(order: Order) -> Order:
    for task in Task.objects.filter(order=order, kind=TaskKind.PRODUCE_LINE, status="open"):
        task_complete(task=task, actor=task.assignee)
    return refreshed(order)


def ship(order: Order, actor: User, **details) -> Order:
    if order.delivery_method == DeliveryMethod.PICKUP:
        details.setdefault("pickup_date", timezone.localdate() + dt.timedelta(days=2))
    else:
        details.setdefault("planned_ship_date", timezone.localdate() + dt.timedelta(days=2))
    if order.delivery_method == DeliveryMethod.CARRIER and "carrier" not in details:
        details["carrier"] = carrier()
    return order_save_delivery_details(order=order, actor=actor, **details)


def carrier() -> Carrier:
    return Carrier.objects.get_or_create(
        name="СДЭК", defaults={"tracking_url": "https://cdek.example/track?n={number}"}
    )[0]


def production_tasks(order: Order) -> list[Task]:
    return list(order.tasks.filter(kind=TaskKind.PRODUCE_LINE).order_by("id"))


def order_in_production(
    *,
    manager: User,
    catalogue: dict[str, Product],
    client: Customer | None = None,
    scheme: str = PaymentScheme.POSTPAYMENT,
    delivery_method: str = DeliveryMethod.CARRIER,
    lines: list[tuple[str, str]] | None = None,
) -> Order:
    """A table and four chairs (31,000.00 + 1,000.00 delivery unless pickup), qualified;
    with a prepayment scheme the prepayment is paid, so the order is in production."""
    pickup = delivery_method == DeliveryMethod.PICKUP
    order = new_order(
        [(catalogue[key], q) for key, q in lines or [("table", "1"), ("chair", "4")]],
        client=client,
        method=delivery_method,
        address="" if pickup else "Moscow, Tverskaya 1",
        actor=manager,
        manager=manager,
        delivery_cost=None if pickup else Decimal("1000.00"),
    )
    order_take_into_work(order=order, actor=manager)
    order = qualify(order, manager, payment_scheme=scheme)
    if scheme != PaymentScheme.POSTPAYMENT:
        pay(Invoice.objects.filter(order=order).latest("id"), actor=manager)
    return refreshed(order)


def order_in_delivery(
    *, manager: User, worker: User, catalogue: dict[str, Product], client: Customer | None = None
) -> Order:
    """A fully prepaid carrier order, made, with its delivery details saved."""
    order = order_in_production(
        manager=manager, catalogue=catalogue, client=client, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    for task in production_tasks(order):
        task_complete(task=task, actor=worker)
    order_save_delivery_details(
        order=refreshed(order),
        actor=manager,
        carrier=carrier(),
        delivery_address="Moscow, Tverskaya 1",
        planned_ship_date=timezone.localdate() + dt.timedelta(days=1),
    )
    return refreshed(order)
