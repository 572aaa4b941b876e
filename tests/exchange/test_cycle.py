"""The 1C exchange over HTTP against a live server, as 1C:УНФ runs it: checkauth → init →
query → success, then file → import with 1C's own orders document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from exchange.models import ExchangeLog, ExchangeWatermark
from invoices.models import Invoice, Payment, PaymentSource
from orders.models import Customer, PaymentScheme, Stage
from orders.services.api_keys import api_key_create
from tests.exchange.conftest import Doc1C, OneC, document_1c, today
from tests.factories import order_in_delivery, order_in_production, refreshed
from tests.invoices.conftest import make_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def one_c(live_server, exchange_key) -> OneC:
    return OneC(url=f"{live_server.url}/exchange/1c/", login="1c", password=exchange_key)


@pytest.fixture
def waiting(catalogue, staff, manager):
    """An order waiting for its full prepayment (32,000.00 with 1,500.00 delivery), for a
    company."""
    order = make_order(catalogue=catalogue, manager=manager)
    customer = order.customer
    customer.kind, customer.company = Customer.Kind.COMPANY, "ООО «Северный ветер»"
    customer.inn, customer.kpp = "7707083893", "773601001"
    customer.legal_address = "125040, г. Москва, ул. Правды, д. 1"
    customer.save()
    return order


@pytest.fixture
def shipping(staff, catalogue):
    return order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )


def _requisites(document) -> dict[str, str]:
    return {
        item.findtext("Наименование"): item.findtext("Значение")
        for item in document.findall("ЗначенияРеквизитов/ЗначениеРеквизита")
    }


def test_a_full_exchange_sends_the_orders_and_books_what_1c_saw(one_c, waiting, shipping, settings):
    settings.EXCHANGE_1C_FILE_LIMIT = 2048  # 1C's file goes in several chunks
    assert one_c.checkauth().text.split("\n")[0] == "success"
    assert one_c.cookie is not None and one_c.cookie[0] == "conveyor_1c"
    assert one_c.init() == {"zip": "no", "file_limit": "2048"}

    documents = {d.findtext("Ид"): d for d in one_c.query()}
    assert set(documents) == {waiting.number, shipping.number}
    sent = documents[waiting.number]
    assert sent.findtext("ХозОперация") == "Заказ товара"
    assert sent.findtext("Сумма") == "32000.00"
    assert sent.findtext("Валюта") == "RUB"
    party = sent.find("Контрагенты/Контрагент")
    assert party.findtext("Наименование") == "ООО «Северный ветер»"
    assert (party.findtext("ИНН"), party.findtext("КПП")) == ("7707083893", "773601001")
    assert party.findtext("Роль") == "Покупатель"
    assert party.findtext("АдресРегистрации/Представление").startswith("125040")
    goods = sent.findall("Товары/Товар")
    delivery = goods[-1]
    assert delivery.findtext("Сумма") == "1500.00"
    assert _requisites(delivery)["ВидНоменклатуры"] == "Услуга"
    assert sum(Decimal(g.findtext("Сумма")) for g in goods) == Decimal("32000.00")
    assert _requisites(sent)["Статус заказа"] == "Предоплата"
    assert _requisites(sent)["Метод оплаты"] == "Полная предоплата"
    assert _requisites(sent)["Заказ оплачен"] == "false"
    assert _requisites(documents[shipping.number])["Заказ оплачен"] == "true"

    assert one_c.success() == "success"
    assert one_c.query() == []  # nothing changed since
    assert one_c.success() == "success"

    upload = document_1c(
        [
            Doc1C(waiting, payment_number="17", payment_date=today()),
            Doc1C(shipping, number_1c="00000018", shipment_number="5", shipment_date=today()),
        ]
    )
    assert len(upload) > 2048
    assert one_c.send("orders.xml", upload) == "success"

    waiting, shipping = refreshed(waiting), refreshed(shipping)
    assert waiting.stage == Stage.PRODUCTION
    payment = Payment.objects.get(order=waiting)
    assert payment.source == PaymentSource.EXCHANGE_1C
    assert payment.amount == Decimal("32000.00")
    assert payment.reference == f"№ 17 от {dt.date.today():%d.%m.%Y}"
    assert shipping.stage == Stage.WON
    assert shipping.shipped_on == dt.date.today()
    entry = ExchangeLog.objects.filter(mode="import").get()
    assert (entry.ok, entry.documents, entry.payments, entry.shipments) == (True, 2, 1, 1)

    # The same file again (1C sends what it holds every time): nothing twice.
    assert one_c.send("orders.xml", upload) == "success"
    assert Payment.objects.filter(source=PaymentSource.EXCHANGE_1C).count() == 1
    again = ExchangeLog.objects.filter(mode="import").first()
    assert (again.payments, again.repeated, again.shipments) == (0, 1, 0)

    # What the import changed goes to 1C at the next exchange.
    assert one_c.checkauth().text.startswith("success")
    changed = {d.findtext("Ид"): _requisites(d) for d in one_c.query()}
    assert changed[waiting.number]["Статус заказа"] == "Производство"
    assert changed[shipping.number]["Отгружен"] == "true"


def test_a_query_1c_did_not_confirm_is_sent_again(one_c, waiting):
    one_c.checkauth()
    assert [d.findtext("Ид") for d in one_c.query()] == [waiting.number]
    # 1C broke off before success: the next exchange sends the order again.
    one_c.checkauth()
    assert [d.findtext("Ид") for d in one_c.query()] == [waiting.number]
    assert one_c.success() == "success"
    one_c.checkauth()
    assert one_c.query() == []
    assert ExchangeWatermark.objects.get().pending_count == 0


def test_an_order_changed_after_the_exchange_goes_again(one_c, waiting, shipping):
    one_c.checkauth()
    assert len(one_c.query()) == 2
    one_c.success()
    pay_invoice = Invoice.objects.get(order=waiting)
    from tests.factories import pay

    pay(pay_invoice)
    assert [d.findtext("Ид") for d in one_c.query()] == [waiting.number]


def test_payments_in_one_file_are_all_booked_or_none(one_c, staff, catalogue, waiting):
    second = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.POSTPAYMENT
    )
    first = make_order(catalogue=catalogue, manager=staff["manager"], email="b@x.ru")
    later = dt.date.today() + dt.timedelta(days=30)
    upload = document_1c(
        [
            Doc1C(first, payment_number="20", payment_date=today()),
            # A date a month ahead: the ledger refuses it, after the first was booked.
            Doc1C(waiting, payment_number="21", payment_date=later.isoformat()),
            Doc1C(second),
        ]
    )
    answer = one_c.send("orders.xml", upload)
    assert answer.startswith("failure\n")
    assert waiting.number in answer
    assert Payment.objects.count() == 0
    assert refreshed(first).stage == Stage.PREPAYMENT
    assert ExchangeLog.objects.filter(mode="import", ok=False).count() == 1


BROKEN = {
    "truncated": (b"", "XML"),
    "windows-1251 declared as UTF-8": (
        '<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация/>'.encode("cp1251"),
        "utf-8",
    ),
    "KOI8-R": (b'<?xml version="1.0" encoding="koi8-r"?><a/>', "koi8-r"),
    "an entity": (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>', "DTD"),
    "not CommerceML": (
        '<?xml version="1.0" encoding="windows-1251"?><Заказы/>'.encode("cp1251"),
        "CommerceML",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_books_nothing_and_says_why(one_c, waiting, case):
    content, reason = BROKEN[case]
    if case == "truncated":
        content = document_1c([Doc1C(waiting, payment_number="1", payment_date=today())])[:-40]
    lines = one_c.send("orders.xml", content).split("\n")
    assert lines[0] == "failure"
    assert reason in lines[1]
    assert Payment.objects.count() == 0
    assert refreshed(waiting).stage == Stage.PREPAYMENT
    entry = ExchangeLog.objects.get(mode="import")
    assert not entry.ok and reason in entry.errors


def test_a_wrong_password_is_refused(one_c, waiting):
    one_c.password = "cvr_nope_nothing"
    response = one_c.checkauth()
    assert response.status_code == 401
    assert response.text.startswith("failure\nНеверный логин или пароль")
    assert one_c.cookie is None
    assert one_c.call("query").text.startswith("failure\n")
    assert ExchangeLog.objects.filter(ok=False).count() == 2


def test_a_key_without_the_exchange_scope_is_refused(one_c, waiting):
    one_c.password = api_key_create(name="Accounting", scopes=["accounting"])[1]
    response = one_c.checkauth()
    assert response.status_code == 401
    assert "«exchange»" in response.text or "“exchange”" in response.text
    assert ExchangeWatermark.objects.count() == 0


def test_a_revoked_key_loses_its_session(one_c, waiting):
    from django.utils import timezone

    from orders.models import ApiKey

    one_c.checkauth()
    ApiKey.objects.update(revoked_at=timezone.now())
    assert one_c.call("query").text.startswith("failure\n")


def test_an_address_that_keeps_guessing_is_held_off(one_c, settings):
    settings.EXCHANGE_1C_FAILURES_PER_HOUR = 3
    good = one_c.password
    one_c.password = "cvr_bad_guess"
    assert [one_c.checkauth().status_code for _ in range(4)] == [401, 401, 401, 429]
    one_c.password = good
    assert one_c.checkauth().status_code == 429
