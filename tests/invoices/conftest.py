"""Orders waiting for money, the seller's requisites, signed CloudPayments notifications."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.test import TestCase

from invoices.models import Invoice, SellerProfile
from orders.models import Customer, DeliveryMethod, PaymentScheme, Source
from orders.services.orders import LineInput, order_update
from pipeline.orders import order_create, order_qualify, order_take_into_work
from pipeline.promise import order_promise
from tests.invoices.harness import RedisServer, free_port, use_broker

API_SECRET = "cp-test-secret"
PUBLIC_ID = "pk_test_conveyor"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The named people are created with a password; a fast hasher keeps these tests quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """The limits on wrong links and unsigned notifications count per address in the
    cache; each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seller(db) -> SellerProfile:
    seller = SellerProfile.load()
    seller.name = "ООО «Мебельная мастерская»"
    seller.inn = "7701234567"
    seller.kpp = "770101001"
    seller.address = "Москва, ул. Столярная, д. 5"
    seller.bank_name = "ПАО «Сбербанк»"
    seller.bik = "044525225"
    seller.account = "40702810900000012345"
    seller.correspondent_account = "30101810400000000225"
    seller.director = "Иванов И. И."
    seller.save()
    return seller


@pytest.fixture
def cloudpayments(settings):
    settings.CLOUDPAYMENTS_PUBLIC_ID = PUBLIC_ID
    settings.CLOUDPAYMENTS_API_SECRET = API_SECRET
    settings.CLOUDPAYMENTS_TEST_MODE = False
    return settings


def make_order(
    *,
    catalogue,
    manager,
    scheme: str = PaymentScheme.FULL_PREPAYMENT,
    prepayment: Decimal | None = None,
    lines: list[LineInput] | None = None,
    email: str = "klient@example.ru",
    delivery_cost: Decimal | None = Decimal("1500.00"),
):
    customer = Customer.objects.create(name="Анна Клиентова", email=email, language="ru")
    order = order_create(
        customer=customer,
        lines=lines
        or [
            LineInput(product=catalogue["table"], quantity=Decimal("1")),
            LineInput(product=catalogue["chair"], quantity=Decimal("4"), discount=Decimal("500")),
        ],
        source=Source.MANAGER,
        actor=manager,
        manager=manager,
        delivery_method=DeliveryMethod.COURIER if delivery_cost else DeliveryMethod.PICKUP,
        delivery_address="Москва, Тверская 1" if delivery_cost else "",
        delivery_cost=delivery_cost,
    )
    order_take_into_work(order=order, actor=manager)
    order_update(order=order, actor=manager, payment_scheme=scheme, prepayment_amount=prepayment)
    order_promise(order=order, actor=manager)
    return order_qualify(order=order, actor=manager)


@pytest.fixture
def order_in_prepayment(catalogue, staff, seller, manager):
    """Table 15,000 + 4 chairs 16,000 − 500 + delivery 1,500 = 32,000.00, fully prepaid."""
    return make_order(catalogue=catalogue, manager=manager)


@pytest.fixture
def invoice(order_in_prepayment) -> Invoice:
    return order_in_prepayment.invoices.get()


def sign(body: bytes, secret: str = API_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def pay_fields(invoice: Invoice, *, transaction_id: int = 1001, **overrides) -> dict:
    fields = {
        "TransactionId": transaction_id,
        "Amount": str(invoice.balance),
        "Currency": invoice.currency,
        "PaymentAmount": str(invoice.balance),
        "PaymentCurrency": invoice.currency,
        "DateTime": "2026-11-26 10:15:00",
        "CardFirstSix": "424242",
        "CardLastFour": "4242",
        "CardType": "Visa",
        "CardExpDate": "12/28",
        "TestMode": "0",
        "Status": "Completed",
        "OperationType": "Payment",
        "InvoiceId": invoice.number,
        "AccountId": invoice.order.number,
        "Email": "klient@example.ru",
        "Description": "Оплата счёта " + invoice.number,
        "Data": json.dumps({"комментарий": "оплата стола"}, ensure_ascii=False),
        "GatewayName": "Tinkoff",
        "TotalFee": "0",
        "CardProduct": "C",
        "PaymentMethod": "",
    }
    fields.update(overrides)
    return fields


def encode(fields: dict, fmt: str) -> tuple[bytes, str]:
    if fmt == "json":
        return json.dumps(fields, ensure_ascii=False).encode("utf-8"), "application/json"
    return urlencode(fields).encode("utf-8"), "application/x-www-form-urlencoded"


def notify(client, kind: str, fields: dict, *, fmt: str = "form", signature: str | None = ...):
    body, content_type = encode(fields, fmt)
    headers = {}
    if signature is ...:
        headers["HTTP_X_CONTENT_HMAC"] = sign(body)
        headers["HTTP_CONTENT_HMAC"] = sign(body)
    elif signature is not None:
        headers["HTTP_CONTENT_HMAC"] = signature
    # Run what the notification queued after commit (the payment's follow-up), as the
    # real server does once its transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            f"/payments/cloudpayments/{kind}/", data=body, content_type=content_type, **headers
        )


@pytest.fixture
def fake_cp(cloudpayments):
    from tests.invoices.fake_cloudpayments import FakeCloudPayments

    fake = FakeCloudPayments(PUBLIC_ID, API_SECRET).start()
    cloudpayments.CLOUDPAYMENTS_BASE_URL = fake.url
    cloudpayments.CLOUDPAYMENTS_TIMEOUT = 1
    yield fake
    fake.stop()


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server as the broker, stopped at the end."""
    server = RedisServer(free_port(), tmp_path).start()
    restore = use_broker(server.url)
    yield server
    restore()
    server.stop()
