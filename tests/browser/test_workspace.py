"""The managers' workspace in a real browser: create, qualify, follow on the board, move."""

from __future__ import annotations

import importlib
import re
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from orders import rules
from orders.models import Order, Stage
from pipeline.orders import MOVE_IMPOSSIBLE
from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.workspace.conftest import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The roles and defaults come from a data migration, and a transactional test's flush
    removes them: put them back the way the migration makes them."""
    from django.apps import apps

    if not Group.objects.exists():
        importlib.import_module("orders.migrations.0002_roles_and_defaults").forwards(apps, None)


def _fill_line(page, index: int, sku: str, quantity: str) -> None:
    product = page.locator(f"input[name='lines-{index}-product']")
    product.fill(sku)
    product.dispatch_event("change")
    expect(page.locator(f"input[name='lines-{index}-price']")).not_to_have_value("")
    page.fill(f"input[name='lines-{index}-quantity']", quantity)


def _drag(page, source, target) -> None:
    """A real pointer drag, in small steps as a hand would do it."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 20, start["y"] + 10)
    page.mouse.down()
    page.mouse.move(start["x"] + 30, start["y"] + 20, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=15)
    page.mouse.up()


def _a_working_day(staff, catalogue) -> None:
    """Other orders of the manager, so the board looks like a working day."""
    for stage, name, lines in [
        (Stage.QUALIFICATION, "Gleb Orlov", 1),
        (Stage.PRODUCTION, "Fabrika Uyut LLC", 3),
        (Stage.PRODUCTION, "Daria Smirnova", 2),
        (Stage.DELIVERY_DETAILS, "Kafe Lastochka", 1),
    ]:
        make_order(
            manager=staff["manager"], catalogue=catalogue, stage=stage, name=name, lines=lines
        )
    late = Order.objects.get(customer__name="Daria Smirnova")
    Order.objects.filter(pk=late.pk).update(
        next_due_at=timezone.now() - timezone.timedelta(hours=5)
    )


def test_a_manager_creates_qualifies_and_works_the_board(new_page, staff, catalogue):
    _a_working_day(staff, catalogue)
    waiting = make_order(manager=staff["manager"], catalogue=catalogue, name="Boris Waiting")
    page = new_page()
    sign_in(page, "masha")

    page.goto("/orders/new/")
    page.fill("input[name='customer-name']", "Irina Petrova")
    page.fill("input[name='customer-phone']", "+7 911 123-45-67")
    page.fill("input[name='customer-email']", "irina@example.com")
    _fill_line(page, 0, "TBL-1", "1")
    expect(page.locator("input[name='lines-0-name']")).to_have_value("Oak table")
    page.click("[data-add-line]")
    _fill_line(page, 1, "CHR-1", "4")
    page.check("input[name='payment_scheme'][value='full_prepayment']")
    page.select_option("select[name='delivery_method']", "carrier")
    page.fill("textarea[name='delivery_address']", "Saint Petersburg, Nevsky 10")
    # Live total before saving: 15,000 + 4 × 4,000.
    expect(page.locator("[data-order-total]")).to_have_text("31,000.00")
    page.click("button[name='qualify']")

    # Saved, but stopped: the exact message, next to the delivery cost.
    expect(page.locator("[data-field='delivery_cost'] .errorlist")).to_have_text(
        str(rules.DELIVERY_COST_MISSING)
    )
    screenshot(page, "qualification-desktop")
    order = Order.objects.get(customer__name="Irina Petrova")
    assert order.stage == Stage.QUALIFICATION and order.lines_count == 2
    expect(page.locator("input[name='lines-1-quantity']")).to_have_value("4")

    page.fill("input[name='delivery_cost']", "1500")
    expect(page.locator("[data-order-total]")).to_have_text("32,500.00")
    page.click("button[name='qualify']")
    expect(page.locator("[data-testid=stage]")).to_have_text("Prepayment")
    expect(page.locator("[data-testid=order-balance]")).to_have_text("32,500.00\xa0₽")
    screenshot(page, "order-desktop")

    page.goto("/board/")
    expect(page.locator("[data-testid=count-prepayment]")).to_have_text("1")
    expect(page.locator("[data-testid=sum-prepayment]")).to_have_text("32,500\xa0₽")
    card = page.locator(f".card[data-number='{order.number}']")
    expect(card).to_contain_text("Irina Petrova")
    expect(card).to_contain_text("owes 32,500\xa0₽")
    screenshot(page, "board-desktop")

    # Dragged where no move exists: refused with the reason, the card snaps back.
    with page.expect_response(lambda r: "/move/" in r.url) as answer:
        _drag(page, card, page.locator("ol.cards[data-stage='delivery']"))
    assert answer.value.status == 409
    expect(page.locator("#notices .notice-error")).to_contain_text(
        str(MOVE_IMPOSSIBLE) % {"source": "Prepayment", "target": "Delivery"}
    )
    expect(
        page.locator(f"ol.cards[data-stage='prepayment'] .card[data-number='{order.number}']")
    ).to_be_visible()
    order.refresh_from_db()
    assert order.stage == Stage.PREPAYMENT

    # "Move to…" from the keyboard: Tab to the menu, open it, choose the column.
    menu = page.locator(f".card[data-number='{waiting.number}'] summary")
    menu.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(
        page.locator(f".card[data-number='{waiting.number}'] button[value='qualification']")
    ).to_be_focused()
    page.keyboard.press("Enter")
    expect(
        page.locator(f"ol.cards[data-stage='qualification'] .card[data-number='{waiting.number}']")
    ).to_be_visible()
    expect(page.locator("[data-testid=count-new]")).to_have_text("0")
    waiting.refresh_from_db()
    assert waiting.stage == Stage.QUALIFICATION


