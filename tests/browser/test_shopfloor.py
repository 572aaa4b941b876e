"""From the shop floor to the client's mailbox, on a phone-sized screen."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from orders.models import Order, PaymentScheme, Stage
from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.factories import carrier, customer, order_in_production

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db, staff, head_of_production):
    return staff


def tick_off_every_line(page) -> None:
    page.goto("/production/")
    cards = page.locator("li.sf-card")
    assert cards.count() == 2
    for _ in range(2):
        done = page.locator("li.sf-card button[data-action=done]").first
        box = done.bounding_box()
        assert box["width"] >= 300 and box["height"] >= 48  # one tap with a thumb
        done.click()
        page.wait_for_load_state("networkidle")
    assert page.locator("li.sf-card").count() == 0


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
    page.wait_for_load_state("networkidle")
    assert page.locator("li.sf-card.sf-started").count() == 1
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
