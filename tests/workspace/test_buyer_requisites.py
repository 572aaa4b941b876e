"""The buyer's requisites in the qualification form: checked on their fields, saved on the
order's client, and one INN is one client."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from orders.models import Customer, EventKind, Order, Stage
from orders.services.customers import INN_TAKEN
from tests.workspace.test_qualification import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    # A request in Russian leaves Russian active in this thread (LocaleMiddleware does not
    # restore it); the tests run after these expect the default.
    language = translation.get_language()
    yield
    translation.activate(language)


COMPANY = {
    "buyer-kind": "company",
    "buyer-company": "ООО «Ромашка»",
    "buyer-inn": "7707083893",
    "buyer-kpp": "773601001",
    "buyer-ogrn": "1027700132195",
    "buyer-legal_address": "117997, г. Москва, ул. Вавилова, д. 19",
    "buyer-bank_name": "ПАО Сбербанк",
    "buyer-bik": "044525225",
    "buyer-account": "40702810938000000001",
    "buyer-correspondent_account": "30101810400000000225",
}


def post(client, order, **fields):
    data = form_data([("TBL-1", "1", "")], save="1") | fields
    with translation.override("ru"):
        return client.post(f"/orders/{order.number}/edit/", data, HTTP_ACCEPT_LANGUAGE="ru")


def test_it_refuses_a_company_without_kpp_next_to_the_field(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])

    response = post(client, order, **(COMPANY | {"buyer-kpp": ""}))

    assert response.status_code == 422
    html = response.content.decode()
    # On the field and in the summary at the top, which links to it.
    assert 'data-field="buyer-kpp"' in html
    assert 'href="#id_buyer-kpp">КПП: Обязательно для организации.' in html
    order.customer.refresh_from_db()
    assert (order.customer.kind, order.customer.inn) == ("person", "")
    assert order.lines.get().quantity == 1  # nothing saved: the order still has its 1 line


def test_it_names_the_wrong_check_digit_of_an_inn(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])

    response = post(client, order, **(COMPANY | {"buyer-inn": "7707083894"}))

    assert response.status_code == 422
    assert "ИНН: Контрольные цифры ИНН не сходятся" in response.content.decode()


def test_it_saves_a_company_on_the_orders_client(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])

    response = post(client, order, **(COMPANY | {"buyer-inn": "77 0708 3893 "}))

    assert response.status_code == 302
    buyer = Customer.objects.get(pk=order.customer_id)
    assert buyer.kind == "company"
    assert buyer.inn == "7707083893"  # as stored: digits only
    with translation.override("ru"):
        line = buyer.requisites_line
    assert line == (
        "ООО «Ромашка», ИНН 7707083893, КПП 773601001, 117997, г. Москва, ул. Вавилова, д. 19"
    )
    assert (buyer.bik, buyer.account) == ("044525225", "40702810938000000001")


def test_a_sole_trader_needs_a_12_digit_inn_and_no_kpp(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    sole_trader = COMPANY | {"buyer-kind": "sole_trader", "buyer-company": "ИП Петров П. П."}

    refused = post(client, order, **(sole_trader | {"buyer-ogrn": ""}))
    saved = post(client, order, **(sole_trader | {"buyer-inn": "500100732259", "buyer-ogrn": ""}))

    assert refused.status_code == 422
    assert "ИНН ИП или физического лица состоит из 12 цифр" in refused.content.decode()
    assert saved.status_code == 302
    buyer = Customer.objects.get(pk=order.customer_id)
    assert (buyer.kind, buyer.inn, buyer.kpp) == ("sole_trader", "500100732259", "")


def test_a_person_needs_no_requisites_and_keeps_none(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    post(client, order, **COMPANY)

    # Back to a private buyer: the hidden fields still carry the company's requisites.
    response = post(client, order, **(COMPANY | {"buyer-kind": "person", "buyer-kpp": ""}))

    assert response.status_code == 302
    buyer = Customer.objects.get(pk=order.customer_id)
    assert (buyer.kind, buyer.inn, buyer.kpp, buyer.legal_address, buyer.account) == (
        "person",
        "",
        "",
        "",
        "",
    )
    assert buyer.buyer_name == buyer.name


def test_the_same_inn_is_the_same_client_once_the_manager_confirms(client, staff, order_factory):
    holder = Customer.objects.create(
        name="Ольга Смирнова",
        phone="+79000000077",
        kind="company",
        company="ООО «Ромашка»",
        inn="7707083893",
        kpp="773601001",
    )
    order = order_factory(stage=Stage.QUALIFICATION)
    first_client = order.customer
    client.force_login(staff["manager"])

    refused = post(client, order, **COMPANY)

    assert refused.status_code == 422
    html = refused.content.decode()
    with translation.override("ru"):
        assert str(INN_TAKEN) % {"buyer": "ООО «Ромашка»"} in html
    assert f'name="buyer-attach" value="{holder.pk}"' in html
    order.refresh_from_db()
    assert order.customer_id == first_client.pk
    assert Customer.objects.filter(inn="7707083893").count() == 1

    attached = post(client, order, **(COMPANY | {"buyer-attach": str(holder.pk)}))

    assert attached.status_code == 302
    order.refresh_from_db()
    assert order.customer_id == holder.pk
    holder.refresh_from_db()
    assert holder.legal_address == COMPANY["buyer-legal_address"]
    first_client.refresh_from_db()
    assert (first_client.kind, first_client.inn) == ("person", "")  # left as it was
    assert order.events.filter(kind=EventKind.CUSTOMER).count() == 1
    with translation.override("ru"):
        page = client.get(order.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Заказ перешёл от клиента Anna Client к клиенту ООО «Ромашка» (ИНН 7707083893)." in page


def test_a_tick_for_another_client_does_not_attach(client, staff, order_factory):
    Customer.objects.create(
        name="Ольга",
        phone="+79000000077",
        kind="company",
        company="ООО «Ромашка»",
        inn="7707083893",
        kpp="773601001",
    )
    stranger = Customer.objects.create(name="Пётр", phone="+79000000078")
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])

    response = post(client, order, **(COMPANY | {"buyer-attach": str(stranger.pk)}))

    assert response.status_code == 422
    order.refresh_from_db()
    assert order.customer.name != "Ольга"


def test_the_form_shows_the_clients_requisites_with_russian_hints(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    post(client, order, **COMPANY)

    with translation.override("ru"):
        html = client.get(f"/orders/{order.number}/edit/", HTTP_ACCEPT_LANGUAGE="ru").content
    html = html.decode()

    assert 'value="7707083893"' in html
    assert re.search(r'<input[^>]*value="company"[^>]*checked', html)
    assert "10 цифр для организации, 12 — для ИП" in html
    assert 'inputmode="numeric"' in html and 'autocomplete="off"' in html
    assert "Покупатель" in html


def test_the_order_page_shows_a_business_buyers_requisites(client, staff, order_factory):
    business = order_factory(stage=Stage.QUALIFICATION)
    person = order_factory(stage=Stage.QUALIFICATION, name="Boris Buyer")
    client.force_login(staff["manager"])
    post(client, business, **COMPANY)

    with translation.override("ru"):
        page = client.get(business.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru")
        private = client.get(person.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru")
    html = " ".join(page.content.decode().split())

    assert "<dt>Покупатель</dt><dd>Организация</dd>" in html
    assert "<dt>ИНН</dt><dd>7707083893</dd>" in html
    assert "<dt>КПП</dt><dd>773601001</dd>" in html
    assert "<dt>ОГРН</dt><dd>1027700132195</dd>" in html
    assert "ПАО Сбербанк, БИК 044525225<br>Расчётный счёт 40702810938000000001" in html
    assert "data-requisites" not in private.content.decode()


def test_the_buyers_pages_in_russian_have_no_english_word(client, staff, order_factory):
    from tests.workspace.test_russian import _names, english_words

    Customer.objects.create(
        name="Ольга",
        phone="+79000000077",
        kind="company",
        company="ООО «Ромашка»",
        inn="7707083893",
        kpp="773601001",
        legal_address="Москва",
    )
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    offer = client.post(f"/orders/{order.number}/edit/", form_data([("TBL-1", "1", "")]) | COMPANY)
    sole_trader = {"buyer-inn": "500100732259", "buyer-kind": "sole_trader", "buyer-ogrn": ""}
    assert post(client, order, **(COMPANY | sole_trader)).status_code == 302
    page = client.get(order.get_absolute_url())

    assert offer.status_code == 422
    assert english_words(offer.content.decode(), _names()) == set()
    assert "data-requisites" in page.content.decode()
    assert english_words(page.content.decode(), _names()) == set()


def test_a_company_with_other_orders_is_not_made_a_person(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    post(client, order, **COMPANY)
    other = order_factory(stage=Stage.QUALIFICATION, name="Boris Buyer")
    Order.objects.filter(pk=other.pk).update(customer=order.customer)

    response = post(client, order, **(COMPANY | {"buyer-kind": "person"}))

    assert response.status_code == 422
    assert (
        "Тип покупателя: У клиента ООО «Ромашка» есть другие заказы, и его реквизиты не "
        "меняются." in response.content.decode()
    )
    buyer = Customer.objects.get(pk=order.customer_id)
    assert (buyer.kind, buyer.inn) == ("company", "7707083893")


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            # What a person can type: anything but a NUL, which the input guard refuses
            # before any form sees it (config/inputs.py), and a lone surrogate, which no
            # browser can put in a UTF-8 form (it sends U+FFFD instead).
            f"buyer-{name}": st.text(
                st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                max_size=30,
            )
            for name in ("kind", "company", "inn", "kpp", "ogrn", "bik", "account", "attach")
        },
    )
)
def test_any_buyer_typed_is_saved_or_refused_on_the_page(client, staff, order_factory, fields):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])

    response = post(client, order, **fields)

    assert response.status_code in (302, 422)
    if response.status_code == 302:
        Customer.objects.get(pk=order.customer_id).full_clean()  # what was kept is valid
