"""The job ticket: a printable PDF per order, a block per operation with a QR code that
opens the operation's task page on a phone."""

import datetime as dt
import io

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.core.cache import cache
from django.urls import reverse

from orders import roles
from orders.models import TaskStatus
from production.models import Operation, WorkCentre
from production.tickets import qr_svg
from tests.conftest import make_user
from tests.factories import order_in_production, production_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_tickets_kept():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ticket(client, django_capture_on_commit_callbacks):
    """ticket(order): the PDF as the browser gets it: asked for, rendered by the worker
    (the queued task run here), asked for again."""

    def get(order):
        url = reverse("production:job_ticket", args=[order.number])
        with django_capture_on_commit_callbacks(execute=True):
            first = client.get(url)
        if first.status_code != 202:
            return first
        return client.get(url)

    return get


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def qr_codes(content: bytes) -> list[str]:
    """What a phone's camera reads off the printed pages (rendered at 200 dpi)."""
    found = []
    document = pypdfium2.PdfDocument(content)
    for page in document:
        image = page.render(scale=200 / 72).to_pil()
        found += [code.text for code in zxingcpp.read_barcodes(image)]
    return found


@pytest.fixture
def order(staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    paint = WorkCentre.objects.create(name="Paint shop")
    table, _chairs = production_tasks(order)
    table.work_centre = paint
    table.operation = Operation.objects.create(
        product=table.line.product, name="Varnish", work_centre=paint, position=1
    )
    table.step = 1
    table.save(update_fields=["work_centre", "operation", "step"])
    return order


def test_the_ticket_has_a_block_per_operation_with_a_qr_code_of_its_task_page(
    client, ticket, staff, order
):
    client.force_login(staff["production"])
    answer = ticket(order)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert f'filename="job-ticket-{order.number}.pdf"' in answer["Content-Disposition"]
    content = answer.content
    table, chairs = production_tasks(order)
    urls = [f"http://testserver/production/tasks/{task.pk}/" for task in (table, chairs)]
    text = pdf_text(content)
    for url in urls:
        assert url in text.replace("\n", "")  # printed under its code
    assert "1. Varnish" in text and "Paint shop" in text
    assert "Oak chair" in text and order.number in text
    assert sorted(qr_codes(content)) == sorted(urls)


def test_the_qr_code_encodes_the_address_it_is_given():
    svg = qr_svg("https://conveyor.example/production/tasks/7/")
    assert svg.startswith("<svg") and 'class="segno"' in svg
    assert "conveyor.example" not in svg  # modules, not text


def test_a_cancelled_operation_is_left_off_the_ticket(client, ticket, staff, order):
    table, chairs = production_tasks(order)
    chairs.status = TaskStatus.CANCELLED
    chairs.save(update_fields=["status"])
    client.force_login(staff["production"])
    text = pdf_text(ticket(order).content).replace("\n", "")
    assert f"/production/tasks/{table.pk}/" in text
    assert f"/production/tasks/{chairs.pk}/" not in text


def test_the_orders_manager_and_production_print_it_others_do_not(
    client, ticket, staff, order, head_of_production, head_of_sales, accountant
):
    for person in (staff["production"], head_of_production, staff["manager"], head_of_sales):
        client.force_login(person)
        assert ticket(order).status_code == 200, person
    another_manager = make_user("sveta", roles.SALES_MANAGERS)
    for person in (another_manager, staff["logistics"], accountant):
        client.force_login(person)
        assert ticket(order).status_code == 403, person


def test_an_unknown_order_has_no_ticket(client, staff):
    client.force_login(staff["production"])
    missing = client.get(reverse("production:job_ticket", args=["0000-999999"]))
    assert missing.status_code == 404


def test_the_task_page_links_to_the_ticket(client, staff, order):
    client.force_login(staff["production"])
    table = production_tasks(order)[0]
    page = client.get(reverse("production:task", args=[table.pk]))
    assert reverse("production:job_ticket", args=[order.number]) in page.content.decode()


def test_the_worker_renders_the_ticket_once_while_the_page_waits_for_it(
    client, staff, order, django_capture_on_commit_callbacks
):
    client.force_login(staff["production"])
    url = reverse("production:job_ticket", args=[order.number])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        waiting = client.get(url)
        assert client.get(url).status_code == 202  # the page reloading itself
    assert waiting.status_code == 202
    assert 'http-equiv="refresh"' in waiting.content.decode()
    assert "The PDF is being prepared" in waiting.content.decode()
    assert len(queued) == 1  # one render, however often it is asked for
    queued[0]()  # the worker renders it
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Cache-Control"] == "private, no-store"


def test_a_ticket_whose_plan_changed_is_rendered_anew(
    client, ticket, staff, order, django_capture_on_commit_callbacks
):
    client.force_login(staff["production"])
    before = pdf_text(ticket(order).content)
    assert before.count("not scheduled yet") == 2
    table = production_tasks(order)[0]
    table.planned_start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    table.planned_finish = dt.datetime(2026, 3, 2, 11, 30, tzinfo=dt.UTC)
    table.save(update_fields=["planned_start", "planned_finish"])
    url = reverse("production:job_ticket", args=[order.number])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).status_code == 202  # the kept one is stale: rendered again
    after = pdf_text(client.get(url).content)
    assert after.count("not scheduled yet") == 1  # the table's block shows its plan now
