"""Generated CloudPayments traffic, signed and not, to every endpoint: whatever arrives,
the answer is never a 5xx and the ledger stays whole (each invoice's and order's paid sum
is the sum of its payments, no payment of 0, signs follow kinds)."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db.models import Q, Sum
from django.test import TestCase
from hypothesis import given
from hypothesis import strategies as st

from invoices.models import Invoice, Payment, ProviderEvent
from orders.models import Order
from tests.invoices.conftest import notify, pay_fields, sign

KINDS = ["check", "pay", "fail", "confirm", "refund", "cancel"]

FIRST_PAYMENT = "1001"

hostile_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40
) | st.sampled_from(["", "\x00", "a\x00b", "%00", "\\u0000", "я" * 300, "9" * 120, " "])
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.sampled_from(
        [
            "-400.00",
            "0.00",
            "-1.00",
            "0",
            "32000.00",
            "1e+308",
            "-1e+308",
            "1E-400",
            "NaN",
            "Infinity",
            "32 000,00",
            "999999999999.99",
            "1000000000000.00",
            "0.001",
            "1,5",
        ]
    ),
)
dates = st.one_of(
    st.sampled_from(
        [
            "2026-11-26 10:15:00",
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "2026-13-45 10:00:00",
            "1999-12-31 23:59:59",
            "2026-11-26T10:15:00+25:00",
            "2026-02-30 00:00:00",
            "yesterday",
            "",
        ]
    ),
    st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S")),
)
scalars = st.one_of(hostile_text, numbers, st.booleans(), st.none())
nested = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3)
    ),
    max_leaves=12,
)


@st.composite
def notifications(draw, invoice: Invoice) -> dict:
    base = pay_fields(invoice, transaction_id=draw(st.integers(1, 10**6)))
    fields = {
        "TransactionId": draw(
            st.one_of(st.integers(0, 10**25), hostile_text, st.just(FIRST_PAYMENT))
        ),
        "Amount": draw(st.one_of(numbers, nested)),
        "Currency": draw(st.sampled_from(["RUB", "USD", "rub", "", "RUBLES"]) | hostile_text),
        "InvoiceId": draw(st.sampled_from([invoice.number, "INV-1999-00001"]) | hostile_text),
        "AccountId": draw(st.sampled_from([invoice.order.number, "1999-00001", ""]) | hostile_text),
        "DateTime": draw(dates),
        "Status": draw(st.sampled_from(["Completed", "Authorized", "Declined"]) | hostile_text),
        "TestMode": draw(st.sampled_from(["0", "1", "true", "yes"])),
        "PaymentTransactionId": draw(st.sampled_from([FIRST_PAYMENT, ""]) | hostile_text),
        "Reason": draw(hostile_text),
        "Data": draw(nested),
    }
    keep = draw(st.sets(st.sampled_from(sorted(fields)), max_size=len(fields)))
    chosen = {key: value for key, value in fields.items() if key in keep}
    extra = draw(st.dictionaries(hostile_text, nested, max_size=3))
    return base | chosen | extra


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError


@st.composite
def bodies(draw, invoice: Invoice) -> tuple[bytes, str]:
    how = draw(st.sampled_from(["form", "json", "json-deep", "raw"]))
    if how == "raw":
        return draw(st.binary(max_size=300)), draw(
            st.sampled_from(
                ["application/json", "application/x-www-form-urlencoded", "", "text/plain"]
            )
        )
    fields = draw(notifications(invoice))
    if how == "form":
        flat = {
            str(key): value if isinstance(value, str) else json.dumps(value, default=_jsonable)
            for key, value in fields.items()
        }
        return urlencode(flat).encode(), draw(
            st.sampled_from(
                [
                    "application/x-www-form-urlencoded",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ]
            )
        )
    if how == "json-deep":
        depth = draw(st.integers(5, 3000))
        fields["Data"] = json.loads("[" * depth + "]" * depth) if depth < 900 else []
        body = json.dumps(fields, ensure_ascii=draw(st.booleans()), default=_jsonable).encode()
        if depth >= 900:
            body = body[:-1] + b', "Deep": ' + b"[" * depth + b"]" * depth + b"}"
        return body, "application/json"
    body = json.dumps(fields, ensure_ascii=draw(st.booleans()), default=_jsonable).encode()
    return body, draw(st.sampled_from(["application/json", "application/json; charset=utf-8"]))


def assert_ledger_whole() -> None:
    for invoice in Invoice.objects.all():
        total = invoice.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
        assert invoice.paid_amount == total, invoice.number
    for order in Order.objects.all():
        total = order.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
        assert order.paid_amount == total, order.number
    assert not Payment.objects.filter(amount=0).exists()
    payments = Q(refund_of__isnull=True, reversal_of__isnull=True)
    assert not Payment.objects.filter(payments, amount__lt=0).exists()
    assert not Payment.objects.filter(~payments, amount__gt=0).exists()
    assert not Payment.objects.filter(refund_of__isnull=False, reversal_of__isnull=False).exists()
    assert all(payment.invoice.order_id == payment.order_id for payment in Payment.objects.all())


@pytest.fixture
def paid_once(client, invoice, cloudpayments):
    """A first card payment, so refunds and cancels have something to act on."""
    assert notify(client, "pay", pay_fields(invoice, transaction_id=int(FIRST_PAYMENT))).json() == {
        "code": 0
    }
    return invoice


@pytest.mark.parametrize("kind", KINDS)
def test_no_notification_breaks_the_endpoint_or_the_ledger(client, paid_once, kind):
    invoice = paid_once

    @given(body=bodies(invoice), signature=st.sampled_from(["good", "both", "none", "forged"]))
    def send(body: tuple[bytes, str], signature: str) -> None:
        cache.clear()  # each example within the unsigned limit
        raw, content_type = body
        headers = {}
        if signature == "good":
            headers["HTTP_CONTENT_HMAC"] = sign(raw)
        elif signature == "both":
            headers["HTTP_X_CONTENT_HMAC"] = headers["HTTP_CONTENT_HMAC"] = sign(raw)
        elif signature == "forged":
            headers["HTTP_CONTENT_HMAC"] = sign(raw + b"x")
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(
                f"/payments/cloudpayments/{kind}/", data=raw, content_type=content_type, **headers
            )
        assert response.status_code < 500
        if signature in ("none", "forged") and response.status_code not in (400, 413):
            assert response.status_code == 401
        # Whatever was stored as work was done (tasks run at once here): nothing is left
        # failing in the worker.
        assert not ProviderEvent.objects.filter(processed_at__isnull=True).exists()
        assert_ledger_whole()

    send()
