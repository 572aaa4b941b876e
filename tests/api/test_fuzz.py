"""Generated hostile input against the JSON APIs: whatever arrives, the answer is never a
5xx and nothing is half-written (an order without lines, a payment without its invoice,
an invoice whose paid sum is not the sum of its payments)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.db.models import Count, F, Sum
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from invoices.models import Invoice, Payment
from orders.models import Order

INTAKE = "/api/v1/orders/"
PAYMENTS = "/api/v1/payments/"

NASTY_TEXT = st.sampled_from(
    ["", " ", "\x00", "a\x00b", "\ud800", "\udfff x", "‮", "𝕏" * 70, "x" * 5001, "1e999"]
)
DATES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-14:00",
            "2026-02-30",
            "2026-11-25T24:00",
            "2026-11-25T12:00:00+25:00",
            "2026-11-25T12:00:00+03:00",
            "2026-11-25",
            "1999-12-31T23:59:59Z",
            "2099-01-01",
            "26-11-25",
            "now",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?\Z"),
)
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=10**12, max_value=10**400),
    st.floats(),  # NaN and ±Infinity go out as JSON's NaN/Infinity literals
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["1e20", "-0", "0.001", "1E+30", "NaN", "Infinity", "9" * 5000, "0x10"]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=30), NASTY_TEXT, DATES)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)


def maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly the valid value, often a hostile one: deep enough to pass the first checks."""
    return st.one_of(valid, valid, SCALARS, ANY_JSON)


LINE = st.fixed_dictionaries(
    {
        "sku": maybe(st.sampled_from(["TBL-1", "CHR-1"])),
        "quantity": maybe(st.sampled_from([1, "2.5", 3])),
    },
    optional={"price": NUMBERS, "discount": NUMBERS},
)
ORDER = st.fixed_dictionaries(
    {
        "external_id": maybe(st.text(min_size=1, max_size=20)),
        "customer": maybe(
            st.fixed_dictionaries(
                {"name": maybe(st.just("Анна")), "email": maybe(st.just("anna@example.com"))},
                optional={"phone": maybe(st.just("+7 900 000-00-01")), "language": SCALARS},
            )
        ),
        "lines": maybe(st.lists(maybe(LINE), min_size=1, max_size=5)),
    },
    optional={
        "delivery": maybe(
            st.fixed_dictionaries(
                {"method": maybe(st.sampled_from(["pickup", "courier", "carrier"]))},
                optional={"address": maybe(st.just("Москва")), "cost": NUMBERS},
            )
        ),
        "comment": maybe(st.text(max_size=50)),
        "currency": maybe(st.just("RUB")),
    },
)


def payment(invoice_number: str) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {
            "invoice": maybe(st.just(invoice_number)),
            "amount": maybe(st.sampled_from(["100.00", 250, "0.01"])) | NUMBERS,
            "paid_at": DATES,
            "reference": maybe(st.text(min_size=1, max_size=30)),
        },
        optional={"currency": maybe(st.just("RUB"))},
    )


DEEP = st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n)


def send(client, auth, url: str, body) -> int:
    # A text body goes as its bytes, lone surrogates too: invalid UTF-8 is a hostile input.
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else json.dumps(body)
    response = client.post(url, raw, content_type="application/json", headers=auth)
    assert response.status_code < 500, (response.status_code, raw[:300])
    return response.status_code


def assert_ledger_whole() -> None:
    """No half-written order or payment, and every invoice's paid sum adds up."""
    orders = Order.objects.annotate(n=Count("lines"))
    assert not orders.filter(n=0).exists()
    assert not orders.exclude(lines_count=F("n")).exists()
    assert not Payment.objects.filter(invoice__isnull=True).exists()
    for invoice in Invoice.objects.annotate(received=Sum("payments__amount")):
        assert invoice.paid_amount == (invoice.received or Decimal("0.00")), invoice.number


@pytest.mark.postgres
@given(body=st.one_of(ORDER, ANY_JSON))
def test_the_intake_never_fails_on_generated_orders(client, auth, staff, catalogue, body):
    status = send(client, auth, INTAKE, body)
    assert status in (200, 201, 400)
    assert_ledger_whole()


@pytest.mark.postgres
@given(data=st.data())
def test_the_accounting_import_never_fails_on_generated_payments(client, auth, invoice, data):
    body = data.draw(st.one_of(payment(invoice.number), ANY_JSON))
    status = send(client, auth, PAYMENTS, body)
    assert status in (200, 201, 400, 409)
    assert_ledger_whole()


@pytest.mark.postgres
@given(raw=DEEP, url=st.sampled_from([INTAKE, PAYMENTS]))
def test_deep_nesting_is_a_400_not_a_crash(client, auth, raw, url):
    assert send(client, auth, url, raw) == 400


# ----------------------------------------------------------------------------- schemathesis


# The API as its OpenAPI document describes it, called in-process through WSGI, so the
# test's database (the key, the catalogue, an invoice) is the one it uses. Loaded when the
# module is (schemathesis' fixture-based loader does not run under pytest 9).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def connection_kept():
    """The WSGI handler closes the database connection after each request; the test client
    stops it from doing so, and so does this: the test's transaction lives on."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.postgres
@schema.parametrize()
def test_no_operation_answers_a_server_error(case, connection_kept, key, staff, catalogue, invoice):
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
    assert_ledger_whole()
