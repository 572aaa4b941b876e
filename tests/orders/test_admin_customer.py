"""The client in admin: kind and requisites in their own sections, checked by the model's
rule, found by INN and filtered by kind."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import translation

from orders.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    # A request in Russian leaves Russian active in this thread (LocaleMiddleware does not
    # restore it); the tests run after these expect the default.
    language = translation.get_language()
    yield
    translation.activate(language)


FORM = {
    "name": "Ольга Смирнова",
    "email": "olga@romashka.ru",
    "phone": "+7 900 000-00-77",
    "language": "ru",
    "notes": "",
    "kind": "company",
    "company": "ООО «Ромашка»",
    "inn": "7707 083 893",
    "kpp": "773601001",
    "ogrn": "1027700132195",
    "legal_address": "117997, г. Москва, ул. Вавилова, д. 19",
    "bank_name": "ПАО Сбербанк",
    "bik": "044525225",
    "account": "40702810938000000001",
    "correspondent_account": "30101810400000000225",
}


@pytest.fixture
def root(client):
    user = User.objects.create_superuser("root", "root@example.com", "pass-12345")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    return client


def test_the_change_form_saves_a_company_with_its_requisites(root):
    customer = Customer.objects.create(name="Ольга", phone="+79000000077")

    response = root.post(f"/admin/orders/customer/{customer.pk}/change/", FORM)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.kind, customer.inn, customer.bik) == ("company", "7707083893", "044525225")


def test_the_change_form_refuses_a_bad_inn_on_its_field(root):
    customer = Customer.objects.create(name="Ольга", phone="+79000000077")

    response = root.post(
        f"/admin/orders/customer/{customer.pk}/change/", FORM | {"inn": "7707083894"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["inn"] == [
        "Контрольные цифры ИНН не сходятся: проверьте номер."
    ]
    customer.refresh_from_db()
    assert customer.inn == ""


def test_an_inn_on_file_is_refused_for_another_client(root):
    Customer.objects.create(name="Ольга", kind="company", inn="7707083893", kpp="773601001")

    response = root.post("/admin/orders/customer/add/", FORM)

    assert response.status_code == 200
    assert "Клиент с этим ИНН уже есть в базе." in response.content.decode()
    assert Customer.objects.filter(inn="7707083893").count() == 1


def test_the_list_finds_a_client_by_inn_and_filters_by_kind(root):
    Customer.objects.create(name="Ольга", kind="company", inn="7707083893", kpp="773601001")
    Customer.objects.create(name="Пётр", phone="+79000000078")

    by_inn = root.get("/admin/orders/customer/?q=7707083893").content.decode()
    persons = root.get("/admin/orders/customer/?kind__exact=person").content.decode()

    assert "Ольга" in by_inn and "Пётр" not in by_inn
    assert "Пётр" in persons and "Ольга" not in persons


def test_the_change_form_groups_the_requisites_in_russian(root):
    customer = Customer.objects.create(name="Ольга", phone="+79000000077")

    page = root.get(f"/admin/orders/customer/{customer.pk}/change/").content.decode()

    assert "Реквизиты" in page and "Банковские реквизиты" in page
    assert "Организация" in page and "ИП" in page
