"""The buyer in the intake API: requisites checked field by field with the same rules as
the qualification form, and one INN is one customer."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import Customer, Order
from tests.orders import test_api
from tests.orders.test_api import nothing_created, valid

key, post = test_api.key, test_api.post  # the intake tests' fixtures

pytestmark = pytest.mark.django_db

ROMASHKA = {
    "kind": "company",
    "name": "ООО «Ромашка»",
    "inn": "7707083893",
    "kpp": "773601001",
    "ogrn": "1027700132195",
    "legal_address": "117997, г. Москва, ул. Вавилова, д. 19",
    "bank": {
        "name": "ПАО Сбербанк",
        "bik": "044525225",
        "account": "4070 2810 9380 0000 0001",
        "correspondent_account": "30101810400000000225",
    },
}


def test_a_company_buyer_is_created_with_its_requisites(post, staff, catalogue):
    response = post(valid(buyer=ROMASHKA))

    assert response.status_code == 201, response.json()
    buyer = Order.objects.get(number=response.json()["number"]).customer
    assert (buyer.kind, buyer.company, buyer.name, buyer.email) == (
        "company",
        "ООО «Ромашка»",
        "Анна Иванова",
        "anna@example.com",
    )
    assert (buyer.inn, buyer.kpp, buyer.ogrn) == ("7707083893", "773601001", "1027700132195")
    assert (buyer.bank_name, buyer.bik, buyer.account) == (
        "ПАО Сбербанк",
        "044525225",
        "40702810938000000001",  # as stored: digits only
    )


def test_the_same_inn_is_the_same_customer(post, staff, catalogue):
    first = post(valid(buyer=ROMASHKA))
    # Another contact of the company, its KPP typed differently: still the company on file.
    second = post(
        valid(
            external_id="shop-1002",
            customer={"name": "Пётр Петров", "email": "petr@romashka.ru"},
            buyer=ROMASHKA | {"inn": " 7707083893", "kpp": "773601002"},
        )
    )

    assert (first.status_code, second.status_code) == (201, 201)
    orders = Order.objects.filter(number__in=[first.json()["number"], second.json()["number"]])
    assert {order.customer_id for order in orders} == {Customer.objects.get(inn="7707083893").pk}
    assert Customer.objects.get(inn="7707083893").kpp == "773601001"  # as checked on file


def test_a_contacts_other_company_keeps_its_inn(post, staff, catalogue):
    post(valid(buyer=ROMASHKA))
    response = post(
        valid(
            external_id="shop-1002",
            buyer={"kind": "sole_trader", "name": "ИП Петров П. П.", "inn": "500100732259"},
        )
    )

    assert response.status_code == 201
    assert Customer.objects.get(inn="7707083893").kind == "company"
    assert Customer.objects.get(inn="500100732259").email == "anna@example.com"


def test_a_wrong_inn_checksum_is_a_400_naming_buyer_inn(client, key, staff, catalogue):
    response = client.post(
        "/api/v1/orders/",
        json.dumps(valid(buyer=ROMASHKA | {"inn": "7707083894"})),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", "Accept-Language": "ru"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": {"buyer.inn": ["Контрольные цифры ИНН не сходятся: проверьте номер."]}
    }
    assert nothing_created()


def test_each_wrong_requisite_is_under_its_field(post, staff, catalogue):
    bad = ROMASHKA | {
        "name": "",
        "kpp": "",
        "ogrn": "1027700132194",
        "bank": ROMASHKA["bank"] | {"account": "40702810938000000002"},
    }

    response = post(valid(buyer=bad))

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "buyer.name",
        "buyer.kpp",
        "buyer.ogrn",
        "buyer.bank.account",
    }
    assert nothing_created()


def test_a_person_needs_no_requisites(post, staff, catalogue):
    response = post(valid(buyer={"kind": "person"}))

    assert response.status_code == 201
    assert Customer.objects.get().kind == "person"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    buyer=st.fixed_dictionaries(
        {},
        optional={
            "kind": st.one_of(st.sampled_from(["person", "sole_trader", "company"]), st.text()),
            "name": st.one_of(st.none(), st.text(max_size=300), st.integers()),
            "inn": st.one_of(st.text(alphabet="0123456789 -", max_size=14), st.text()),
            "kpp": st.text(max_size=12),
            "ogrn": st.text(alphabet="0123456789", max_size=16),
            "bank": st.one_of(
                st.none(),
                st.text(),
                st.fixed_dictionaries(
                    {}, optional={"bik": st.text(max_size=10), "account": st.text(max_size=22)}
                ),
            ),
        },
    )
)
def test_any_buyer_is_taken_or_refused_by_field(post, staff, catalogue, buyer):
    response = post(valid(external_id=uuid.uuid4().hex, buyer=buyer))

    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert all(field.startswith("buyer") for field in response.json()["errors"])
