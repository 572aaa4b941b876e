"""The invoice PDF: rendered after commit with the bundled Cyrillic font, stored, served
to staff behind a permission check, and attached to the client's e-mail."""

from __future__ import annotations

import gc
import io
from decimal import Decimal

import pytest
from celery.signals import worker_process_init, worker_ready
from pypdf import PdfReader

from invoices.models import Invoice
from invoices.pdf import invoice_pdf_store, invoice_render_pdf_bytes
from invoices.services import invoice_touch, seller_requisites_changed
from invoices.words import amount_in_words
from orders.models import NotificationStatus, TimelineEvent
from orders.services.orders import LineInput
from pipeline.payments import payment_register
from production.models import Product
from tests.invoices.conftest import make_order


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def _ru(amount: Decimal | str) -> str:
    """12345.5 → "12 345,50", as the Russian locale prints it."""
    return f"{Decimal(amount):,.2f}".replace(",", " ").replace(".", ",")


@pytest.fixture
def thirty_lines(catalogue):
    products = []
    for i in range(1, 31):
        products.append(
            Product.objects.create(
                sku=f"ШКФ-{i:02d}",
                name=f"Шкаф дубовый модель №{i}",
                price=Decimal(1000 + i * 10),
                lead_time_days=3,
                labour_minutes=30,
                labour_rate=Decimal("600.00"),
            )
        )
    return [LineInput(product=p, quantity=Decimal(i % 3 + 1)) for i, p in enumerate(products)]


def test_a_thirty_line_cyrillic_invoice_has_every_line_totals_and_words(
    thirty_lines, catalogue, staff, seller, manager
):
    order = make_order(catalogue=catalogue, manager=manager, lines=thirty_lines)
    invoice = order.invoices.get()
    pdf = invoice_render_pdf_bytes(invoice)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    text = _flat(_text(pdf))
    assert len(invoice.lines) == 31  # 30 lines and the delivery
    for line in invoice.lines:
        if not line.get("is_delivery"):
            assert f"{line['name']} ({line['sku']})" in text
        assert _ru(line["amount"]) in text
    assert "Доставка" in text
    assert f"{_ru(invoice.amount)} ₽" in text
    assert f"{_ru(invoice.order_total)} ₽" in text
    assert " RUB" not in text
    words = amount_in_words(invoice.amount, "RUB")
    assert words in text
    assert seller.name in text
    assert "ИНН 7701234567" in text
    assert "40702810900000012345" in text
    assert invoice.number in text
    assert "Без НДС" in text or "без НДС" in text


def test_vat_included_is_printed_when_configured(invoice, settings, catalogue, manager):
    settings.INVOICE_VAT_RATE = "20"
    order = make_order(catalogue=catalogue, manager=manager)
    vat_invoice = order.invoices.get()
    assert vat_invoice.vat_rate == Decimal("20")
    text = _flat(_text(invoice_render_pdf_bytes(vat_invoice)))
    assert "В том числе НДС 20%" in text
    assert "5 333,33" in text  # 32,000 × 20 / 120


@pytest.mark.parametrize(
    ("amount", "currency", "words"),
    [
        ("1234.50", "RUB", "Одна тысяча двести тридцать четыре рубля 50 копеек"),
        ("2000000.01", "RUB", "Два миллиона рублей 01 копейка"),
        ("1021.05", "USD", "Одна тысяча двадцать один доллар США 05 центов"),
        ("42.00", "EUR", "Сорок два евро 00 центов"),
        ("311.11", "KZT", "Триста одиннадцать тенге 11 тиынов"),
        ("22.02", "BYN", "Двадцать два белорусских рубля 02 копейки"),
    ],
)
def test_amounts_are_written_in_words_in_each_currency(amount, currency, words):
    assert amount_in_words(Decimal(amount), currency) == words


def test_every_currency_the_company_may_use_has_its_words(settings):
    for currency in settings.CURRENCIES:
        assert amount_in_words(Decimal("1"), currency)


def test_a_company_working_in_tenge_invoices_and_prints_in_tenge(
    settings, catalogue, seller, manager
):
    settings.ORDER_CURRENCY = "KZT"
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    assert order.currency == invoice.currency == "KZT"

    text = _flat(_text(invoice_render_pdf_bytes(invoice)))

    assert f"{_ru(invoice.amount)} ₸" in text
    assert "Тридцать две тысячи тенге 00 тиынов" in text


