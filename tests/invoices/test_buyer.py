"""The buyer on an invoice: a business with its requisites, a person by name alone, frozen
at issue like the lines."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from invoices.pdf import invoice_render_pdf_bytes
from orders.models import Customer, DeliveryMethod, PaymentScheme, Source
from orders.services.orders import LineInput, order_update
from pipeline.orders import order_create, order_qualify, order_take_into_work
from pipeline.promise import order_promise

pytestmark = pytest.mark.django_db

ROMASHKA = {
    "name": "Ольга Смирнова",
    "email": "olga@romashka.ru",
    "kind": Customer.Kind.COMPANY,
    "company": "ООО «Ромашка»",
    "inn": "7707083893",
    "kpp": "773601001",
    "legal_address": "117997, г. Москва, ул. Вавилова, д. 19",
}


def issued_invoice(catalogue, manager, **customer):
    order = order_create(
        customer=Customer.objects.create(language="ru", **customer),
        lines=[LineInput(product=catalogue["table"], quantity=Decimal("1"))],
        source=Source.MANAGER,
        actor=manager,
        manager=manager,
        delivery_method=DeliveryMethod.PICKUP,
    )
    order_take_into_work(order=order, actor=manager)
    order_update(order=order, actor=manager, payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    order_promise(order=order, actor=manager)
    return order_qualify(order=order, actor=manager).invoices.get()


def buyer_line(invoice) -> str:
    """The PDF's text from the buyer's label to the next row (the order's number)."""
    reader = PdfReader(io.BytesIO(invoice_render_pdf_bytes(invoice)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    found = re.search(r"Покупатель \(Заказчик\) (.*?) Заказ ", text.replace("\xa0", " "))
    assert found, text
    return found.group(1)


def test_a_companys_invoice_names_it_with_inn_kpp_and_address(catalogue, staff, seller, manager):
    invoice = issued_invoice(catalogue, manager, **ROMASHKA)

    assert buyer_line(invoice) == (
        "ООО «Ромашка», ИНН 7707083893, КПП 773601001, 117997, г. Москва, ул. Вавилова, д. 19"
    )


def test_a_persons_invoice_names_them_alone(catalogue, staff, seller, manager):
    invoice = issued_invoice(catalogue, manager, name="Анна Клиентова", phone="+79000000001")

    assert buyer_line(invoice) == "Анна Клиентова"


def test_the_buyer_is_frozen_at_issue(catalogue, staff, seller, manager):
    invoice = issued_invoice(catalogue, manager, **ROMASHKA)
    Customer.objects.filter(inn="7707083893").update(
        company="ООО «Ромашка-2»", kpp="771001001", legal_address="Москва, Новая ул., 1"
    )
    invoice.refresh_from_db()

    assert "ООО «Ромашка», ИНН 7707083893, КПП 773601001" in buyer_line(invoice)


def test_the_clients_page_shows_a_business_buyer(client, catalogue, staff, seller, manager):
    business = issued_invoice(catalogue, manager, **ROMASHKA)
    person = issued_invoice(catalogue, manager, name="Анна Клиентова", phone="+79000000001")

    page = client.get(business.public_url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    private = client.get(person.public_url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert (
        "Покупатель (Заказчик): ООО «Ромашка», ИНН 7707083893, КПП 773601001, "
        "117997, г. Москва, ул. Вавилова, д. 19"
        in page.replace("&laquo;", "«").replace("&raquo;", "»")
    )
    assert 'id="buyer"' not in private