def test_a_production_user_sees_the_order_without_money(new_page, staff, catalogue):
    order = make_order(
        manager=staff["manager"], catalogue=catalogue, stage=Stage.PRODUCTION, lines=2
    )
    page = new_page()
    sign_in(page, "petr")
    assert page.url.endswith("/tasks/")
    page.click(f"a[href='/orders/{order.number}/']")
    expect(page.locator("h1")).to_contain_text(order.number)
    expect(page.locator("#h-lines")).to_be_visible()
    expect(page.locator("#h-money")).to_have_count(0)
    expect(page.locator("text=Register a payment")).to_have_count(0)
    expect(page.locator("[data-testid=order-total]")).to_have_count(0)
    assert "15,000" not in page.content()
    response = page.request.post(
        f"/orders/{order.number}/payments/",
        form={"amount": "1"},
        headers={
            "X-CSRFToken": page.context.cookies()[0]["value"] if page.context.cookies() else ""
        },
    )
    assert response.status in (403,)


def test_the_workspace_works_in_russian_on_a_phone(new_page, staff, catalogue):
    order = make_order(
        manager=staff["manager"], catalogue=catalogue, stage=Stage.PREPAYMENT, lines=2
    )
    page = new_page(viewport=PHONE, locale="ru-RU")
    page.goto("/login/")
    expect(page.locator("h1")).to_have_text("Вход")
    sign_in(page, "masha")
    expect(page.locator("h1")).to_have_text("Доска")
    expect(page.locator("#col-prepayment")).to_have_text("Предоплата")
    total = f"{order.total_amount:,.0f}".replace(",", "\xa0")
    expect(page.locator("[data-testid=sum-prepayment]")).to_have_text(f"{total}\xa0₽")
    # On a phone the columns scroll sideways; the stage chips jump to one.
    page.click("a[href='#column-prepayment']")
    expect(page.locator(f".card[data-number='{order.number}']")).to_be_in_viewport()
    screenshot(page, "board-phone")
    page.goto(order.get_absolute_url())
    expect(page.locator("[data-testid=stage]")).to_have_text("Предоплата")
    expect(page.locator("#h-money")).to_have_text("Счета и платежи")
    assert re.search(
        r"\d\xa0\d{3},00\xa0₽", page.locator("[data-testid=order-balance]").inner_text()
    )
    screenshot(page, "order-phone")
    assert order.total_amount == Decimal("23000.00")


def test_changes_made_by_others_appear_without_a_reload(new_page, staff, catalogue):
    page = new_page()
    sign_in(page, "masha")
    expect(page.locator("[data-testid=count-new]")).to_have_text("0")

    # Meanwhile the web shop sends an order that the robot gives to this manager.
    order = make_order(manager=staff["manager"], catalogue=catalogue, name="Shop Customer")

    expect(page.locator(f".card[data-number='{order.number}']")).to_be_visible(timeout=15_000)
    expect(page.locator("[data-testid=count-new]")).to_have_text("1")


