"""Every main page, opened by a person allowed to see it, runs under the
Content-Security-Policy without the browser refusing anything (new_page fails the test on
any violation; here each page is also checked on its own, to name it)."""

from __future__ import annotations

from itertools import groupby

import pytest

from tests.browser.conftest import sign_in
from tests.invoices import conftest as money
from tests.invoices.conftest import make_order
from tests.security.pages import main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

seller = money.seller
cloudpayments = money.cloudpayments
media_in_tmp = money.media_in_tmp


def open_clean(page, url: str, name: str) -> None:
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response is not None and response.status == 200, (name, url)
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy, name
    assert page.evaluate("window.__cspViolations") == [], name


def test_every_main_page_runs_under_the_policy(
    new_page, manager, head_of_sales, head_of_production, accountant, staff, catalogue
):
    pages = main_pages(
        manager=manager,
        head_of_sales=head_of_sales,
        head_of_production=head_of_production,
        accountant=accountant,
        staff=staff,
        catalogue=catalogue,
    )
    by_person = groupby(sorted(pages, key=lambda p: p.username or ""), key=lambda p: p.username)
    for username, visits in by_person:
        page = new_page()
        if username:
            sign_in(page, username)
        for visit in visits:
            open_clean(page, visit.url, visit.name)
            if visit.name == "board":
                # htmx swaps the board in place: what it brings runs under the policy too.
                with page.expect_response(lambda r: "/board/" in r.url and "v=" in r.url):
                    page.evaluate("htmx.trigger(document.body, 'board-refresh')")
                page.wait_for_load_state("networkidle")
                assert page.evaluate("window.__cspViolations") == [], "board refresh"


def test_the_invoice_page_may_load_the_card_widget(
    new_page, catalogue, staff, seller, manager, cloudpayments
):
    invoice = make_order(catalogue=catalogue, manager=manager).invoices.get()
    page = new_page()
    widget_requested = []

    def offline(route) -> None:  # CloudPayments is not reachable from the test machine
        widget_requested.append(route.request.url)
        route.abort()

    page.route("https://widget.cloudpayments.ru/**", offline)
    open_clean(page, invoice.public_url.replace("http://testserver", ""), "client's invoice")
    # The policy let the browser ask for the widget (a refused script is never requested).
    assert widget_requested == ["https://widget.cloudpayments.ru/bundles/cloudpayments.js"]


def test_the_board_filter_applies_itself_without_an_inline_handler(new_page, manager):
    page = new_page()
    sign_in(page, "masha")
    page.goto("/board/")
    with page.expect_navigation():
        page.check("input[name=overdue]")
    assert "overdue=1" in page.url
    assert page.locator("input[name=overdue]").is_checked()
