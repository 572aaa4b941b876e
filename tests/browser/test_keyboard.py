"""The board from the keyboard alone: "Move to…", the focus after a move and a refresh,
Escape; a card with nothing to choose says what moves it."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from orders import rules
from orders.models import Stage
from tests.browser.conftest import sign_in
from tests.workspace.conftest import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The roles come from a data migration, which a transactional test's flush removes."""
    from django.apps import apps

    if not Group.objects.exists():
        importlib.import_module("orders.migrations.0002_roles_and_defaults").forwards(apps, None)


def _tab_to(page, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def test_move_to_from_the_keyboard_survives_a_refresh_and_closes_with_escape(
    new_page, staff, catalogue
):
    order = make_order(manager=staff["manager"], catalogue=catalogue, name="Anna Keyboard")
    waiting = make_order(
        manager=staff["manager"], catalogue=catalogue, stage=Stage.PREPAYMENT, name="Paying"
    )
    page = new_page()
    sign_in(page, "masha")
    page.goto("/board/")
    card = f".card[data-number='{order.number}']"

    # A card nothing can be chosen for says what moves it on.
    paying = page.locator(f".card[data-number='{waiting.number}']")
    expect(paying.locator("details.move")).to_have_count(0)
    expect(paying).to_have_attribute("title", "Moves on by itself when: Prepayment received")
    expect(paying.locator(".card-auto")).to_have_text(
        "Moves on by itself when: Prepayment received"
    )

    # Tab to the card's "Move to…", open it, choose "Qualification".
    _tab_to(page, f"{card} summary")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator(f"{card} button[value='qualification']")).to_be_focused()
    page.keyboard.press("Enter")
    moved = page.locator(f"ol.cards[data-stage='qualification'] {card}")
    expect(moved).to_be_visible()
    expect(moved.locator("a").first).to_be_focused()

    # The menu again, open, while the board refreshes with something new on it.
    page.keyboard.press("Tab")
    expect(moved.locator("summary")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    choice = moved.locator("details.move button").first
    expect(choice).to_be_focused()
    newcomer = make_order(manager=staff["manager"], catalogue=catalogue, name="Newcomer")
    page.evaluate("htmx.trigger(document.body, 'board-refresh')")
    page.wait_for_timeout(1000)
    expect(moved.locator("details.move")).to_have_attribute("open", "")
    expect(choice).to_be_focused()

    # Escape closes it and gives the focus back to its button.
    page.keyboard.press("Escape")
    expect(moved.locator("details.move")).not_to_have_attribute("open", "")
    expect(moved.locator("summary")).to_be_focused()

    # Closed, the next refresh comes in, and the focus stays on that button.
    page.evaluate("htmx.trigger(document.body, 'board-refresh')")
    expect(page.locator(f".card[data-number='{newcomer.number}']")).to_be_visible()
    expect(moved.locator("summary")).to_be_focused()


def test_a_refused_new_order_puts_the_focus_on_its_errors(new_page, staff, catalogue):
    page = new_page()
    sign_in(page, "masha")
    page.goto("/orders/new/")
    page.click("button[name='qualify']")

    # Nothing typed in: the summary at the top has the focus, each error a link to its field.
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    name = summary.locator("a[href='#id_customer-name']")
    expect(name).to_contain_text("Name")
    expect(page.locator("#id_customer-name")).to_have_count(1)

    # A client but no lines: the error of the form as a whole is in the summary, too.
    page.fill("input[name='customer-name']", "Irina Petrova")
    page.fill("input[name='customer-phone']", "+7 911 123-45-67")
    page.click("button[name='save']")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(str(rules.NO_LINES))
