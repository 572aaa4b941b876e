"""The shared layout as a person sees it: the top bar on a phone, the logo, the board's
search field and column headers in Russian at a laptop's width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from orders.models import DeliveryMethod, Stage
from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.conftest import make_user
from tests.workspace.conftest import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 800}

# Every item of the top bar's nav that a superuser has (the shop floor is for those who do
# not see money).
EVERY_ITEM = {
    "en-US": ["Board", "My tasks", "New order", "Production", "Deliveries", "Invoices",
              "Margin", "Admin"],
    "ru-RU": ["Доска", "Мои задачи", "Новый заказ", "Производство", "Доставки", "Счета",
              "Маржа", "Администратор"],
}  # fmt: skip


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not shown"
    return box


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_every_nav_item_is_in_sight_on_a_phone(new_page, locale):
    make_user("root", first_name="Roman", is_staff=True, is_superuser=True)
    page = new_page(viewport=PHONE, locale=locale)
    sign_in(page, "root")
    page.goto("/board/")
    screenshot(page, f"topbar-phone-{locale}")

    links = page.locator("nav.mainnav a")
    names = [text.split("\n")[0].strip() for text in links.all_inner_texts()]
    assert names == EVERY_ITEM[locale]
    for link in links.all():
        box = _box(link)
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], link.inner_text()
        # Not hidden under anything either: what is at its middle is the link itself.
        middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        on_top = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('a')?.href", middle
        )
        assert on_top == link.evaluate("(a) => a.href"), link.inner_text()
    # The page itself does not scroll sideways.
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    # The person's menu is still on the first row, beside the product's name.
    brand, menu = _box(page.locator(".topbar .brand")), _box(page.locator(".usermenu summary"))
    assert abs((brand["y"] + brand["height"] / 2) - (menu["y"] + menu["height"] / 2)) < 8


def test_the_logo_stands_beside_the_product_name(new_page):
    page = new_page()
    page.goto("/login/")
    for place in (".topbar .brand", "[data-testid='product-name']"):
        logo = page.locator(f"{place} img")
        expect(logo).to_have_attribute("src", "/static/img/logo.svg")
        # A drawing that loaded, and decorative: the name beside it is the text read out.
        assert logo.evaluate("(img) => img.complete && img.naturalWidth > 0"), place
        expect(logo).to_have_attribute("alt", "")
        name = page.locator(place)
        expect(name).to_have_text("Conveyor")
        logo_box, name_box = _box(logo), _box(name)
        assert logo_box["x"] < name_box["x"] + name_box["width"] / 2  # before the name
    expect(page.get_by_role("link", name="Conveyor", exact=True)).to_be_visible()
    screenshot(page, "sign-in")


@pytest.fixture
def busy_board(staff, catalogue):
    """An order in every open column, with money, so every header has a count and a sum."""
    manager = staff["manager"]
    for stage in (Stage.NEW, Stage.QUALIFICATION, Stage.PREPAYMENT, Stage.PRODUCTION):
        make_order(manager=manager, catalogue=catalogue, stage=stage, name=f"Client {stage}")
    make_order(
        manager=manager,
        catalogue=catalogue,
        stage=Stage.DELIVERY_DETAILS,
        lines=3,
        name="Kafe Lastochka",
        delivery=DeliveryMethod.CARRIER,
    )


def test_the_board_search_shows_its_whole_hint_in_russian(new_page, head_of_sales, busy_board):
    page = new_page(viewport=LAPTOP, locale="ru-RU")
    sign_in(page, "olga")
    page.goto("/board/")
    search = page.locator(".filters input[name='q']")
    expect(search).to_have_attribute("placeholder", "Номер, клиент, телефон или e-mail")
    # The hint's width in the field's own font against the room inside the field.
    room, needed, scroll = search.evaluate(
        """(input) => {
          const style = getComputedStyle(input);
          const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
          const room = input.clientWidth - padding;
          const probe = document.createElement("span");
          probe.textContent = input.placeholder;
          probe.style.font = style.font;
          probe.style.whiteSpace = "pre";
          probe.style.position = "absolute";
          document.body.append(probe);
          const needed = probe.getBoundingClientRect().width;
          probe.remove();
          return [room, needed, input.scrollWidth <= input.clientWidth];
        }"""
    )
    assert needed <= room, f"the hint needs {needed:.0f}px, the field has {room:.0f}px"
    assert scroll
    screenshot(page, "board-ru-1280")


@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_each_column_header_keeps_its_count_beside_its_name(
    new_page, manager, head_of_sales, busy_board, locale
):
    page = new_page(viewport=LAPTOP, locale=locale)
    sign_in(page, "olga")
    page.goto("/board/")
    headers = page.locator(".board .column header")
    assert headers.count() == 7
    for header in headers.all():
        title, count = header.locator("h2"), header.locator(".col-count")
        name = title.inner_text()
        # The name's lines as laid out (a long one may wrap between its words), and its text
        # whole: nothing cut off, nothing sticking out of the column.
        lines = title.evaluate(
            "(h) => [...h.getClientRects()].map((r) => ({top: r.top, bottom: r.bottom,"
            " right: r.right}))"
        )
        assert 1 <= len(lines) <= 2, f"{name} takes {len(lines)} lines"
        column = _box(header)
        assert all(line["right"] <= column["x"] + column["width"] for line in lines), name
        # The count on the name's (last) line, right after it.
        last, badge = lines[-1], _box(count)
        middle = badge["y"] + badge["height"] / 2
        assert last["top"] <= middle <= last["bottom"], f"{name}: its count is on another line"
        assert last["right"] <= badge["x"] <= last["right"] + 12, name
        assert badge["x"] + badge["width"] <= column["x"] + column["width"], name
    expect(page.locator("#col-delivery_details")).to_have_text(
        "Данные доставки" if locale == "ru-RU" else "Delivery details"
    )
    screenshot(page, f"board-headers-{locale}")
