"""Races on real PostgreSQL: two connections doing the same thing at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from invoices.models import Payment, PaymentSource
from orders.models import EventKind, Order, PaymentScheme, Stage, TaskKind
from orders.rules import OrderError
from orders.services.api_keys import api_key_create
from pipeline.payments import payment_register
from pipeline.work import task_complete
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads (one database connection each), released together."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_completing_the_same_task_twice_at_once_moves_the_order_once(staff, catalogue):
    order = f.new_order([(catalogue["table"], 1)])
    task = order.tasks.get()

    results = race(
        lambda: task_complete(task=task, actor=staff["manager"]),
        lambda: task_complete(task=task, actor=staff["manager"]),
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], OrderError)
    assert errors[0].message == "This task is already Done."
    order = Order.objects.get(pk=order.pk)
    assert order.stage == Stage.QUALIFICATION
    assert order.events.filter(kind=EventKind.STAGE).count() == 1


def test_the_same_external_payment_twice_at_once_is_recorded_once(staff, catalogue):
    order = f.take(
        f.new_order([(catalogue["table"], 1), (catalogue["chair"], 1)]), staff["manager"]
    )
    order = f.qualify(order, staff["manager"], payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    invoice = order.invoices.get()

    def pay() -> object:
        return payment_register(
            invoice=invoice,
            amount=Decimal("19000.00"),
            source=PaymentSource.CLOUDPAYMENTS,
            external_id="tx-777",
        )

    results = race(pay, pay)

    assert sorted(created for _, created in results) == [False, True]
    assert Payment.objects.filter(external_id="tx-777").count() == 1
    order = Order.objects.get(pk=order.pk)
    assert order.stage == Stage.PRODUCTION
    assert order.paid_amount == Decimal("19000.00")
    assert order.events.filter(kind=EventKind.STAGE, to_stage=Stage.PRODUCTION).count() == 1
    assert order.tasks.filter(kind=TaskKind.PRODUCE_LINE).count() == 2


def test_the_same_web_shop_order_twice_at_once_creates_one_order(staff, catalogue, client):
    _, key = api_key_create(name="Web shop", scopes=["intake", "read"])
    body = {
        "external_id": "shop-42",
        "customer": {"name": "Анна", "phone": "+7 900 100-00-01"},
        "lines": [{"sku": "CHR-1", "quantity": 2}],
    }

    def post() -> object:
        from django.test import Client

        return (
            Client()
            .post(
                "/api/v1/orders/",
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {key}"},
            )
            .status_code
        )

    assert sorted(race(post, post)) == [200, 201]
    assert Order.objects.filter(external_id="shop-42").count() == 1
