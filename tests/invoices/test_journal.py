"""The payments journal: money in and out over a period, on a page and as CSV."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from invoices.models import Payment, PaymentSource
from invoices.payments import payment_refund
from invoices.selectors import JOURNAL_LIMIT
from pipeline.payments import payment_register
from tests.invoices.conftest import make_order

pytestmark = pytest.mark.django_db


def _journal(client, **params):
    return client.get("/invoices/payments/", params)


def _today(**params) -> dict:
    today = timezone.localdate().isoformat()
    return {"start": today, "end": today, **params}


@pytest.fixture
def movements(invoice, accountant, catalogue, manager):
    bank, _ = payment_register(
        invoice=invoice,
        amount=Decimal("1000.00"),
        source=PaymentSource.MANUAL,
        actor=accountant,
        reference="п/п 17",
    )
    other = make_order(catalogue=catalogue, manager=manager, email="b@example.ru").invoices.get()
    card, _ = payment_register(
        invoice=other, amount=other.amount, source=PaymentSource.CLOUDPAYMENTS, external_id="555"
    )
    refund, _ = payment_refund(
        payment=card, amount=Decimal("2000.00"), source=PaymentSource.MANUAL, reason="Брак"
    )
    return bank, card, refund


def test_it_lists_the_periods_money_with_totals_in_constant_queries(
    client, accountant, movements, django_assert_num_queries
):
    bank, card, refund = movements
    client.force_login(accountant)
    # session, user, user's permissions, group permissions, the totals (kept per day), a
    # page of movements with invoice, order, client and recorder (one join); the layout's
    # open-task count, unread notifications and role.
    with django_assert_num_queries(9):
        response = _journal(client, **_today())
    page = response.content.decode()
    assert response.status_code == 200
    assert [p.pk for p in response.context["payments"]] == [bank.pk, card.pk, refund.pk]
    assert response.context["totals"].received == Decimal("33000.00")
    assert response.context["totals"].given_back == Decimal("2000.00")
    assert "п/п 17" in page and "Брак" in page and "555" in page

    assert response.context["totals"].movements == 3
    # 57 more in one statement: the page stays a page, the totals count them all.
    Payment.objects.bulk_create(
        Payment(
            invoice=bank.invoice,
            order=bank.order,
            amount=Decimal("10.00"),
            source=PaymentSource.ACCOUNTING,
            external_id=f"bulk-{i}",
        )
        for i in range(57)
    )
    with django_assert_num_queries(9):
        response = _journal(client, **_today())
    assert len(response.context["payments"]) == JOURNAL_LIMIT
    assert response.context["totals"].movements == 60
    assert response.context["totals"].received == Decimal("33570.00")
    assert response.context["totals"].given_back == Decimal("2000.00")
    assert 'id="journal-next"' in response.content.decode()


def test_the_page_opens_on_this_month_and_filters_by_period_and_source(
    client, accountant, invoice, movements
):
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=3)
    with time_machine.travel(dt.datetime.combine(last_month, dt.time(12)), tick=False):
        old, _ = payment_register(
            invoice=invoice, amount=Decimal("7.00"), source=PaymentSource.ACCOUNTING
        )
    client.force_login(accountant)

    this_month = [p.pk for p in _journal(client).context["payments"]]
    assert old.pk not in this_month and len(this_month) == 3
    back_then = _journal(client, start=last_month.isoformat(), end=last_month.isoformat())
    assert [p.pk for p in back_then.context["payments"]] == [old.pk]
    cards = _journal(client, **_today(source="cloudpayments")).context["payments"]
    assert [p.external_id for p in cards] == ["555"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-11-20", "end": "2026-11-01"}, "The period starts after it ends."),
        ({"start": "2024-01-01", "end": "2026-11-01"}, "Choose at most 366 days."),
        ({"start": "yesterday", "end": "2026-11-01"}, "Enter a valid date."),
    ],
)
def test_a_bad_period_is_refused_with_the_reason(client, accountant, params, message):
    client.force_login(accountant)
    response = _journal(client, **params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_csv_has_every_movement_for_a_spreadsheet_or_an_accounting_import(
    client, accountant, movements
):
    bank = movements[0]
    client.force_login(accountant)

    response = _journal(client, **_today(export="csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="payments-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffDate;Invoice;Order;Client;Source;")
    lines = text.splitlines()[1:]
    assert len(lines) == 3
    assert f";{bank.invoice.number};{bank.order.number};Анна Клиентова;" in lines[0]
    assert lines[0].split(";")[7] == "1000.00" and "п/п 17" in lines[0]
    assert lines[1].split(";")[6:9] == ["555", "32000.00", "RUB"]
    assert lines[2].split(";")[7] == "-2000.00" and lines[2].endswith(";Брак")


def test_a_forms_key_is_not_shown_as_a_transaction(client, accountant, invoice):
    payment_register(
        invoice=invoice, amount=Decimal("10.00"), source=PaymentSource.MANUAL, external_id="form:1"
    )
    client.force_login(accountant)
    text = b"".join(_journal(client, **_today(export="csv")).streaming_content).decode()
    assert text.splitlines()[1].split(";")[6] == ""
    assert "form:1" not in _journal(client, **_today()).content.decode()


def test_people_without_money_rights_cannot_read_it(client, staff, movements):
    client.force_login(staff["production"])
    assert _journal(client).status_code == 403
    assert _journal(client, export="csv").status_code == 403


def test_a_long_period_pages_on_with_the_same_totals(client, accountant, movements, monkeypatch):
    monkeypatch.setattr("invoices.selectors.JOURNAL_LIMIT", 2)
    client.force_login(accountant)

    first = _journal(client, **_today())
    page = first.content.decode()
    assert [p.pk for p in first.context["payments"]] == [movements[0].pk, movements[1].pk]
    link = page.split('id="journal-next"')[0].rsplit('href="', 1)[1].split('"')[0]

    second = client.get("/invoices/payments/" + link.replace("&amp;", "&"))
    assert [p.pk for p in second.context["payments"]] == [movements[2].pk]
    assert 'id="journal-next"' not in second.content.decode()
    assert (
        second.context["totals"].received == first.context["totals"].received == Decimal("33000.00")
    )
    assert 'id="journal-first"' in second.content.decode()


@pytest.mark.parametrize(
    "after",
    [
        "yesterday_x",
        "_",
        "x_1",
        "2026-13-45T00:00:00+03:00_1",
        "2026-01-01T00:00:00_1",
        "1_",
        "2000-01-01T00:00:00+03:00_" + "9" * 30,
        "2000-01-01T00:00:00+03:00_-1",
    ],
)
def test_a_mangled_page_link_opens_the_first_page(client, accountant, movements, after):
    client.force_login(accountant)
    response = _journal(client, **_today(after=after))
    assert response.status_code == 200
    assert len(response.context["payments"]) == 3
