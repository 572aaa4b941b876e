"""The promised date where the client reads about the order: the invoice (PDF and public
page) and the e-mails of its progress."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from invoices.pdf import invoice_render_pdf_bytes
from orders.models import Order
from pipeline.payments import payment_register
from tests import factories as f
from tests.invoices.conftest import make_order


def _path(invoice) -> str:
    return invoice.public_url.replace("http://testserver", "")


def _short(date: dt.date) -> str:
    return f"{date:%d.%m.%Y}"  # the Russian short date


def test_the_invoice_pdf_names_the_promised_date_counted_from_the_payment(invoice):
    order = Order.objects.get(pk=invoice.order_id)
    reader = PdfReader(io.BytesIO(invoice_render_pdf_bytes(invoice)))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert f"Доставим не позже {_short(order.promised_date)} при оплате счёта в срок" in text


def test_the_public_page_names_the_promised_date(client, invoice):
    order = Order.objects.get(pk=invoice.order_id)
    page = client.get(_path(invoice)).content.decode()
    assert 'id="promise"' in page
    assert order.promised_date.strftime("%m/%d/%Y") in page or _short(order.promised_date) in page


def test_the_clients_emails_name_the_promised_date(
    catalogue, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(catalogue=catalogue, manager=manager)  # prepaid, delivered
    invoice = order.invoices.get()
    order = Order.objects.get(pk=order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        payment_register(invoice=invoice, amount=invoice.amount, source="manual")
    with django_capture_on_commit_callbacks(execute=True):
        f.make_all_lines(order)
    date = f"{order.promised_date.day} {MONTHS[order.promised_date.month]}"
    due = f"{invoice.due_date.day} {MONTHS[invoice.due_date.month]}"
    bodies = {m.subject: m.body for m in mailoutbox}
    assert f"При оплате до {due} мы привезём заказ к {date}." in bodies[f"Счёт {invoice.number}"]
    for subject in (
        f"Оплата по заказу {order.number} получена",
        f"Ваш заказ {order.number} изготовлен",
    ):
        assert f"Мы привезём заказ к {date}." in bodies[subject]


MONTHS = {
    1: "января", 2: "февраля", 3: "марта", 4: "апреля", 5: "мая", 6: "июня", 7: "июля",
    8: "августа", 9: "сентября", 10: "октября", 11: "ноября", 12: "декабря",
}  # fmt: skip