# The board's own requests (its poll, a refresh) are held back and noted: whatever changes
# on the page after that comes from the answer to the move itself.
HOLD_BOARD_REQUESTS = """
window.__boardRequests = [];
document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail.elt.id !== "board") return;
  const trigger = event.detail.requestConfig.triggeringEvent;
  window.__boardRequests.push(trigger ? trigger.type : "poll");
  event.preventDefault();
});
document.getElementById("board").dataset.shown = "first";
"""


def _move_of(order: Order):
    return lambda response: response.url.endswith(f"/orders/{order.number}/move/")


def test_a_dragged_card_updates_its_two_columns_without_refreshing_the_board(
    new_page, staff, catalogue
):
    dragged = make_order(manager=staff["manager"], catalogue=catalogue, name="Anna Dragged")
    by_menu = make_order(manager=staff["manager"], catalogue=catalogue, name="Boris Menu")
    make_order(
        manager=staff["manager"], catalogue=catalogue, stage=Stage.QUALIFICATION, name="Gleb"
    )
    page = new_page()
    sign_in(page, "masha")
    page.goto("/board/")
    expect(page.locator("[data-testid=count-new]")).to_have_text("2")
    expect(page.locator("[data-testid=count-qualification]")).to_have_text("1")
    page.evaluate(HOLD_BOARD_REQUESTS)

    # A mouse drag from "New" to "Qualification": htmx posts it, both columns come back.
    card = page.locator(f".card[data-number='{dragged.number}']")
    with page.expect_response(_move_of(dragged)) as answer:
        _drag(page, card, page.locator("ol.cards[data-stage='qualification']"))
    assert answer.value.status == 200
    assert answer.value.request.headers["hx-request"] == "true"
    assert parse_qs(answer.value.request.post_data) == {"to": ["qualification"], "from": ["new"]}
    expect(page.locator("#notices .notice-success")).to_contain_text(
        f"Order {dragged.number} moved to “Qualification”."
    )
    expect(page.locator("[data-testid=count-new]")).to_have_text("1")
    expect(page.locator("[data-testid=count-qualification]")).to_have_text("2")
    expect(page.locator("#jump-new b")).to_have_text("1")
    expect(page.locator("#jump-qualification b")).to_have_text("2")
    expect(page.locator("[data-testid=sum-qualification]")).to_have_text("30,000\xa0₽")
    expect(
        page.locator(f"ol.cards[data-stage='qualification'] .card[data-number='{dragged.number}']")
    ).to_be_visible()
    expect(page.locator(f".card[data-number='{dragged.number}']")).to_have_count(1)
    dragged.refresh_from_db()
    assert dragged.stage == Stage.QUALIFICATION

    # "Move to…" from the keyboard still moves a card, and the focus follows it.
    page.locator(f".card[data-number='{by_menu.number}'] summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    moved = page.locator(
        f"ol.cards[data-stage='qualification'] .card[data-number='{by_menu.number}']"
    )
    expect(moved).to_be_visible()
    expect(moved.locator("a").first).to_be_focused()
    expect(page.locator("[data-testid=count-new]")).to_have_text("0")
    expect(page.locator("[data-testid=count-qualification]")).to_have_text("3")

    # A re-rendered column still drags; a refused drop goes back, the reason shown.
    with page.expect_response(_move_of(by_menu)) as answer:
        _drag(page, moved, page.locator("ol.cards[data-stage='new']"))
    assert answer.value.status == 409
    expect(page.locator("#notices .notice-error")).to_contain_text(
        str(MOVE_IMPOSSIBLE) % {"source": "Qualification", "target": "New"}
    )
    expect(moved).to_be_visible()
    expect(page.locator("ol.cards[data-stage='new'] .card")).to_have_count(0)

    # All of it without the board refreshing: the same board, never asked to reload.
    assert page.evaluate("document.getElementById('board').dataset.shown") == "first"
    assert "board-refresh" not in page.evaluate("window.__boardRequests")
