"""Generated hostile uploads: whatever 1C (or anyone holding its cookie) sends as its
orders file, the answer is never a 5xx, and an import that answers failure has booked
nothing: not even the good payment in the same file before the bad part."""

from __future__ import annotations

import base64
import io
import itertools
import zipfile
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db.models import Sum
from hypothesis import event, given
from hypothesis import strategies as st

from invoices.models import Invoice, Payment
from orders.models import Order
from tests.exchange.conftest import Doc1C, document_1c
from tests.invoices.conftest import make_order

URL = "/exchange/1c/"
_numbers = itertools.count(1)

NASTY = st.sampled_from(
    ["", " ", "\x00", "\x01", "\ud800", "‮", "𝕏" * 70, "x" * 5001, "&amp;", "]]>", "<a>", "€"]
)
DATES = st.one_of(
    st.sampled_from(
        ["0001-01-01", "9999-12-31", "2026-02-30", "31.12.1999", "25.11.2026", "2026-11-25T24:00"]
    ),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%d.%m.%Y")),
    st.text(max_size=12),
)
AMOUNTS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e20", "-0", "0.001", "1 000,50", "NaN", "9" * 400, "0x10", ""]),
    st.text(max_size=12),
)
TEXT = st.one_of(st.text(max_size=40), NASTY)
FLAGS = st.sampled_from(["true", "false", "TRUE", "", "да"])


@st.composite
def bodies(draw) -> tuple[bytes, dict]:
    """1C's file with a good first payment and a second document made of hostile values,
    encoded either way, sometimes declared wrongly, cut short or salted with bytes."""
    second = {
        "payment_number": draw(TEXT),
        "payment_date": draw(DATES),
        "payment_amount": draw(AMOUNTS),
        "shipment_number": draw(st.one_of(st.just(""), TEXT)),
        "shipment_date": draw(DATES),
        "shipped": draw(st.booleans()),
        "extra": draw(st.dictionaries(TEXT, st.one_of(TEXT, FLAGS), max_size=3)),
        "number_1c": draw(TEXT),
    }
    mangle = draw(st.sampled_from(["none", "truncate", "salt", "redeclare", "raw", "zip"]))
    return second, {
        "encoding": draw(st.sampled_from(["windows-1251", "utf-8"])),
        "mangle": mangle,
        "cut": draw(st.integers(min_value=0, max_value=4000)),
        "salt": draw(st.binary(min_size=1, max_size=8)),
        "raw": draw(st.binary(max_size=600)),
    }


def _build(good: Order, target: Order, second: dict, how: dict) -> bytes:
    first = Doc1C(
        good,
        payment_number=f"fuzz-{next(_numbers)}",
        payment_date="2026-11-25",
        payment_amount="1.00",
    )
    try:
        body = document_1c([first, Doc1C(target, **second)], encoding=how["encoding"])
    except (ValueError, UnicodeError):  # a lone surrogate cannot be written at all
        body = b"<?xml version='1.0'?>\xed\xa0\x80"
    if how["mangle"] == "truncate":
        body = body[: how["cut"]]
    elif how["mangle"] == "salt":
        middle = min(how["cut"], len(body))
        body = body[:middle] + how["salt"] + body[middle:]
    elif how["mangle"] == "redeclare":
        other = "utf-8" if how["encoding"] == "windows-1251" else "windows-1251"
        body = body.replace(how["encoding"].encode(), other.encode(), 1)
    elif how["mangle"] == "raw":
        body = how["raw"]
    elif how["mangle"] == "zip":  # zipped as with zip=yes, and sometimes cut short
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("orders.xml", body)
        body = buffer.getvalue()
        body = body[: how["cut"]] if how["cut"] < len(body) else body
    return body


@pytest.fixture
def orders(catalogue, staff, manager) -> tuple[Order, Order]:
    good = make_order(catalogue=catalogue, manager=manager, email="good@example.ru")
    target = make_order(catalogue=catalogue, manager=manager, email="target@example.ru")
    return good, target


@pytest.fixture
def cookie(client, exchange_key) -> str:
    credentials = base64.b64encode(f"1c:{exchange_key}".encode()).decode()
    answer = client.get(
        URL, {"type": "sale", "mode": "checkauth"}, HTTP_AUTHORIZATION=f"Basic {credentials}"
    )
    status, name, value = answer.content.decode().split("\n")
    assert status == "success"
    client.cookies[name] = value
    return value


