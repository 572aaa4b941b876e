"""A buyer's requisites. One INN is one customer: requisites typed with an INN already on
file name that customer, never a second one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.texts import Msg
from orders import rules
from orders.models import Customer, EventKind, Order, Stage
from orders.rules import OrderError
from orders.services.common import event_record, lock_order
from orders.services.orders import customer_find_or_create

# What a buyer's requisites are made of; `company` is the name printed on documents.
REQUISITE_FIELDS = (
    "kind",
    "company",
    "inn",
    "kpp",
    "ogrn",
    "legal_address",
    "bank_name",
    "bik",
    "account",
    "correspondent_account",
)
INN_TAKEN = _(
    "Already on file for the client %(buyer)s. Tick “Attach the order to this client” to "
    "move the order to them, or correct the INN."
)
SHARED_BUSINESS = _(
    "%(buyer)s has other orders, so its requisites stay. Make a private person's purchase "
    "a separate order for that person."
)
INN_TAKEN_NOW = _("INN %(inn)s was just saved for another client: send the form again.")


def requisites_errors(customer: Customer, requisites: dict[str, Any]) -> dict[str, str]:
    """The requisites checked on `customer` (changed in place, not saved): {field: message}."""
    for field in REQUISITE_FIELDS:
        if field in requisites:
            setattr(customer, field, requisites[field] or "")
    return customer.requisites_clean()


def customer_with_inn(inn: str, *, other_than: int | None = None) -> Customer | None:
    """The customer this INN already names (another than `other_than`), if any."""
    if not inn:
        return None
    found = Customer.objects.filter(inn=inn)
    if other_than is not None:
        found = found.exclude(pk=other_than)
    return found.first()


def _lock_inn(inn: str) -> None:
    """Two requests saving one new INN at once wait for each other here until the end of the
    caller's transaction; the second then finds the customer the first saved."""
    if inn and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"inn:{inn}"])


def order_buyer_save(
    *, order: Order, actor: User, requisites: dict[str, Any], attach_to: Customer | None = None
) -> Order:
    """The buyer's requisites typed in qualification, saved on the order's customer. When
    their INN is another customer's, the order moves to that customer, which takes the
    requisites, but only if the manager confirmed it (`attach_to` is that customer);
    otherwise nothing is saved and the refusal names the client. Raises OrderError with
    the problems by field."""
    with transaction.atomic():
        order = lock_order(order)
        if order.stage not in (Stage.NEW, Stage.QUALIFICATION):
            raise OrderError(str(rules.LINES_LOCKED))
        customer = order.customer
        if _business_to_person(customer, requisites, order):
            raise OrderError(
                errors={"kind": [str(SHARED_BUSINESS) % {"buyer": customer.buyer_name}]}
            )
        errors = requisites_errors(customer, requisites)
        if errors:
            raise OrderError(errors={field: [message] for field, message in errors.items()})
        _lock_inn(customer.inn)
        holder = customer_with_inn(customer.inn, other_than=customer.pk)
        if holder is not None:
            if attach_to is None or attach_to.pk != holder.pk:
                raise OrderError(errors={"inn": [inn_taken_message(holder)]})
            requisites_errors(holder, requisites)
            customer = holder
        try:
            with transaction.atomic():
                customer.save()
        except IntegrityError:
            raise OrderError(errors={"inn": [str(INN_TAKEN_NOW) % {"inn": customer.inn}]}) from None
        if order.customer_id != customer.pk:
            _order_move_to(order, customer, actor)
    return order


def _business_to_person(customer: Customer, requisites: dict[str, Any], order: Order) -> bool:
    """A business with other orders made a person: its requisites would vanish from them
    (and from the 1C exchange), so it is refused."""
    return (
        customer.kind != Customer.Kind.PERSON
        and requisites.get("kind") == Customer.Kind.PERSON
        and customer.orders.exclude(pk=order.pk).exists()
    )


def inn_taken_message(holder: Customer) -> str:
    return str(INN_TAKEN) % {"buyer": holder.buyer_name}


def _order_move_to(order: Order, customer: Customer, actor: User) -> None:
    previous = order.customer
    order.customer = customer
    order.save(update_fields=["customer"])
    event_record(
        order=order,
        kind=EventKind.CUSTOMER,
        actor=actor,
        text=Msg(
            gettext_noop("The order moved from client %(old)s to %(new)s (INN %(inn)s)."),
            old=previous.name,
            new=customer.buyer_name,
            inn=customer.inn,
        ),
    )


def buyer_find_or_create(
    *, name: str, email: str, phone: str, language: str, requisites: dict[str, Any] | None
) -> Customer:
    """The customer of an order sent in through the API. A buyer whose INN is on file is
    that customer, its requisites on file staying as staff checked them. A business with a
    new INN is a new customer: a contact's other customer keeps its own INN and kind. A
    person is found by e-mail or phone as before (and given the INN sent, if it had none).
    The requisites were validated by the caller; still wrong, they raise OrderError."""
    inn = (requisites or {}).get("inn") or ""
    if not inn:
        return customer_find_or_create(name=name, email=email, phone=phone, language=language)
    assert requisites is not None
    with transaction.atomic(savepoint=False):
        _lock_inn(inn)
        holder = customer_with_inn(inn)
        if holder is not None:
            return holder
        customer = None
        if requisites.get("kind", Customer.Kind.PERSON) == Customer.Kind.PERSON:
            customer = customer_find_or_create(
                name=name, email=email, phone=phone, language=language
            )
            customer = None if customer.inn else customer
        if customer is None:
            customer = Customer(
                name=name.strip(), email=email.strip().lower(), phone=phone, language=language
            )
        errors = requisites_errors(customer, requisites)
        if errors:
            raise OrderError(errors={f"buyer.{f}": [m] for f, m in errors.items()})
        customer.save()
    return customer
