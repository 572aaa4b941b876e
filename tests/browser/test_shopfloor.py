"""From the shop floor to the client's mailbox, on a phone-sized screen."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Order, PaymentScheme, Stage, Task, TaskStatus
from production.models import LineCost, Product
from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.factories import carrier, customer, order_in_production, production_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db, staff, head_of_production):
    return staff


def tick_off_every_line(page) -> None:
    page.goto("/production/")
    cards = page.locator("li.sf-card")
    assert cards.count() == 2
    for left in (1, 0):
        done = page.locator("li.sf-card button[data-action=done]").first
        box = done.bounding_box()
        assert box["width"] >= 120 and box["height"] >= 48  # one tap with a thumb
        done.click()
        expect(cards).to_have_count(left)  # htmx takes the card away
    expect(page.locator("section.sf-order")).to_have_count(0)
    expect(page.locator("#sf-none")).to_be_visible()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_worker_ticks_off_both_lines_on_a_phone_and_the_order_asks_for_postpayment(
    new_page, people, catalogue
):
    order = order_in_production(
        manager=people["manager"],
        catalogue=catalogue,
        client=customer("ru", name="Иван Петров"),
        scheme=PaymentScheme.POSTPAYMENT,
    )
    mail.outbox.clear()
    page = new_page(viewport=PHONE, locale="ru-RU")
    sign_in(page, "petr")
    page.goto("/production/")
    assert page.locator("h1").inner_text() == "Мои производственные задачи"
    assert fits_the_screen(page)
    screenshot(page, "shopfloor-phone")
    # Start the table first, then finish both: the one-tap "Done" needs nothing else.
    page.locator("li.sf-card", has_text="Oak table").locator("button[data-action=start]").click()
    expect(page.locator("li.sf-card.sf-started")).to_have_count(1)
    tick_off_every_line(page)
    order.refresh_from_db()
    assert order.stage == Stage.POSTPAYMENT
    assert order.lines_made == 2
    subjects = [m.subject for m in mail.outbox]
    assert f"Ваш заказ {order.number} изготовлен" in subjects


def test_from_the_shop_floor_to_the_shipped_e_mail_with_its_tracking_link(
    new_page, people, catalogue
):
    client = customer("ru", name="Иван Петров")
    order = order_in_production(
        manager=people["manager"],
        catalogue=catalogue,
        client=client,
        scheme=PaymentScheme.FULL_PREPAYMENT,
    )
    cdek = carrier()
    mail.outbox.clear()

    worker = new_page(viewport=PHONE, locale="ru-RU")
    sign_in(worker, "petr")
    tick_off_every_line(worker)
    order.refresh_from_db()
    assert order.stage == Stage.DELIVERY_DETAILS  # fully paid: straight to delivery details

    manager = new_page(viewport=PHONE, locale="ru-RU")
    sign_in(manager, "masha")
    manager.goto(f"/logistics/orders/{order.number}/details/")
    manager.select_option("select[name=carrier]", str(cdek.pk))
    manager.fill("textarea[name=delivery_address]", "Москва, Тверская 1")
    ship = timezone.localdate() + dt.timedelta(days=1)
    manager.fill("input[name=planned_ship_date]", ship.isoformat())
    manager.fill("textarea[name=comment]", "Позвонить за час")
    manager.click("button.sf-btn")
    manager.wait_for_load_state("networkidle")
    order.refresh_from_db()
    assert order.stage == Stage.DELIVERY

    logistics = new_page(viewport=PHONE, locale="ru-RU")
    sign_in(logistics, "lena")
    logistics.goto("/logistics/")
    assert fits_the_screen(logistics)
    card = logistics.locator(f"li.sf-card[data-order='{order.number}']")
    assert card.locator("xpath=ancestor::section").get_attribute("id") == "tomorrow"
    card.locator("input[name=tracking_number]").fill("CD123456")
    screenshot(logistics, "deliveries-phone")
    card.locator("button[data-action=complete]").click()
    logistics.wait_for_load_state("networkidle")
    assert logistics.locator(".sf-messages").inner_text() == f"Заказ {order.number} доставлен."

    order = Order.objects.get(pk=order.pk)
    assert (order.stage, order.tracking_number) == (Stage.WON, "CD123456")
    by_subject = {m.subject: m for m in mail.outbox}
    finished = by_subject[f"Ваш заказ {order.number} изготовлен"]
    assert "Хорошие новости" in finished.body
    shipped = by_subject[f"Ваш заказ {order.number} отправлен"]
    assert shipped.to == [client.email]
    assert "Трек-номер: CD123456" in shipped.body
    assert "https://cdek.example/track?n=CD123456" in shipped.body
    assert 'href="https://cdek.example/track?n=CD123456"' in shipped.alternatives[0][0]


def test_eight_tasks_of_three_orders_read_as_a_dense_list_grouped_by_order_on_a_phone(
    new_page, people, catalogue
):
    bench = Product.objects.create(
        sku="BNC-1", name="Скамья", price=Decimal("7000.00"), lead_time_days=4
    )
    wardrobe = Product.objects.create(
        sku="WRD-1", name="Шкаф-купе с зеркальными дверями", price=Decimal("52000.00")
    )
    catalogue = {**catalogue, "bench": bench, "wardrobe": wardrobe}
    lines = [
        [("table", "1"), ("chair", "4"), ("bench", "2")],
        [("bench", "1"), ("wardrobe", "1"), ("chair", "6")],
        [("wardrobe", "2"), ("table", "2")],
    ]
    orders = [
        order_in_production(
            manager=people["manager"], catalogue=catalogue, client=customer(name=name), lines=ls
        )
        for name, ls in zip(["Иван Петров", "ООО «Ромашка»", "Анна Смирнова"], lines, strict=True)
    ]
    # The last order is late: it comes first, marked.
    Task.objects.filter(order=orders[2]).update(due_at=timezone.now() - dt.timedelta(hours=3))
    assert Task.objects.filter(assignee=people["production"], status="open").count() == 8

    page = new_page(viewport=PHONE, locale="ru-RU")
    sign_in(page, "petr")
    page.goto("/production/")
    assert fits_the_screen(page)
    screenshot(page, "shopfloor-grouped-phone")
    groups = page.locator("section.sf-order")
    assert groups.count() == 3
    expected = [orders[2], orders[0], orders[1]]
    for group, order in zip(groups.all(), expected, strict=True):
        heading = group.locator("h2")
        assert heading.inner_text() == f"Заказ {order.number} {order.customer.name}"
        # The number and the client once per group, not on every task.
        assert group.inner_text().count(order.number) == 1
        assert group.inner_text().count(order.customer.name) == 1
        mine = {str(task.pk) for task in production_tasks(order)}
        assert {card.get_attribute("data-task") for card in group.locator("li").all()} == mine
    assert groups.first.locator(".sf-order-due").inner_text().startswith("просрочено: ")
    assert not groups.nth(1).locator(".sf-order-due").inner_text().startswith("просрочено")

    cards = page.locator("li.sf-card")
    assert cards.count() == 8
    heights = [card.bounding_box()["height"] for card in cards.all()]
    assert max(heights) <= 200, heights
    assert page.locator("#tasks").bounding_box()["height"] <= 1400
    bench_card = groups.nth(1).locator("li.sf-card", has_text="Скамья × 2")
    assert bench_card.locator(".sf-title").inner_text() == "Изготовить: Скамья × 2"
    start = bench_card.locator("button[data-action=start]")
    box = start.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 160  # the big one, for a thumb
    # The cost and note form is folded away until asked for.
    assert not bench_card.locator("textarea[name=note]").is_visible()

    start.click()
    bench_card = page.locator("li.sf-card", has_text="Скамья × 2")
    expect(bench_card.locator("button[data-action=pause]")).to_be_visible()
    # htmx settles the swapped card's classes a moment after it is in: wait for them.
    expect(bench_card).to_have_class(re.compile(r"\bsf-started\b"))
    assert bench_card.locator(".sf-badge").inner_text() == "В работе"
    assert bench_card.locator("button[data-action=start]").count() == 0
    # Started: "Pause" and "Done" share the row, each still a thumb's target.
    for action in ("pause", "done"):
        box = bench_card.locator(f"button[data-action={action}]").bounding_box()
        assert box["height"] >= 48 and box["width"] >= 140, (action, box)
    bench_card.locator("button[data-action=done]").click()
    expect(page.locator("li.sf-card")).to_have_count(7)
    notice = page.locator("#notices .notice span").last
    assert notice.inner_text() == "Готово: Изготовить: Скамья × 2"

    wardrobe_card = page.locator("li.sf-card", has_text="Шкаф-купе с зеркальными дверями × 1")
    wardrobe_card.locator("summary").click()
    screenshot(page, "shopfloor-more-open")
    wardrobe_card.locator("input[name=labour_minutes]").fill("90")
    wardrobe_card.locator("textarea[name=note]").fill("Зеркало с фаской")
    wardrobe_card.locator("button[data-action=done-with-note]").click()
    expect(page.locator("li.sf-card")).to_have_count(6)
    task = Task.objects.get(order=orders[1], line__product=wardrobe)
    assert (task.status, task.note) == (TaskStatus.DONE, "Зеркало с фаской")
    assert LineCost.objects.get(line=task.line).labour_minutes == 90
