"""Every CSV download is safe to open in a spreadsheet: text a spreadsheet would run as a
formula (a web-shop client named =HYPERLINK(…)) goes out with a leading apostrophe, while
amounts, negative ones too, stay numbers."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from core.exports import FORMULA_TRIGGERS, csv_cell
from invoices.models import PaymentSource
from invoices.payments import payment_refund
from pipeline.payments import payment_register
from pipeline.work import production_task_done
from tests.factories import order_in_production, production_tasks
from tests.invoices.conftest import make_order

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://x","y")'


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def hostile_order(catalogue, manager, seller):
    order = make_order(catalogue=catalogue, manager=manager)
    order.customer.name = HOSTILE
    order.customer.save()
    return order


def test_the_receivables_csv_escapes_a_client_named_like_a_formula(
    client, accountant, hostile_order
):
    client.force_login(accountant)

    rows = rows_of(client.get("/invoices/", {"export": "csv"}))

    assert rows[1][2] == "'" + HOSTILE
    assert rows[1][4] == "32000.00"


def test_the_payments_journal_csv_escapes_text_and_keeps_a_refund_a_negative_number(
    client, accountant, hostile_order
):
    invoice = hostile_order.invoices.get()
    payment, _ = payment_register(
        invoice=invoice,
        amount=Decimal("1000.00"),
        source=PaymentSource.MANUAL,
        actor=accountant,
        reference="@SUM(A1:A9)",
    )
    payment_refund(
        payment=payment, amount=Decimal("400.00"), source=PaymentSource.MANUAL, reason="-2+3"
    )
    client.force_login(accountant)
    today = timezone.localdate().isoformat()

    rows = rows_of(
        client.get("/invoices/payments/", {"start": today, "end": today, "export": "csv"})
    )

    paid, refunded = rows[1], rows[2]
    assert (paid[3], paid[5], paid[7]) == ("'" + HOSTILE, "'@SUM(A1:A9)", "1000.00")
    assert (refunded[3], refunded[7], refunded[10]) == ("'" + HOSTILE, "-400.00", "'-2+3")


def test_the_margin_csv_escapes_a_product_named_like_a_formula_and_keeps_a_loss_negative(
    client, staff, catalogue, head_of_sales
):
    catalogue["table"].name = "+cmd|' /C calc'!A0"
    catalogue["table"].save()
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, lines=[("table", "1")]
    )
    production_task_done(
        task=production_tasks(order)[0], actor=staff["production"], materials_cost=Decimal(20000)
    )  # 20,000 + standard labour 1,200 against a price of 15,000
    client.force_login(head_of_sales)
    today = timezone.localdate().isoformat()

    rows = rows_of(
        client.get(reverse("production:margin_report_csv"), {"start": today, "end": today})
    )

    assert rows[1] == [
        "TBL-1",
        "'+cmd|' /C calc'!A0",
        "1",
        "15000.00",
        "21200.00",
        "-6200.00",
        "-41.3",
    ]


@given(st.sampled_from(FORMULA_TRIGGERS), st.text())
def test_text_starting_like_a_formula_comes_out_behind_an_apostrophe(trigger, rest):
    text = trigger + rest
    escaped = csv_cell(text)
    if trigger == "-" and re.fullmatch(r"[0-9]+(\.[0-9]+)?", rest):
        assert escaped == text  # a negative amount handed over as text is a number
    else:
        assert escaped == "'" + text


@given(st.text().filter(lambda text: not text.startswith(FORMULA_TRIGGERS)))
def test_other_text_goes_out_unchanged(text):
    assert csv_cell(text) == text


@given(st.one_of(st.integers(), st.decimals(allow_nan=False), st.floats(allow_nan=False)))
def test_numbers_stay_numbers(number):
    assert csv_cell(number) is number
