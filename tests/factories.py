"""Building orders through the real services, step by step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from invoices.models import Invoice, PaymentSource
from invoices.services import payment_register
from logistics.models import Carrier
from logistics.services import order_save_delivery_details
from orders import services
from orders.models import Customer, DeliveryMethod, Order, Source, Task, TaskKind
from production.models import Product


def customer(**kwargs) -> Customer:
    defaults = {"name": "Анна Иванова", "email": "anna@example.com", "phone": "+7 900 000-00-01"}
    return Customer.objects.create(**{**defaults, **kwargs})


def new_order(
    products: list[tuple[Product, int | str]],
    *,
    client: Customer | None = None,
    method: str = DeliveryMethod.PICKUP,
    address: str = "",
    source: str = Source.MANAGER,
    **kwargs,
) -> Order:
    return services.order_create(
        customer=client or customer(),
        lines=[services.LineInput(product=p, quantity=Decimal(str(q))) for p, q in products],
        source=source,
        delivery_method=method,
        delivery_address=address,
        **kwargs,
    )


def refreshed(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def take(order: Order, actor: User) -> Order:
    task = order.tasks.get(kind=TaskKind.TAKE_INTO_WORK)
    services.task_complete(task=task, actor=actor)
    return refreshed(order)


def qualify(order: Order, actor: User, **terms) -> Order:
    services.order_update(order=order, actor=actor, **terms)
    return services.order_qualify(order=order, actor=actor)


def pay(invoice: Invoice, amount: Decimal | None = None, **kwargs) -> None:
    kwargs.setdefault("source", PaymentSource.MANUAL)
    payment_register(invoice=invoice, amount=amount or invoice.balance, **kwargs)


def make_all_lines(order: Order) -> Order:
    for task in Task.objects.filter(order=order, kind=TaskKind.PRODUCE_LINE, status="open"):
        services.task_complete(task=task, actor=task.assignee)
    return refreshed(order)


def ship(order: Order, actor: User, **details) -> Order:
    if order.delivery_method == DeliveryMethod.PICKUP:
        details.setdefault("pickup_date", timezone.localdate() + dt.timedelta(days=2))
    else:
        details.setdefault("planned_ship_date", timezone.localdate() + dt.timedelta(days=2))
    if order.delivery_method == DeliveryMethod.CARRIER and "carrier" not in details:
        details["carrier"] = Carrier.objects.get_or_create(
            name="СДЭК", defaults={"tracking_url": "https://cdek.example/track?n={number}"}
        )[0]
    return order_save_delivery_details(order=order, actor=actor, **details)
