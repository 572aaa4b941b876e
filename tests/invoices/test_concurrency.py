"""Notifications arriving at once, against a live server on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier

import pytest
import requests

from invoices.models import Invoice, Payment, ProviderEvent
from orders.models import Stage, TimelineEvent
from tests.invoices.conftest import encode, make_order, pay_fields, sign

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _post_all(url: str, bodies: list[tuple[bytes, str]]) -> list[requests.Response]:
    barrier = Barrier(len(bodies))

    def post(item: tuple[bytes, str]) -> requests.Response:
        body, content_type = item
        barrier.wait()
        return requests.post(
            url,
            data=body,
            headers={"Content-Type": content_type, "Content-HMAC": sign(body)},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


@pytest.fixture
def live_invoice(catalogue, staff, seller, manager, cloudpayments) -> Invoice:
    return make_order(catalogue=catalogue, manager=manager).invoices.get()


def test_twenty_identical_pay_notifications_make_one_payment_and_one_move(
    live_server, live_invoice
):
    body = encode(pay_fields(live_invoice, transaction_id=424242), "form")
    responses = _post_all(f"{live_server.url}/payments/cloudpayments/pay/", [body] * 20)
    assert [r.status_code for r in responses] == [200] * 20
    assert all(r.json() == {"code": 0} for r in responses)
    assert Payment.objects.count() == 1
    assert ProviderEvent.objects.filter(kind="pay").count() == 20
    order = live_invoice.order
    order.refresh_from_db()
    assert order.stage == Stage.PRODUCTION
    assert TimelineEvent.objects.filter(order=order, to_stage=Stage.PRODUCTION).count() == 1
    assert order.paid_amount == Decimal("32000.00")


def test_two_different_transactions_at_once_both_count_and_flag_an_overpayment(
    live_server, live_invoice
):
    bodies = [
        encode(pay_fields(live_invoice, transaction_id=1), "form"),
        encode(pay_fields(live_invoice, transaction_id=2), "json"),
    ]
    responses = _post_all(f"{live_server.url}/payments/cloudpayments/pay/", bodies)
    assert [r.json() for r in responses] == [{"code": 0}, {"code": 0}]
    assert Payment.objects.count() == 2
    assert Payment.objects.filter(is_overpayment=True).count() == 1
    live_invoice.refresh_from_db()
    assert live_invoice.overpaid is True
    assert live_invoice.paid_amount == Decimal("64000.00")
    assert TimelineEvent.objects.filter(to_stage=Stage.PRODUCTION).count() == 1
