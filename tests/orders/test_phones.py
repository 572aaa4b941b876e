"""One client per phone, however it is typed: stored in E.164, shown for people, found by
any spelling; old duplicates merged by the migration."""

from __future__ import annotations

import importlib
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client, override_settings
from hypothesis import given
from hypothesis import strategies as st

from core.phones import PHONE_EXTENSION, PHONE_INVALID, PhoneError, phone_normalize
from orders.models import Customer, Order, Source
from orders.services.api_keys import api_key_create
from orders.services.orders import LineInput
from pipeline.orders import order_create
from tests.orders.test_concurrency import race

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
merge = importlib.import_module("orders.migrations.0009_customer_phone_e164")


@pytest.fixture
def intake(client, db, staff, catalogue):
    plain = api_key_create(name="Web shop", scopes=["intake"])[1]

    def send(external_id: str, **customer):
        body = {
            "external_id": external_id,
            "customer": {"name": "Анна Иванова", **customer},
            "lines": [{"sku": "TBL-1", "quantity": 1}],
        }
        return client.post(
            URL,
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {plain}"},
        )

    return send


def new_order_form(phone: str, **extra: str) -> dict[str, str]:
    return {
        "customer-name": "Ирина Петрова",
        "customer-company": "",
        "customer-phone": phone,
        "customer-email": "",
        "customer-language": "ru",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-product": "TBL-1",
        "lines-0-name": "",
        "lines-0-quantity": "1",
        "lines-0-price": "",
        "lines-0-discount": "",
        "payment_scheme": "full_prepayment",
        "prepayment_amount": "",
        "delivery_method": "pickup",
        "delivery_cost": "",
        "delivery_address": "",
        **extra,
    }


# ----------------------------------------------------------------------------- stored once


def test_two_intakes_with_the_phone_typed_differently_make_one_client(intake):
    assert intake("shop-1", phone="+7 900 000-00-01").status_code == 201
    assert intake("shop-2", phone="8 900 000 00 01").status_code == 201
    assert intake("shop-3", phone="8 (900) 000-00-01", email="anna@example.com").status_code == 201

    client = Customer.objects.get()
    assert client.phone == "+79000000001"
    assert client.orders.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_intakes_from_one_new_client_at_once_make_one_client(staff, catalogue):
    plain = api_key_create(name="Web shop", scopes=["intake"])[1]

    def send(external_id: str, phone: str):
        body = {
            "external_id": external_id,
            "customer": {"name": "Анна Иванова", "phone": phone},
            "lines": [{"sku": "TBL-1", "quantity": 1}],
        }

        def post() -> int:
            response = Client().post(
                URL,
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {plain}"},
            )
            return response.status_code

        return post

    assert race(send("shop-1", "+7 900 000-00-01"), send("shop-2", "8 900 000 00 01")) == [201, 201]
    assert Customer.objects.get().orders.count() == 2


def test_an_intake_with_an_invalid_phone_is_refused_naming_the_field(intake):
    response = intake("shop-1", phone="8 900 1")

    assert response.status_code == 400
    assert response.json()["errors"] == {"customer.phone": [str(PHONE_INVALID)]}
    assert not Customer.objects.exists()
    assert not Order.objects.exists()


def test_the_new_order_form_stores_the_phone_in_e164_and_shows_it_formatted(
    client, staff, catalogue
):
    client.force_login(staff["manager"])

    response = client.post("/orders/new/", new_order_form("8 (911) 123-45-67"))

    order = Order.objects.get()
    assert response.status_code == 302
    assert order.customer.phone == "+79111234567"
    html = client.get(order.get_absolute_url()).content.decode()
    assert '<a href="tel:+79111234567">+7 911 123-45-67</a>' in html


def test_the_new_order_form_knows_the_client_typed_another_way(client, staff, intake):
    intake("shop-1", phone="+7 911 123-45-67")
    client.force_login(staff["manager"])

    warned = client.post("/orders/new/", new_order_form("8 911 123 45 67"))

    assert warned.status_code == 422
    html = warned.content.decode()
    assert "A client with this phone or e-mail is already on file." in html
    assert "Анна Иванова · +7 911 123-45-67" in html
    assert Customer.objects.count() == 1
    assert Order.objects.count() == 1

    anna = Customer.objects.get()
    client.post("/orders/new/", new_order_form("8 911 123 45 67", customer=str(anna.pk)))
    assert Customer.objects.get() == anna
    assert anna.orders.count() == 2


def test_the_new_order_form_refuses_an_invalid_phone_next_to_the_field(client, staff, catalogue):
    client.force_login(staff["manager"])

    response = client.post("/orders/new/", new_order_form("+7 900 000 00 01 доб. 12"))

    assert response.status_code == 422
    assert response.context["customer_form"].errors == {"phone": [str(PHONE_EXTENSION)]}
    assert not Customer.objects.exists()
    assert not Order.objects.exists()