def test_the_pdf_is_rendered_after_commit_and_the_email_waits_for_it(
    catalogue, staff, seller, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    assert invoice.pdf_is_current
    [mail] = [m for m in mailoutbox if invoice.number in m.body]
    assert invoice.public_url in mail.body
    assert mail.attachments[0][0] == f"{invoice.number}.pdf"
    assert mail.attachments[0][1].startswith(b"%PDF")
    event = TimelineEvent.objects.get(data__notification="invoice_issued")
    assert event.notification_status == NotificationStatus.SENT


def test_no_invoice_email_goes_before_the_pdf_exists(
    catalogue, staff, seller, manager, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    from invoices import tasks

    monkeypatch.setattr(tasks.invoice_render_pdf, "delay", lambda *a, **k: None)
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    assert not [m for m in mailoutbox if invoice.number in m.body]
    assert TimelineEvent.objects.get(data__notification="invoice_issued").notification_status == (
        NotificationStatus.QUEUED
    )


def test_a_pdf_that_keeps_failing_is_recorded_and_the_client_still_gets_the_link(
    catalogue,
    staff,
    seller,
    manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
    monkeypatch,
    settings,
):
    from invoices import pdf, tasks

    monkeypatch.setattr(tasks.invoice_render_pdf, "delay", lambda *a, **k: None)
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(pdf, "invoice_render_pdf_bytes", broken)
    settings.WORK_MAX_ATTEMPTS = 2
    tasks.invoice_render_pdf.apply(args=[invoice.pk])
    assert not [m for m in mailoutbox if invoice.number in m.body]
    assert invoice.__class__.objects.get(pk=invoice.pk).pdf_error == ""
    # The last allowed attempt gives up visibly, and the e-mail goes without the PDF.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.invoice_render_pdf.apply(args=[invoice.pk])
    invoice.refresh_from_db()
    assert "No space left on device" in invoice.pdf_error
    [mail] = [m for m in mailoutbox if invoice.number in m.body]
    assert invoice.public_url in mail.body
    assert mail.attachments == []


def test_it_re_renders_only_an_unpaid_invoice_that_changed(invoice):
    assert invoice_pdf_store(invoice.pk) is True
    assert invoice_pdf_store(invoice.pk) is False  # current: nothing to do
    first = Invoice.objects.get(pk=invoice.pk).pdf.name
    assert invoice_touch(invoice=invoice) is True
    assert invoice_pdf_store(invoice.pk) is True
    invoice.refresh_from_db()
    assert invoice.pdf.name != first
    assert invoice.pdf_version == invoice.content_version == 2
    payment_register(invoice=invoice, amount=invoice.amount, source="manual")
    invoice.refresh_from_db()
    assert invoice_touch(invoice=invoice) is False
    assert seller_requisites_changed() == 0
    assert Invoice.objects.get(pk=invoice.pk).content_version == 2


def test_staff_get_the_pdf_through_a_permission_check(
    client, invoice, manager, accountant, outsider, production_worker
):
    url = f"/invoices/{invoice.pk}/pdf/"
    assert client.get(url).status_code == 302  # sign in first
    for user, status in [
        (outsider, 403),
        (production_worker, 403),
        (manager, 200),
        (accountant, 200),
    ]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Type"] == "application/pdf"
            assert response.content.startswith(b"%PDF")


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()


def test_a_worker_process_warms_its_renderer_without_the_database(
    invoice, django_assert_num_queries, unfrozen
):
    """`worker_process_init` warms each pool process: the fonts are loaded by a sample
    render that needs no database, and the heap is frozen so full collections skip it."""
    from config.celery import _warm_the_pdf_renderer

    gc.unfreeze()
    assert _warm_the_pdf_renderer in [ref() for _key, ref in worker_process_init.receivers]
    with django_assert_num_queries(0):
        worker_process_init.send(sender=None)
    assert gc.get_freeze_count() > 10_000
    text = _flat(_text(invoice_render_pdf_bytes(invoice)))
    assert invoice.number in text
    assert "Образец" not in text


@pytest.mark.parametrize(("pool", "warms"), [("solo", True), ("threads", True), ("prefork", False)])
def test_a_worker_without_pool_processes_warms_itself_when_ready(pool, warms, unfrozen):
    """`--pool solo` and `--pool threads` render in the worker's own process; a prefork
    parent leaves it to its children."""
    from celery.concurrency import get_implementation

    gc.unfreeze()

    class Consumer:
        def __init__(self, pool):
            self.pool = pool

    worker_ready.send(sender=Consumer(get_implementation(pool)(limit=1)))
    assert (gc.get_freeze_count() > 10_000) is warms


def test_a_renderer_that_cannot_warm_leaves_the_worker_running(monkeypatch, caplog):
    from config.celery import _warm_the_pdf_renderer

    def broken() -> None:
        raise OSError("fonts folder missing")

    monkeypatch.setattr("invoices.pdf.renderer_warm", broken)
    _warm_the_pdf_renderer()
    assert "could not warm the PDF renderer" in caplog.text
