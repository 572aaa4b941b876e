"""A refused qualification opens on the summary of what stopped it, as a refused new order
does (templates/orders/partials/error_summary.html)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from orders import rules
from orders.models import Stage
from tests.browser.conftest import sign_in
from tests.workspace.conftest import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_qualification_puts_the_focus_on_its_errors(new_page, staff, catalogue):
    order = make_order(manager=staff["manager"], catalogue=catalogue, stage=Stage.QUALIFICATION)
    page = new_page()
    sign_in(page, "masha")
    page.goto(f"/orders/{order.number}/edit/")
    expect(page.locator("#error-summary")).to_have_count(0)  # nothing refused yet

    # No payment scheme, delivery by carrier with neither a cost nor an address.
    page.select_option("select[name='delivery_method']", "carrier")
    page.click("button[name='qualify']")

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    for href, label, message in [
        ("#id_payment_scheme_0", "Payment scheme", rules.SCHEME_MISSING),
        ("#id_delivery_cost", "Delivery cost", rules.DELIVERY_COST_MISSING),
        ("#id_delivery_address", "Delivery address", rules.DELIVERY_ADDRESS_MISSING),
    ]:
        link = summary.locator(f"a[href='{href}']")
        expect(link).to_have_text(f"{label}: {message}")
        expect(page.locator(href)).to_have_count(1)

    # Following a link takes the reader to the field.
    summary.locator("a[href='#id_delivery_cost']").click()
    expect(page.locator("#id_delivery_cost")).to_be_in_viewport()

    # Fixed and saved without qualifying: no summary any more.
    page.check("#id_payment_scheme_0")
    page.fill("input[name='delivery_cost']", "500")
    page.fill("textarea[name='delivery_address']", "Moscow, Tverskaya 1")
    page.click("button[name='save']")
    expect(page).to_have_url(re.compile(re.escape(order.get_absolute_url()) + "(#.*)?$"))
    expect(page.locator("#error-summary")).to_have_count(0)
