"""The demo tells the product's story at first sight: a Moscow workshop's own clients and
products, a few orders at every stage that the services themselves made, and bells about
what just happened to those orders."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from invoices.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from orders.models import (
    CLOSED_STAGES,
    OPEN_STAGES,
    Customer,
    LineStatus,
    Notification,
    Order,
    Stage,
    Task,
    TaskKind,
    TaskStatus,
    TimelineEvent,
)
from production.models import Material, Product

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def seed() -> None:
    call_command("seed_demo", stdout=StringIO())


def counts() -> dict[str, int]:
    models = (Order, Customer, Product, Material, User, Task, Invoice, Payment, Notification)
    return {model.__name__: model.objects.count() for model in models} | {
        "events": TimelineEvent.objects.count()
    }


def test_running_the_demo_twice_doubles_nothing():
    seed()
    first = counts()
    seed()
    assert counts() == first


def test_a_few_orders_at_every_stage_made_by_the_services_over_the_last_weeks():
    seed()
    per_stage = Counter(Order.objects.values_list("stage", flat=True))
    assert set(per_stage) == set(OPEN_STAGES) | set(CLOSED_STAGES)
    assert all(2 <= n <= 4 for n in per_stage.values()), per_stage

    # Spread over weeks, numbered in the order they came in, nothing in the future.
    orders = list(Order.objects.order_by("created_at"))
    now = timezone.now()
    assert now - orders[0].created_at > dt.timedelta(days=21)
    assert all(order.created_at < now and order.stage_changed_at < now for order in orders)
    assert [order.number for order in orders] == sorted(order.number for order in orders)

    # Waiting for a prepayment: its invoice is out and unpaid.
    for order in Order.objects.filter(stage=Stage.PREPAYMENT):
        invoice = order.invoices.get(kind=InvoiceKind.PREPAYMENT)
        assert invoice.status == InvoiceStatus.ISSUED and order.paid_amount == 0
    # In production: paid as agreed, each line with its task or the first operation of its
    # product's routing, the others waiting their turn; one order has a line made and the
    # next one late.
    waiting = 0
    for order in Order.objects.filter(stage=Stage.PRODUCTION):
        assert order.paid_amount >= order.prepayment_amount
        made_in = order.tasks.filter(kind=TaskKind.PRODUCE_LINE, step__lte=1)
        assert made_in.count() == order.lines_count
        waiting += order.tasks.filter(status=TaskStatus.WAITING).count()
    assert waiting > 0
    late = Task.objects.open().filter(due_at__lt=now)
    assert late.count() == 1
    task = late.get()
    assert task.kind == TaskKind.PRODUCE_LINE and task.order.stage == Stage.PRODUCTION
    assert task.order.lines.filter(status=LineStatus.MADE).exists()
    # Further on, every line made; delivered orders shipped; lost ones with their reason.
    for order in Order.objects.filter(stage__in=[Stage.POSTPAYMENT, Stage.DELIVERY_DETAILS]):
        assert order.lines_made == order.lines_count
    for order in Order.objects.filter(stage=Stage.POSTPAYMENT):
        assert order.invoices.get(kind=InvoiceKind.POSTPAYMENT).status == InvoiceStatus.ISSUED
    for order in Order.objects.filter(stage=Stage.DELIVERY):
        assert order.tasks.open().get(kind=TaskKind.DELIVER).due_at > now
    for order in Order.objects.filter(stage=Stage.WON):
        assert order.shipped_on is not None and order.balance == 0
    for order in Order.objects.filter(stage=Stage.LOST):
        assert CYRILLIC.search(order.lost_reason)
    # Only the late line is late: no order has outstayed its stage.
    assert not Order.objects.filter(stage_escalated_at__isnull=False).exists()
    # People wrote to each other on some orders.
    assert TimelineEvent.objects.filter(kind="comment").count() >= 3


def test_clients_and_products_are_a_russian_workshop_s_own():
    seed()
    for customer in Customer.objects.all():
        assert CYRILLIC.search(customer.name) and not LATIN_WORD.search(customer.name)
        assert customer.phone.startswith("+7") and len(customer.phone) == 12, customer.phone
        assert "@" in customer.email
    people = Customer.objects.exclude(name__regex=r"^(ООО|ИП) ")
    assert all(len(person.name.split()) == 3 for person in people)  # surname, name, patronymic
    companies = Customer.objects.filter(name__startswith="ООО «")
    assert companies.count() >= 2
    # Businesses carry requisites that pass the checks a person typing them would meet.
    for buyer in Customer.objects.exclude(kind=Customer.Kind.PERSON):
        assert buyer.inn and buyer.bik and buyer.account and buyer.requisites_clean() == {}
    assert set(companies.values_list("kind", flat=True)) == {Customer.Kind.COMPANY}
    for product in Product.objects.all():
        assert CYRILLIC.search(product.name) and not LATIN_WORD.search(product.name)
        assert 0 < product.standard_cost < product.price and product.lead_time_days > 0
    assert all(CYRILLIC.search(material.name) for material in Material.objects.all())


def test_each_person_has_a_few_unread_bells_about_real_orders_in_russian(client):
    seed()
    for user in User.objects.all():
        unread = Notification.objects.filter(user=user, read_at__isnull=True)
        assert unread.count() <= 3
        for bell in unread:
            assert bell.order_id is not None and Order.objects.filter(pk=bell.order_id).exists()
            assert CYRILLIC.search(bell.text) and not LATIN_WORD.search(bell.text), bell.text
    manager = User.objects.get(username="manager")
    texts = list(
        Notification.objects.filter(user=manager, read_at__isnull=True).values_list(
            "text", flat=True
        )
    )
    assert any("оплата" in text for text in texts), texts  # a payment received
    assert any(text.startswith("Просрочено") for text in texts), texts  # the late line

    client.force_login(manager)
    response = client.get("/board/")
    assert response.status_code == 200
    html = response.content.decode()
    for order in Order.objects.filter(manager=manager, stage__in=OPEN_STAGES):
        assert order.number in html


def test_the_logo_is_a_drawing_that_names_the_product():
    svg = (ROOT / "static" / "img" / "logo.svg").read_text()
    assert svg.startswith("<svg") and 'viewBox="0 0 32 32"' in svg
    assert re.search(r"<title[^>]*>Conveyor</title>", svg)