def _ledger() -> tuple[int, list[tuple[str, Decimal]], list[str]]:
    invoices = list(Invoice.objects.order_by("pk").values_list("number", "paid_amount"))
    stages = list(Order.objects.order_by("pk").values_list("stage", flat=True))
    return Payment.objects.count(), invoices, stages


@given(case=bodies())
def test_a_hostile_upload_is_never_a_5xx_nor_half_booked(client, cookie, orders, case):
    second, how = case
    good, target = orders
    body = _build(good, target, second, how)
    before = _ledger()
    upload = client.post(
        f"{URL}?type=sale&mode=file&filename=orders.xml",
        data=body,
        content_type="application/octet-stream",
    )
    answer = client.get(URL, {"type": "sale", "mode": "import", "filename": "orders.xml"})
    assert upload.status_code < 500 and answer.status_code < 500
    text = answer.content.decode()
    event(text.split("\n")[0])  # --hypothesis-show-statistics: how many got through
    if text.startswith("failure"):
        assert _ledger() == before  # nothing, not even the good first payment
    else:
        assert text == "success"
        assert Payment.objects.count() > before[0]  # the good payment, at least
    for invoice in Invoice.objects.all():
        paid = invoice.payments.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert invoice.paid_amount == paid


NAMES = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=60),
    st.sampled_from(["../../etc/passwd", "orders.xml", "a/b/c.xml", "x" * 300, "", "CON"]),
)


# 1C's platform versions differ in the type they give a file's chunk, if any.
CONTENT_TYPES = st.sampled_from(
    ["application/octet-stream", "application/x-www-form-urlencoded", "text/xml", ""]
)


@given(body=st.binary(max_size=3000), name=NAMES, content_type=CONTENT_TYPES)
def test_any_bytes_under_any_name_are_answered_without_a_5xx(
    client, cookie, body, name, content_type
):
    query = urlencode({"type": "sale", "mode": "file", "filename": name})
    upload = client.post(f"{URL}?{query}", data=body, content_type=content_type)
    answer = client.get(URL, {"type": "sale", "mode": "import", "filename": name})
    assert upload.status_code < 500 and answer.status_code < 500
    # A NUL in the name is refused before us (config.inputs); anything else gets our word.
    assert answer.status_code == 400 or answer.content.decode().split("\n")[0] == "failure"
    assert Payment.objects.count() == 0


PARAMS = st.dictionaries(
    st.sampled_from(["type", "mode", "filename", "version", "sessid"]),
    st.one_of(
        st.sampled_from(["sale", "catalog", "checkauth", "init", "query", "success", "import"]),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    ),
    max_size=5,
)


# What a Cookie header can carry at all (the test client writes it as latin-1).
TOKENS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF, exclude_characters=";,"))


@given(params=PARAMS, token=st.one_of(st.none(), TOKENS))
def test_any_parameters_and_cookie_are_answered_without_a_5xx(client, cookie, params, token):
    client.cookies["conveyor_1c"] = cookie if token is None else token  # None: signed in
    answer = client.get(URL, params)
    assert answer.status_code < 500


CREDENTIALS = st.one_of(
    st.binary(max_size=120),
    # Shaped like a key, so the lookup by its prefix runs: with a NUL, or not UTF-8.
    st.tuples(st.binary(max_size=10), st.binary(max_size=10)).map(
        lambda parts: b"1c:cvr_" + parts[0] + b"_" + parts[1]
    ),
    st.sampled_from([b"1c:cvr_\x00_x", b"1c:cvr_ab\xff_x", b":", b"\x00:\x00"]),
)


@pytest.fixture
def no_hold_off(settings) -> None:
    """Every example reaches the key lookup (set once: each assignment to `settings` is
    another override layer, and thousands of examples would nest them too deep)."""
    settings.EXCHANGE_1C_FAILURES_PER_HOUR = 10**9


@given(credentials=CREDENTIALS, scheme=st.sampled_from(["Basic", "basic", "Bearer"]))
def test_any_credentials_are_answered_without_a_5xx(client, db, no_hold_off, credentials, scheme):
    header = f"{scheme} {base64.b64encode(credentials).decode()}"
    answer = client.get(URL, {"type": "sale", "mode": "checkauth"}, HTTP_AUTHORIZATION=header)
    assert answer.status_code == 401
    assert answer.content.decode().startswith("failure\n")
