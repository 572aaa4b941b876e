"""The order's own rows: its customer, lines and terms, who manages it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import EllipsisType
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction

from core.phones import phone_normalize
from orders import rules
from orders.assignment import pick_assignee
from orders.models import (
    ZERO,
    ApiKey,
    Customer,
    DeliveryMethod,
    Department,
    EventKind,
    Order,
    OrderLine,
    Stage,
)
from orders.rules import OrderError
from orders.services.common import event_record, lock_order, next_number, order_recalculate


class Sellable(Protocol):
    """What a line is made from: a product of the catalogue (production.models.Product)."""

    sku: str
    name: str
    unit: str
    price: Decimal
    is_active: bool


@dataclass
class LineInput:
    product: Sellable
    quantity: Decimal
    price: Decimal | None = None
    name: str | None = None
    discount: Decimal = ZERO


def _write_lines(order: Order, lines: list[LineInput], *, replace: bool = True) -> None:
    for line in lines:
        if not line.product.is_active:
            raise OrderError(
                errors={"lines": [str(rules.PRODUCT_INACTIVE) % {"sku": line.product.sku}]}
            )
        if line.quantity <= 0:
            raise OrderError(errors={"lines": [str(rules.QUANTITY_NOT_POSITIVE)]})
        price = line.product.price if line.price is None else line.price
        if line.discount < 0 or line.discount > line.quantity * price:
            raise OrderError(errors={"lines": [str(rules.DISCOUNT_TOO_BIG)]})
    if replace:
        order.lines.all().delete()
    OrderLine.objects.bulk_create(
        [
            # The product is a Sellable: orders may not import production's Product (layers).
            OrderLine(  # type: ignore[misc]
                order=order,
                position=position,
                product=line.product,
                sku=line.product.sku,
                name=line.name or line.product.name,
                unit=line.product.unit,
                price=line.product.price if line.price is None else line.price,
                quantity=line.quantity,
                discount=line.discount,
            )
            for position, line in enumerate(lines, start=1)
        ]
    )


def customer_find_or_create(
    *, name: str, email: str = "", phone: str = "", language: str = "ru"
) -> Customer:
    """Match a returning client by e-mail, then by phone; otherwise a new customer. The phone
    is compared in its stored E.164 form, so "8 900 …" finds the client typed "+7 900 …";
    an invalid phone raises PhoneError (a ValueError) with the message to show."""
    email = email.strip().lower()
    phone = phone_normalize(phone)
    # No savepoint of its own: the lock is held until the caller's transaction ends.
    with transaction.atomic(savepoint=False):
        _lock_client_contacts([email, phone])
        customer = None
        if email:
            customer = Customer.objects.filter(email__iexact=email).order_by("id").first()
        if customer is None and phone:
            customer = Customer.objects.filter(phone=phone).order_by("id").first()
        if customer is None:
            customer = Customer.objects.create(
                name=name.strip(), email=email, phone=phone, language=language
            )
    return customer


def _lock_client_contacts(contacts: list[str]) -> None:
    """Two intakes from one new client at once (a double submit in the shop, two orders a
    second apart) would both find no client and both create one. Each waits here, until the
    caller's transaction ends, for another holding the same e-mail or phone; then it finds
    the client the other created. Taken in order in one query, so two waits never deadlock."""
    keys = sorted({f"client:{contact}" for contact in contacts if contact})
    if connection.vendor != "postgresql" or not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            # unnest yields the (sorted) keys in array order; an ORDER BY here could run the
            # locks before sorting.
            "SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(%s::text[]) AS k",
            [keys],
        )


def order_record(
    *,
    customer: Customer,
    lines: list[LineInput],
    source: str,
    actor: User | None = None,
    manager: User | None = None,
    external_id: str = "",
    api_key: ApiKey | None = None,
    delivery_method: str = DeliveryMethod.PICKUP,
    delivery_address: str = "",
    delivery_cost: Decimal | None = None,
    comment: str = "",
) -> Order:
    """A new order's rows, given to a manager; the caller's transaction (the pipeline's
    order_create) opens its first task. `api_key` is the outside system's key that sent it
    in, if one did."""
    with transaction.atomic(savepoint=False):
        year, seq = next_number("order")
        order = Order.objects.create(
            number=f"{year}-{seq:05d}",
            customer=customer,
            source=source,
            external_id=external_id,
            api_key=api_key,
            delivery_method=delivery_method,
            delivery_address=delivery_address,
            delivery_cost=delivery_cost,
            comment=comment,
            currency=settings.ORDER_CURRENCY,
        )
        _write_lines(order, lines, replace=False)
        order.manager = manager or pick_assignee(Department.SALES)
        order.save(update_fields=["manager"])
        event_record(
            order=order,
            kind=EventKind.CREATED,
            actor=actor,
            text=comment,
            to_stage=Stage.NEW,
            source=source,
        )
    return order


def order_update(
    *,
    order: Order,
    actor: User,
    lines: list[LineInput] | None = None,
    payment_scheme: str | None = None,
    prepayment_amount: Decimal | None = None,
    delivery_method: str | None = None,
    delivery_cost: Decimal | EllipsisType | None = ...,
    delivery_address: str | None = None,
) -> Order:
    """Edit lines and terms while the order is new or in qualification."""
    with transaction.atomic():
        order = lock_order(order)
        if order.stage not in (Stage.NEW, Stage.QUALIFICATION):
            raise OrderError(str(rules.LINES_LOCKED))
        if lines is not None:
            _write_lines(order, lines)
        if payment_scheme is not None:
            order.payment_scheme = payment_scheme
        if prepayment_amount is not None:
            order.prepayment_amount = prepayment_amount
        if delivery_method is not None:
            order.delivery_method = delivery_method
        if delivery_cost is not ...:
            order.delivery_cost = delivery_cost
        if delivery_address is not None:
            order.delivery_address = delivery_address
        order.save()
        order_recalculate(order)
    return order


# ----------------------------------------------------------------------------- API keys
