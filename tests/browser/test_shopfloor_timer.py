"""The shop floor's timer on a phone, the job ticket's QR code opening the task, and the
head of production's load view."""

import datetime as dt
import re
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Task, TaskStatus
from production.models import CapacityException, LineCost, WorkCentre, WorkCentreLoad
from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.factories import order_in_production, production_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLOCK = re.compile(r"^\d+:\d\d:\d\d$")


def seconds(text: str) -> int:
    hours, minutes, secs = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + secs


def thumb_sized(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["height"] >= 48 and box["width"] >= 120


def test_a_worker_starts_pauses_resumes_and_finishes_with_the_timer_on_a_phone(
    new_page, staff, catalogue
):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    table = production_tasks(order)[0]
    page = new_page(viewport=PHONE, locale="ru-RU")
    sign_in(page, "petr")
    page.goto("/production/")
    card = page.locator(f"li.sf-card[data-task='{table.pk}']")
    start = card.locator("button[data-action=start]")
    assert start.inner_text() == "Начать"
    assert thumb_sized(start)
    start.click()

    pause = card.locator("button[data-action=pause]")
    expect(pause).to_be_visible()
    assert pause.inner_text() == "Пауза"
    assert thumb_sized(pause) and thumb_sized(card.locator("button[data-action=done]"))
    clock = card.locator("time.sf-clock")
    expect(clock).to_have_attribute("data-running", "")
    assert card.locator(".sf-since").inner_text().startswith("идёт с ")
    # It ticks on the page by itself.
    expect(clock).not_to_have_text("0:00:00", timeout=4000)
    assert CLOCK.match(clock.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "shopfloor-timer-running")

    pause.click()
    resume = card.locator("button[data-action=resume]")
    expect(resume).to_be_visible()
    assert resume.inner_text() == "Продолжить"
    assert card.locator(".sf-since").inner_text() == "на паузе"
    stopped = clock.inner_text()
    page.wait_for_timeout(1500)
    assert clock.inner_text() == stopped  # paused: it stands still
    worked = Task.objects.get(pk=table.pk).worked_seconds
    assert worked >= 1 and abs(worked - seconds(stopped)) <= 1

    resume.click()
    expect(card.locator("button[data-action=pause]")).to_be_visible()
    card.locator("button[data-action=done]").click()
    expect(card).to_have_count(0)
    assert page.locator("#notices .notice span").last.inner_text() == (
        "Готово: Изготовить: Oak table × 1"
    )
    task = Task.objects.get(pk=table.pk)
    assert task.status == TaskStatus.DONE and task.timer_started_at is None
    assert LineCost.objects.get(line=task.line).labour_minutes == 1  # a few seconds: a minute


def test_the_job_tickets_qr_code_opens_the_task_on_the_workers_phone(new_page, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    table, chairs = production_tasks(order)
    page = new_page(viewport=PHONE, locale="ru-RU")
    sign_in(page, "petr")
    page.goto(f"/production/tasks/{table.pk}/")
    link = page.get_by_role("link", name="Маршрутный лист (PDF)")
    russian = {"Accept-Language": "ru-RU,ru"}  # as the phone's browser asks
    ticket = page.request.get(link.get_attribute("href"), headers=russian)
    if ticket.status == 202:  # "being prepared": the worker renders it; the page asks again
        assert "PDF готовится" in ticket.text()
        ticket = page.request.get(link.get_attribute("href"), headers=russian)
    assert ticket.ok and ticket.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(ticket.body())
    urls = []
    for sheet in document:
        image = sheet.render(scale=200 / 72).to_pil()
        urls += [code.text for code in zxingcpp.read_barcodes(image)]
    assert len(urls) == 2
    chairs_url = next(url for url in urls if url.endswith(f"/production/tasks/{chairs.pk}/"))

    # The phone scans the chairs' block: the task opens, and its timer runs from there.
    page.goto(chairs_url)
    assert page.locator("h1").inner_text() == "Изготовить: Oak chair × 4"
    section = page.locator(f"#timer-{chairs.pk}")
    section.locator("button[data-action=start]").click()
    expect(section.locator("button[data-action=pause]")).to_be_visible()
    assert thumb_sized(section.locator("button[data-action=pause]"))
    screenshot(page, "shopfloor-task-timer")
    assert Task.objects.get(pk=chairs.pk).timer_started_at is not None


def test_the_head_of_production_reads_the_load_on_a_phone(
    new_page, staff, catalogue, head_of_production
):
    paint = WorkCentre.objects.create(name="Покраска", hours_per_day=Decimal("8"))
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    # What the schedule would have written (its run at the order's start is over by now).
    today = timezone.localdate()
    WorkCentreLoad.objects.update_or_create(
        work_centre=paint,
        day=today,
        defaults={"capacity_hours": Decimal("8"), "planned_hours": Decimal("11")},
    )
    CapacityException.objects.create(
        work_centre=paint, date=today + dt.timedelta(days=1), hours=0, reason="Нет краски"
    )
    table = production_tasks(order)[0]
    Task.objects.filter(pk=table.pk).update(
        work_centre=paint,
        planned_start=timezone.now() + dt.timedelta(days=3),
        planned_finish=timezone.now() + dt.timedelta(days=3, hours=2),
        due_at=timezone.now() - dt.timedelta(hours=1),
    )
    page = new_page(viewport=PHONE, locale="ru-RU")
    sign_in(page, "ivan")
    page.goto("/production/board/")
    page.get_by_role("link", name="Загрузка").click()
    assert page.locator("h1").inner_text() == "Загрузка рабочих центров"
    section = page.locator(f"section.sf-centre[data-centre='{paint.pk}']")
    assert section.locator("h2 .sf-over-note").inner_text() == "сверх мощности 1 день"
    assert section.locator(f"g.sf-day-over[data-day='{today:%Y-%m-%d}']").count() == 1
    tomorrow = today + dt.timedelta(days=1)
    off = section.locator(f"g.sf-day-off[data-day='{tomorrow:%Y-%m-%d}'] title")
    assert off.text_content().strip().endswith("Нет краски")
    late = page.locator(f"#overdue-table tr[data-task='{table.pk}']")
    assert late.locator("a").first.inner_text() == "Изготовить: Oak table × 1"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "production-load-phone")
    options = {"resultTypes": ["violations"], "preload": False}
    violations = Axe().run(page, options=options).response["violations"]
    blocking = [
        (v["id"], [n["target"] for n in v["nodes"]])
        for v in violations
        if v["impact"] in {"critical", "serious"}
    ]
    assert blocking == []
