"""Money reads one way wherever it leaves the workspace: the client's e-mails, the staff's
timeline and bell, and the invoice PDF write grouped digits and the currency's sign in the
reader's language; the CSV downloads keep plain numbers with a dot for spreadsheets."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone, translation
from pypdf import PdfReader

from invoices.issues import issue_record
from invoices.models import IssueKind
from invoices.pdf import invoice_render_pdf_bytes
from invoices.reconcile import issues_notify
from orders.models import EventKind, Notification, TimelineEvent
from orders.services.orders import LineInput
from pipeline.payments import payment_register
from tests.invoices.conftest import make_order

pytestmark = pytest.mark.django_db

# What each language writes for 91,500.00 roubles, and for the invoice's other figures.
READS = {
    "ru": {"amount": "91\xa0500,00\xa0₽", "quantity": "3,75", "date": "%d.%m.%Y"},
    "en": {"amount": "91,500.00\xa0₽", "quantity": "3.75", "date": "%m/%d/%Y"},
}


@pytest.fixture(autouse=True)
def site_language():
    """A page asked for in Russian leaves Russian active in this thread: undo it after."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def order(catalogue, staff, seller, manager):
    """5 tables × 15,000 + 3.75 chairs × 4,000 + delivery 1,500 = 91,500.00."""
    return make_order(
        catalogue=catalogue,
        manager=manager,
        lines=[
            LineInput(product=catalogue["table"], quantity=Decimal("5")),
            LineInput(product=catalogue["chair"], quantity=Decimal("3.75")),
        ],
    )


def _client_speaks(order, language: str) -> None:
    order.customer.language = language
    order.customer.save(update_fields=["language"])


def _pay(order, accountant, capture):
    invoice = order.invoices.get()
    assert invoice.amount == Decimal("91500.00")
    with capture(execute=True):
        payment_register(invoice=invoice, amount=invoice.amount, source="manual", actor=accountant)
    return invoice


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_client_s_e_mails_write_the_amount_with_the_sign_in_their_language(
    order, accountant, mailoutbox, django_capture_on_commit_callbacks, language
):
    from notifications.client import client_letter

    _client_speaks(order, language)
    invoice = order.invoices.get()
    issued = TimelineEvent.objects.get(order=order, data__notification="invoice_issued")
    letter = client_letter(issued)
    amount, due = READS[language]["amount"], invoice.due_date.strftime(READS[language]["date"])
    expected = {
        "ru": f"Выставлен счёт {invoice.number} на {amount}; пожалуйста, оплатите его до {due}.",
        "en": f"Invoice {invoice.number} for {amount} is issued; please pay it by {due}.",
    }[language]
    assert expected in letter.text
    assert expected in letter.html

    mailoutbox.clear()
    _pay(order, accountant, django_capture_on_commit_callbacks)
    [mail] = [m for m in mailoutbox if m.to == ["klient@example.ru"]]
    assert {
        "ru": f"Мы получили вашу оплату {amount} по счёту {invoice.number}. Спасибо!",
        "en": f"We received your payment of {amount} for invoice {invoice.number}. Thank you!",
    }[language] in mail.body
    assert "RUB" not in mail.body and "91500" not in mail.body


def test_the_timeline_and_the_bell_write_the_amount_in_each_reader_s_language(
    order, accountant, manager, django_capture_on_commit_callbacks
):
    manager.profile.language = "ru"
    manager.profile.save()
    invoice = _pay(order, accountant, django_capture_on_commit_callbacks)
    event = TimelineEvent.objects.get(order=order, kind=EventKind.PAYMENT)

    with translation.override("ru"):
        assert event.display_text == (
            f"Получен платёж 91\xa0500,00\xa0₽ по счёту {invoice.number} (Внесён сотрудником)"
        )
    with translation.override("en"):
        assert event.display_text == (
            f"Payment of 91,500.00\xa0₽ received for invoice {invoice.number} (Registered by staff)"
        )
    assert event.data["msg"]["args"]["amount"] == {"money": "91500.00", "currency": "RUB"}
    assert Notification.objects.filter(
        user=manager, text=f"Получена оплата 91\xa0500,00\xa0₽ по заказу {order.number}"
    ).exists()


def test_an_entry_written_before_the_currency_was_kept_reads_in_the_company_s_currency(order):
    invoice = order.invoices.get()
    old = TimelineEvent.objects.create(
        order=order,
        kind=EventKind.INVOICE,
        text=f"Invoice {invoice.number} issued for 91,500.00",
        data={
            "msg": {
                "id": "Invoice %(number)s issued for %(amount)s",
                "args": {"number": invoice.number, "amount": {"money": "91500.00"}},
            }
        },
    )
    with translation.override("ru"):
        assert old.display_text == f"Выставлен счёт {invoice.number} на 91\xa0500,00\xa0₽"
    with translation.override("en"):
        assert old.display_text == f"Invoice {invoice.number} issued for 91,500.00\xa0₽"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_invoice_pdf_writes_totals_with_the_sign_and_quantities_in_the_client_s_language(
    order, language
):
    _client_speaks(order, language)
    invoice = order.invoices.get()
    pdf = PdfReader(io.BytesIO(invoice_render_pdf_bytes(invoice)))
    text = " ".join("\n".join(page.extract_text() for page in pdf.pages).split())
    amount = READS[language]["amount"].replace("\xa0", " ")
    quantity = READS[language]["quantity"]
    issued = timezone.localtime(invoice.issued_at).strftime(READS[language]["date"])
    if language == "ru":
        assert f"Счёт на оплату № {invoice.number} от {issued}" in text
        assert f"Итого к оплате по счёту: {amount}" in text
        assert f"Всего наименований 3, на сумму {amount}." in text
        assert "Девяносто одна тысяча пятьсот рублей 00 копеек" in text
        assert f"Oak chair (CHR-1) {quantity} шт." in text
    else:
        assert f"Invoice {invoice.number} of {issued}" in text
        assert f"Due by this invoice: {amount}" in text
        assert f"3 items, to pay {amount}." in text
        assert f"Oak chair (CHR-1) {quantity} pcs" in text
    assert "RUB" not in text


def test_the_receivables_csv_keeps_plain_numbers_with_a_dot(client, accountant, order):
    client.force_login(accountant)
    client.cookies["django_language"] = "ru"

    response = client.get("/invoices/", {"export": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    [_header, row] = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert row[4:9] == ["91500.00", "0.00", "91500.00", "0.00", "RUB"]


def test_the_accountants_letter_of_payments_to_check_writes_the_amount_with_the_sign(
    accountant, mailoutbox
):
    issue_record(
        kind=IssueKind.UNKNOWN_INVOICE,
        transaction_id="777",
        amount=Decimal("91500.00"),
        currency="RUB",
        invoice_number="2026-00099-1",
        details="no invoice '2026-00099-1'",
        found_by="notification",
    )

    with translation.override("ru"):
        assert issues_notify() == 1

    [letter] = mailoutbox
    assert "Неизвестный счёт: 777 91\xa0500,00\xa0₽ (2026-00099-1)" in letter.body
