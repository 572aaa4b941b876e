"""POST /api/v1/payments/: the accounting system reports a bank payment."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from invoices.models import Payment, PaymentSource
from orders.models import Stage
from orders.services.api_keys import api_key_create
from pipeline.orders import order_cancel


@pytest.fixture
def key(db) -> str:
    return api_key_create(name="1C", scopes=["accounting", "read"])[1]


def post(client, key, payload):
    return client.post(
        "/api/v1/payments/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def body(invoice, **extra):
    return {
        "invoice": invoice.number if invoice else None,
        "amount": "32000.00",
        "paid_at": "2026-11-25T12:00:00+03:00",
        "reference": "п/п 1234 от 25.11.2026",
    } | extra


def test_it_records_a_payment_and_moves_the_order(client, key, invoice):
    response = post(client, key, body(invoice))
    assert response.status_code == 201
    data = response.json()
    assert data["invoice"] == {
        "number": invoice.number,
        "status": "paid",
        "amount": "32000.00",
        "paid": "32000.00",
        "balance": "0.00",
    }
    assert data["order"]["stage"] == Stage.PRODUCTION
    payment = Payment.objects.get()
    assert payment.source == PaymentSource.ACCOUNTING
    assert payment.external_id == "п/п 1234 от 25.11.2026"


def test_it_is_idempotent_on_reference(client, key, invoice):
    assert post(client, key, body(invoice)).status_code == 201
    again = post(client, key, body(invoice))
    assert again.status_code == 200
    assert Payment.objects.count() == 1
    conflict = post(client, key, body(invoice, amount="100.00"))
    assert conflict.status_code == 409
    assert "already used" in conflict.json()["errors"]["reference"][0]


def test_partial_payments_add_up(client, key, invoice):
    post(client, key, body(invoice, amount="12000.00", reference="A"))
    response = post(client, key, body(invoice, amount="20000.00", reference="B"))
    assert response.json()["invoice"]["status"] == "paid"
    assert response.json()["order"]["stage"] == Stage.PRODUCTION


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"invoice": "INV-0000-00000"}, "invoice"),
        ({"invoice": None}, "invoice"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": True}, "amount"),
        ({"paid_at": "вчера"}, "paid_at"),
        ({"reference": ""}, "reference"),
        ({"currency": "рубли"}, "currency"),
    ],
)
def test_it_refuses_bad_input_with_the_field(client, key, invoice, change, field):
    response = post(client, key, body(invoice) | change)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Payment.objects.count() == 0


def test_it_refuses_a_future_date_and_a_void_invoice(client, key, invoice, manager):
    future = post(client, key, body(invoice, paid_at="2099-01-01"))
    assert future.status_code == 400
    assert "paid_at" in future.json()["errors"]
    order_cancel(order=invoice.order, actor=manager, reason="Отказ")
    void = post(client, key, body(invoice))
    assert void.status_code == 409
    assert "void" in void.json()["errors"]["__all__"][0]


def test_it_refuses_another_currency(client, key, invoice):
    response = post(client, key, body(invoice, currency="USD"))
    assert response.status_code == 409
    assert Payment.objects.count() == 0


def test_it_needs_a_key(client, invoice):
    assert post(client, "cvr_bad_key", body(invoice)).status_code == 401
    assert (
        client.post("/api/v1/payments/", data="{}", content_type="application/json").status_code
        == 401
    )


def test_a_second_payment_on_a_paid_invoice_is_an_overpayment(client, key, invoice):
    post(client, key, body(invoice, reference="A"))
    response = post(client, key, body(invoice, reference="B", amount="500.00"))
    assert response.status_code == 201
    assert response.json()["payment"]["overpayment"] is True
    invoice.refresh_from_db()
    assert invoice.overpaid is True
    assert invoice.paid_amount == Decimal("32500.00")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"paid_at": "0001-01-01T00:00:00+05:00"},
            "paid_at",
            "The date of the payment must be between 2000-01-01 and tomorrow.",
        ),
        (
            {"paid_at": "1999-12-31"},
            "paid_at",
            "The date of the payment must be between 2000-01-01 and tomorrow.",
        ),
        ({"paid_at": "2026-02-30"}, "paid_at", "Give the date of the payment (ISO 8601)."),
        ({"paid_at": "2026-11-25T24:00"}, "paid_at", "Give the date of the payment (ISO 8601)."),
        (
            {"paid_at": "2026-11-25T12:00:00+25:00"},
            "paid_at",
            "Give the date of the payment (ISO 8601).",
        ),
        ({"paid_at": 1764000000}, "paid_at", "Give the date of the payment (ISO 8601)."),
        ({"paid_at": "2026-11-25\x00"}, "paid_at", "Give the date of the payment (ISO 8601)."),
        ({"amount": "1e20"}, "amount", "Must be less than 1 000 000 000 000."),
        (
            {"amount": "NaN"},
            "amount",
            "The amount must be a number more than 0, at most 2 decimals.",
        ),
        (
            {"amount": "-Infinity"},
            "amount",
            "The amount must be a number more than 0, at most 2 decimals.",
        ),
        (
            {"reference": "п/п\x00"},
            "reference",
            "Must not contain the NUL character or broken Unicode.",
        ),
        ({"reference": "x" * 101}, "reference", "At most 100 characters."),
        (
            {"invoice": "INV\x00"},
            "invoice",
            "Must not contain the NUL character or broken Unicode.",
        ),
    ],
)
def test_hostile_values_are_refused_with_their_field(client, key, invoice, change, field, message):
    response = post(client, key, body(invoice) | change)
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert Payment.objects.count() == 0


def test_a_day_is_its_midnight_in_the_companys_time_zone(client, key, invoice):
    response = post(client, key, body(invoice, paid_at="2026-11-25"))
    assert response.status_code == 201
    assert response.json()["payment"]["paid_at"] == "2026-11-25T00:00:00+03:00"


def test_the_paid_sum_cannot_outgrow_its_column(client, key, invoice):
    for reference in ("R1", "R2", "R3"):
        response = post(client, key, body(invoice, reference=reference, amount="300000000000"))
        assert response.status_code == 201
    response = post(client, key, body(invoice, reference="R4", amount="300000000000"))
    assert response.status_code == 400
    assert response.json()["errors"]["amount"] == [
        "With this payment the paid sum would not fit: it must stay below 1 000 000 000 000."
    ]
    assert Payment.objects.count() == 3


def test_a_key_without_the_accounting_scope_is_refused(client, invoice):
    shop = api_key_create(name="Web shop", scopes=["intake", "read"])[1]
    response = post(client, shop, body(invoice))
    assert response.status_code == 403
    assert response.json() == {
        "error": "This API key may not do this: it needs the “accounting” scope."
    }
    assert Payment.objects.count() == 0
