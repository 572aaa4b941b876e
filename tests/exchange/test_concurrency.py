"""Two exchanges of 1C's importing the same file at once (a second 1C base, or a retry
while the first still runs), against a live server on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from invoices.models import Payment, PaymentSource
from orders.models import Order, Stage, TimelineEvent
from tests.exchange.conftest import Doc1C, OneC, document_1c, today
from tests.factories import order_in_delivery, refreshed
from tests.invoices.conftest import make_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _signed_in_with(url: str, key: str, content: bytes) -> OneC:
    client = OneC(url=f"{url}/exchange/1c/", login="1c", password=key)
    assert client.checkauth().text.startswith("success")
    client.init()
    assert set(client.upload("orders.xml", content)) == {"success"}
    return client


def _payments(number: str, *orders: Order) -> bytes:
    """1C's file with a payment of 100.00 under `number` for each order, in that order."""
    return document_1c(
        [
            Doc1C(order, payment_number=number, payment_date=today(), payment_amount="100.00")
            for order in orders
        ]
    )


def _import_at_once(clients: list[OneC]) -> list[str]:
    barrier = Barrier(len(clients))

    def run(client: OneC) -> str:
        barrier.wait()
        return client.import_("orders.xml")

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(run, clients))


def test_the_same_file_imported_at_once_books_once_and_answers_success(
    live_server, exchange_key, staff, catalogue
):
    waiting = make_order(catalogue=catalogue, manager=staff["manager"])
    shipping = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    content = document_1c(
        [
            # The shipment first: no other order's lock orders the imports before it.
            Doc1C(shipping, shipment_number="12", shipment_date=today()),
            Doc1C(waiting, payment_number="44", payment_date=today()),
        ]
    )
    clients = [_signed_in_with(live_server.url, exchange_key, content) for _ in range(4)]
    answers = _import_at_once(clients)
    assert answers == ["success"] * 4
    assert Payment.objects.filter(source=PaymentSource.EXCHANGE_1C).count() == 1
    assert refreshed(waiting).stage == Stage.PRODUCTION
    assert refreshed(shipping).stage == Stage.WON
    assert TimelineEvent.objects.filter(to_stage=Stage.WON).count() == 1
    assert TimelineEvent.objects.filter(to_stage=Stage.PRODUCTION, order=waiting).count() == 1


def test_two_files_naming_the_same_orders_the_other_way_round_both_go_through(
    live_server, exchange_key, staff, catalogue
):
    first, second = (
        make_order(catalogue=catalogue, manager=staff["manager"], email=f"{n}@example.ru")
        for n in ("first", "second")
    )
    rounds = 3
    for round_ in range(rounds):
        clients = [
            _signed_in_with(live_server.url, exchange_key, _payments(f"a{round_}", first, second)),
            _signed_in_with(live_server.url, exchange_key, _payments(f"b{round_}", second, first)),
        ]
        assert _import_at_once(clients) == ["success", "success"]
    assert Payment.objects.filter(source=PaymentSource.EXCHANGE_1C).count() == 4 * rounds
