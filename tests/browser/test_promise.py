"""The manager promises a date in qualification, in a real browser: the order page proposes
the earliest date, one click promises it, qualifying keeps it, and the card shows it."""

from __future__ import annotations

import re

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from core.texts import Msg
from orders.models import Order, PaymentScheme, Stage
from orders.services.orders import order_update
from pipeline.promise import promise_offer
from production.planning import AT_RISK
from tests.browser.conftest import screenshot, sign_in
from tests.workspace.conftest import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ru(date) -> str:
    with translation.override("ru"):
        return formats.date_format(date, "j E")


def test_the_manager_accepts_the_proposed_date_and_qualifies(new_page, staff, catalogue):
    manager = staff["manager"]
    order = make_order(manager=manager, catalogue=catalogue, stage=Stage.QUALIFICATION)
    order_update(order=order, actor=manager, payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    offer = promise_offer(Order.objects.get(pk=order.pk))
    assert offer.pay_by is not None
    page = new_page(locale="ru-RU")
    sign_in(page, "masha")

    page.goto(order.get_absolute_url())
    proposal = page.locator("[data-testid=proposal]")
    expect(proposal).to_have_text(
        f"При оплате до {ru(offer.pay_by)} можем подготовить к выдаче к {ru(offer.earliest)}"
    )
    screenshot(page, "promise-proposed-ru")

    page.click("[data-testid=accept-promise]")
    expect(page.locator("[data-testid=promised-date]")).to_have_text(
        f"Оплата до {ru(offer.pay_by)} — готово к {ru(offer.earliest)}"
    )
    expect(page.locator("[data-testid=accept-promise]")).to_have_count(0)
    assert Order.objects.get(pk=order.pk).promised_date == offer.earliest

    # Qualifying keeps the promise made ("as promised" is the form's choice).
    page.click("[data-testid=stage-actions] a.primary")
    expect(page.locator("input[name=promise][value=keep]")).to_be_checked()
    page.click("button[name='qualify']")
    expect(page.locator("[data-testid=stage]")).to_have_text("Предоплата")
    screenshot(page, "promise-qualified-ru")

    page.goto("/board/")
    card = page.locator(f".card[data-number='{order.number}']")
    expect(card.locator(".promise")).to_have_text(f"к {ru(offer.earliest)}")
    expect(card.locator(".promise")).to_have_attribute("title", "Обещано клиенту")

    # The schedule finds it will be late: the card says so, with why, and the board's
    # "at risk" filter lists it.
    reason = Msg(AT_RISK, centre="Покраска", hours=6).as_data()
    Order.objects.filter(pk=order.pk).update(at_risk_since=timezone.now(), at_risk_reason=reason)
    page.check("input[name=at_risk]")  # submits itself
    expect(page).to_have_url(re.compile(r"at_risk=1"))
    badge = page.locator(f".card[data-number='{order.number}'] .at-risk")
    expect(badge).to_have_text("Под угрозой")
    expect(badge).to_have_attribute("title", "Покраска: на 6 ч позже обещанного")
    screenshot(page, "promise-at-risk-board-ru")
