"""Money reads the same everywhere: grouped digits and the currency sign in the reader's
locale, on the board and the margin report."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from orders.models import DeliveryMethod, Stage
from pipeline.work import production_task_done
from tests.factories import order_in_production, production_tasks

pytestmark = pytest.mark.django_db


def _get(client, path: str, language: str, **query) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path, query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("language", "total"), [("en", "23,000\xa0₽"), ("ru", "23\xa0000\xa0₽")])
def test_a_card_shows_no_debt_before_anything_is_invoiced(
    client, staff, order_factory, language, total
):
    order = order_factory(stage=Stage.QUALIFICATION, lines=2)
    client.force_login(staff["manager"])
    html = _get(client, "/board/", language)
    card = html.split(f'data-number="{order.number}"', 1)[1].split("</li>", 1)[0]
    assert f'<p class="card-money">{total}</p>' in card


@pytest.mark.parametrize(
    ("language", "owes"), [("en", "owes 23,000\xa0₽"), ("ru", "долг 23\xa0000\xa0₽")]
)
def test_a_card_shows_the_debt_once_the_order_is_invoiced(
    client, staff, order_factory, language, owes
):
    order = order_factory(stage=Stage.PREPAYMENT, lines=2)
    client.force_login(staff["manager"])
    html = _get(client, "/board/", language)
    card = html.split(f'data-number="{order.number}"', 1)[1].split("</li>", 1)[0]
    assert owes in card


@pytest.mark.parametrize(
    ("language", "revenue"), [("en", "31,000.00\xa0₽"), ("ru", "31\xa0000,00\xa0₽")]
)
def test_the_margin_report_groups_digits_and_shows_the_sign(
    client, staff, catalogue, head_of_sales, language, revenue
):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    for task in production_tasks(order):
        production_task_done(task=task, actor=staff["production"])
    client.force_login(head_of_sales)
    today = timezone.localdate().isoformat()
    html = _get(client, reverse("production:margin_report"), language, start=today, end=today)
    total = html.split("<tfoot>", 1)[1]
    assert f'<th class="num">{revenue}</th>' in total


@pytest.mark.parametrize(
    ("language", "price", "delivery"), [("en", "15000.00", "500.00"), ("ru", "15000,00", "500,00")]
)
def test_qualification_inputs_write_amounts_in_the_reader_s_notation(
    client, staff, order_factory, language, price, delivery
):
    order = order_factory(stage=Stage.QUALIFICATION, delivery=DeliveryMethod.CARRIER)
    client.force_login(staff["manager"])
    html = _get(client, f"/orders/{order.number}/edit/", language)
    assert f'name="lines-0-price" value="{price}"' in html
    assert f'name="delivery_cost" value="{delivery}"' in html
    assert 'inputmode="decimal"' in html


def test_a_russian_reader_may_type_a_comma_or_a_point(client, staff, order_factory):
    from tests.workspace.test_qualification import form_data

    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    data = form_data([("TBL-1", "1", "14000,50"), ("CHR-1", "2", "3900.25")], save="1")
    client.post(f"/orders/{order.number}/edit/", data)
    order.refresh_from_db()
    assert [line.price for line in order.lines.order_by("id")] == [
        Decimal("14000.50"),
        Decimal("3900.25"),
    ]
