"""What 1C's file does to the orders, read through the services: which payments count,
what is skipped and noted, and the watermark over a batch."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from django.test import override_settings
from django.utils import timezone

from exchange.commerceml import orders_document
from exchange.models import ExchangeLog, ExchangeSession, ExchangeUpload, Mode
from exchange.services import (
    exchange_log,
    orders_confirm,
    orders_query,
    session_start,
    upload_append,
    upload_import,
)
from exchange.upload import UploadRefused
from invoices.models import Payment
from orders.models import ApiKey, Customer, Order, PaymentScheme, Stage
from tests.exchange.conftest import Doc1C, document_1c, today
from tests.factories import order_in_production, refreshed
from tests.invoices.conftest import make_order


@pytest.fixture
def session(exchange_key) -> ExchangeSession:
    return session_start(password=exchange_key)[0]


@pytest.fixture
def waiting(catalogue, staff, manager) -> Order:
    return make_order(catalogue=catalogue, manager=manager)


def _import(session: ExchangeSession, content: bytes):
    upload_append(session=session, filename="orders.xml", chunk=content)
    return upload_import(session=session, filename="orders.xml")


def test_a_payment_under_the_other_names_1c_uses_is_booked_for_its_amount(session, waiting):
    doc = Doc1C(
        waiting,
        extra={"Номер платежного документа": "п/п 88", "Дата оплаты": "25.11.2026"},
        payment_amount="10 000,00",
    )
    result = _import(session, document_1c([doc], encoding="utf-8"))
    payment = Payment.objects.get()
    assert (result.payments, payment.amount) == (1, Decimal("10000.00"))
    assert payment.reference == "№ п/п 88 от 25.11.2026"
    assert timezone.localdate(payment.paid_at) == dt.date(2026, 11, 25)
    assert refreshed(waiting).stage == Stage.PREPAYMENT  # 10,000 of 32,000


def test_one_bank_payment_for_two_orders_is_booked_on_each(session, catalogue, manager, waiting):
    other = make_order(catalogue=catalogue, manager=manager, email="second@example.ru")
    docs = [Doc1C(o, payment_number="301", payment_date=today()) for o in (waiting, other)]
    assert _import(session, document_1c(docs)).payments == 2
    assert Payment.objects.count() == 2


def test_orders_1c_made_itself_and_ones_it_deleted_are_skipped_with_a_note(session, waiting):
    # An order typed into 1C by hand: not ours (unsaved here, so it has no lines either).
    stranger = Order(number="1C-000045", total_amount=Decimal("100"), customer=Customer())
    deleted = Doc1C(waiting, payment_number="1", payment_date=today())
    deleted.extra = {"ПометкаУдаления": "true"}
    result = _import(session, document_1c([Doc1C(stranger), deleted]))
    assert (result.documents, result.skipped, result.payments) == (2, 2, 0)
    assert "1C-000045" in result.notes[0]
    assert Payment.objects.count() == 0


def test_a_payment_with_no_invoice_to_pay_and_an_early_shipment_are_noted(
    session, staff, catalogue
):
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.POSTPAYMENT
    )
    doc = Doc1C(order, payment_number="9", payment_date=today(), shipped=True)
    result = _import(session, document_1c([doc]))
    assert (result.payments, result.shipments) == (0, 0)
    assert len(result.notes) == 2
    assert refreshed(order).stage == Stage.PRODUCTION


def test_a_file_over_the_limit_is_refused_while_uploading(session, settings):
    settings.EXCHANGE_1C_MAX_FILE = 10
    upload_append(session=session, filename="orders.xml", chunk=b"x" * 10)
    with pytest.raises(UploadRefused):
        upload_append(session=session, filename="orders.xml", chunk=b"x")


def test_a_file_never_uploaded_cannot_be_imported(session):
    with pytest.raises(UploadRefused):
        upload_import(session=session, filename="orders.xml")


def test_a_batch_at_a_time_and_nothing_lost_between_batches(exchange_key, staff, catalogue):
    settings_batch = 2
    orders = [
        make_order(catalogue=catalogue, manager=staff["manager"], email=f"c{i}@example.ru")
        for i in range(5)
    ]
    key = ApiKey.objects.get()
    seen: list[str] = []
    with override_settings(EXCHANGE_1C_BATCH=settings_batch):
        for _ in range(4):
            document, count = orders_query(key=key)
            numbers = [d.findtext("Ид") for d in ET.fromstring(document).findall("Документ")]
            assert len(numbers) == count <= settings_batch
            seen += numbers
            orders_confirm(key=key)
    assert sorted(seen) == sorted(o.number for o in orders)


def test_the_document_is_windows_1251_with_what_it_lacks_as_references(waiting):
    waiting.comment = "Доставить до 18:00 — звонить заранее ☎"
    Order.objects.filter(pk=waiting.pk).update(comment=waiting.comment)
    orders = Order.objects.filter(pk=waiting.pk).prefetch_related("lines", "payments")
    body = orders_document(orders, encoding="windows-1251")
    assert body.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    assert "КоммерческаяИнформация".encode("cp1251") in body
    assert b"&#9742;" in body
    root = ET.fromstring(body)
    assert root.attrib["ВерсияСхемы"] == "2.08"
    assert root.find("Документ/Комментарий").text == waiting.comment
    chairs = root.findall("Документ/Товары/Товар")[1]
    assert chairs.findtext("Скидки/Скидка/Сумма") == "500.00"
    assert chairs.find("БазоваяЕдиница").attrib["Код"] == "796"
    person = root.find("Документ/Контрагенты/Контрагент")
    assert person.find("ИНН") is None
    assert person.findtext("Контакты/Контакт/Значение") == "klient@example.ru"


@pytest.mark.parametrize("encoding", ["utf-8", "windows-1251"])
def test_a_file_without_an_encoding_declared_is_read_either_way(session, waiting, encoding):
    content = document_1c([Doc1C(waiting, payment_number="5", payment_date=today())])
    undeclared = content.decode("cp1251").split("?>", 1)[1].encode(encoding)
    assert _import(session, undeclared).payments == 1


def test_a_payment_number_longer_than_any_1c_writes_refuses_the_file(session, waiting):
    doc = Doc1C(waiting, payment_number="7" * 61, payment_date=today())
    with pytest.raises(UploadRefused, match="Номер оплаты"):
        _import(session, document_1c([doc]))
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b'<?xml version="1.0" encoding="utf-8"',  # cut inside the declaration
        b"\xef\xbb\xbf<a>\x98</a>",  # a UTF-8 mark before what is not UTF-8
        b"<a>\x98</a>",  # neither UTF-8 nor windows-1251 (0x98 is unassigned there)
        b"   \n",
    ],
)
def test_a_file_cut_or_undecodable_is_refused_not_crashed_on(session, waiting, raw):
    with pytest.raises(UploadRefused):
        _import(session, raw)


def test_a_sign_in_clears_expired_sessions_with_their_files_and_the_old_log(exchange_key):
    old_session = session_start(password=exchange_key)[0]
    upload_append(session=old_session, filename="orders.xml", chunk=b"<a/>")
    ExchangeSession.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    old = exchange_log(mode=Mode.INIT, ok=True)
    ExchangeLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=91))
    recent = exchange_log(mode=Mode.INIT, ok=True)
    session_start(password=exchange_key)
    assert list(ExchangeLog.objects.all()) == [recent]
    assert not ExchangeUpload.objects.exists()
    assert ExchangeSession.objects.count() == 1


def test_the_orders_document_costs_the_same_queries_for_one_order_or_many(
    exchange_key, staff, catalogue, django_assert_num_queries
):
    key = ApiKey.objects.get()
    make_order(catalogue=catalogue, manager=staff["manager"], email="one@example.ru")
    # savepoint; the watermark (get_or_create: select for update, then a savepoint, the
    # insert and its release); the changed orders; the watermark saved; the orders with
    # their clients; their lines; their payments; savepoint released.
    with django_assert_num_queries(11):
        assert orders_query(key=key)[1] == 1
    orders_confirm(key=key)
    for i in range(3):
        make_order(catalogue=catalogue, manager=staff["manager"], email=f"m{i}@example.ru")
    with django_assert_num_queries(8):  # the watermark is there now: found, not inserted
        assert orders_query(key=key)[1] == 3


def _zip(*files: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zipped_file_is_imported_under_the_name_of_the_xml_inside(session, waiting):
    content = document_1c([Doc1C(waiting, payment_number="3", payment_date=today())])
    upload_append(session=session, filename="orders.zip", chunk=_zip(("orders.xml", content)))
    assert upload_import(session=session, filename="orders.xml").payments == 1


@pytest.mark.parametrize(
    "archive",
    [
        _zip(("a.xml", b"<a/>"), ("b.xml", b"<b/>")),  # two files: which one?
        _zip(("readme.txt", b"hello")),  # no XML at all
        _zip(("orders.xml", b" " * 50_000)),  # unpacks past the limit (set to 10 kB)
        _zip(("orders.xml", b"<a/>" * 100))[:60],  # cut short
    ],
    ids=["two files", "no xml", "too large unpacked", "cut"],
)
def test_a_zip_that_is_not_one_sound_xml_file_is_refused(session, settings, archive):
    settings.EXCHANGE_1C_MAX_FILE = 10_000
    upload_append(session=session, filename="orders.zip", chunk=archive)
    with pytest.raises(UploadRefused, match="ZIP"):
        upload_import(session=session, filename="orders.zip")


def test_a_payment_whose_date_1c_corrected_is_not_booked_again(session, waiting):
    _import(session, document_1c([Doc1C(waiting, payment_number="12", payment_date=today())]))
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    again = _import(
        session, document_1c([Doc1C(waiting, payment_number="12", payment_date=yesterday)])
    )
    assert (again.payments, again.repeated) == (0, 1)
    assert Payment.objects.count() == 1
