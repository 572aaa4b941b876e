"""The buyer's requisites on the qualification form: shown for a business only, with or
without a script, and a refused requisite is in the summary at the top."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from orders.models import Customer, Stage
from tests.browser.conftest import DESKTOP, screenshot, sign_in
from tests.workspace.conftest import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_requisites_follow_the_buyers_kind_and_are_checked(new_page, staff, catalogue):
    order = make_order(manager=staff["manager"], catalogue=catalogue, stage=Stage.QUALIFICATION)
    page = new_page(locale="ru-RU")
    sign_in(page, "masha")
    page.goto(f"/orders/{order.number}/edit/")

    expect(page.locator("#id_buyer-inn")).to_be_hidden()  # a person: no requisites
    page.get_by_label("Организация").check()
    expect(page.locator("#id_buyer-inn")).to_be_visible()
    expect(page.locator("#id_buyer-kpp")).to_be_visible()
    page.get_by_label("ИП", exact=True).check()
    expect(page.locator("#id_buyer-kpp")).to_be_hidden()
    page.get_by_label("Организация").check()

    page.fill("#id_buyer-company", "ООО «Ромашка»")
    page.fill("#id_buyer-inn", "7707083893")
    page.fill("#id_buyer-legal_address", "117997, г. Москва, ул. Вавилова, д. 19")
    page.click("button[name='save']")

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#id_buyer-kpp']")).to_have_text(
        "КПП: Обязательно для организации."
    )
    expect(page.locator("#id_buyer-kpp")).to_be_visible()  # the company's fields stay open
    screenshot(page, "qualification-buyer-refused-ru")

    page.fill("#id_buyer-kpp", "773601001")
    page.click("button[name='save']")
    expect(page.locator("[data-requisites]")).to_contain_text("7707083893")
    screenshot(page, "order-buyer-ru")
    assert Customer.objects.get(pk=order.customer_id).kpp == "773601001"


def test_without_a_script_the_stylesheet_hides_what_a_person_does_not_need(
    browser, live_server, staff, catalogue
):
    order = make_order(manager=staff["manager"], catalogue=catalogue, stage=Stage.QUALIFICATION)
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, locale="ru-RU", viewport=DESKTOP
    )
    page = context.new_page()
    sign_in(page, "masha")
    page.goto(f"/orders/{order.number}/edit/")

    expect(page.locator("#id_buyer-inn")).to_be_hidden()
    page.get_by_label("Организация").check()
    expect(page.locator("#id_buyer-inn")).to_be_visible()
    expect(page.locator("#id_buyer-kpp")).to_be_visible()
    page.get_by_label("ИП", exact=True).check()
    expect(page.locator("#id_buyer-kpp")).to_be_hidden()
    context.close()