@override_settings(PHONE_DEFAULT_REGION="KZ")
def test_a_phone_without_country_code_is_read_in_the_configured_region():
    assert phone_normalize("8 701 000 00 01") == "+77010000001"
    assert phone_normalize("+44 20 7946 0011") == "+442079460011"


@given(st.text(max_size=80))
def test_any_text_is_either_refused_with_the_message_or_stored_in_e164(raw):
    try:
        stored = phone_normalize(raw)
    except PhoneError as error:
        assert str(error) in (str(PHONE_INVALID), str(PHONE_EXTENSION))
        return
    if raw.strip():
        assert stored.startswith("+") and stored[1:].isdigit() and len(stored) <= 16
        assert phone_normalize(stored) == stored  # normalising again changes nothing
    else:
        assert stored == ""


# ----------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    "q", ["8 900 000 00 01", "+7 900 000-00-01", "900 000-00-01", "89000000001", "900 000-00"]
)
def test_the_board_and_the_client_search_find_the_client_by_any_spelling(client, staff, intake, q):
    intake("shop-1", phone="+7 900 000-00-01")
    Customer.objects.create(name="Someone Else", phone="+7 901 000-00-01")
    order = Order.objects.get()
    client.force_login(staff["manager"])

    board = client.get("/board/", {"q": q}).content.decode()
    found = client.get("/customers/search/", {"q": q}).content.decode()

    assert order.number in board
    assert "Анна Иванова" in found and "+7 900 000-00-01" in found
    assert "Someone Else" not in found


def test_the_admin_finds_the_client_by_any_spelling_and_shows_the_phone_formatted(admin_client):
    Customer.objects.create(name="Анна Иванова", phone="+7 900 000-00-01")
    Customer.objects.create(name="Someone Else", phone="+7 901 000-00-01")

    html = admin_client.get("/admin/orders/customer/", {"q": "8 900 000 00 01"}).content.decode()

    assert "Анна Иванова" in html and "+7 900 000-00-01" in html
    assert "Someone Else" not in html


# ----------------------------------------------------------------------------- migration


def legacy(name: str, phone: str, **fields) -> Customer:
    """A client as the old code stored it: the phone as typed (bulk_create skips save())."""
    return Customer.objects.bulk_create([Customer(name=name, phone=phone, **fields)])[0]


def order_for(customer: Customer, catalogue) -> Order:
    line = LineInput(product=catalogue["table"], quantity=Decimal(1))
    return order_create(customer=customer, lines=[line], source=Source.MANAGER)


def test_the_migration_merges_clients_the_phone_spelling_split_and_keeps_every_order(
    staff, catalogue
):
    anna = legacy("Анна Иванова", "+7 900 000-00-01", notes="Звонить после 18:00")
    anna_again = legacy(
        "анна  иванова", "8 900 000 00 01", email="anna@example.com", company="ООО «Лес»"
    )
    anna_by_mail = legacy(
        "Анна",
        "8(900)0000001",
        email="ANNA@example.com",
        notes="Просила не писать",
        do_not_notify=True,
    )
    anna_by_surname = legacy("Иванова", "8-900-000-00-01")
    orders = [
        order_for(c, catalogue)
        for c in (anna, anna_again, anna_by_mail, anna_again, anna_by_surname)
    ]

    merge.forwards(apps, None)

    kept = Customer.objects.get()
    assert kept.pk == anna.pk  # the oldest
    assert kept.phone == "+79000000001"
    assert (kept.name, kept.email, kept.company) == (
        "Анна Иванова",
        "anna@example.com",
        "ООО «Лес»",
    )
    assert kept.notes == "Звонить после 18:00\n\nПросила не писать"
    assert kept.do_not_notify  # one of them asked: the merged client is not notified
    assert set(kept.orders.all()) == set(orders)


def test_the_migration_keeps_apart_people_sharing_a_phone_and_phones_it_cannot_read(
    staff, catalogue
):
    office = legacy("Олег", "+7 495 000-11-02", email="oleg@zerno.example.com")
    colleague = legacy("Олег", "8 495 000 11 02", email="buh@zerno.example.com")
    husband = legacy("Пётр Сидоров", "+7 912 000-11-01")
    wife = legacy("Мария Сидорова", "8 912 000 11 01")
    unreadable = legacy("Старый клиент", "8 900 1")
    same_unreadable = legacy("Старый клиент", "8 900 1")
    for customer in (office, colleague, husband, wife, unreadable, same_unreadable):
        order_for(customer, catalogue)

    merge.forwards(apps, None)

    assert Customer.objects.count() == 6
    assert Order.objects.filter(customer=colleague).count() == 1
    phones = dict(Customer.objects.values_list("pk", "phone"))
    assert phones[office.pk] == phones[colleague.pk] == "+74950001102"
    assert phones[husband.pk] == phones[wife.pk] == "+79120001101"
    assert phones[unreadable.pk] == phones[same_unreadable.pk] == "8 900 1"  # as typed
