"""A bank statement as a Russian bank exports it for 1C (1CClientBankExchange, written in
windows-1251), the company's requisites, and orders of business clients awaiting money."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from invoices.models import Invoice, SellerProfile
from orders.models import Customer
from tests.invoices.conftest import make_order

OUR_ACCOUNT = "40702810900000012345"
OUR_INN = "7701234567"
# Real INNs with valid check digits (Sberbank, Yandex, VTB).
INN_NORTH_WIND = "7707083893"
INN_STUDIO = "7736207543"
INN_STRANGER = "7702070139"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seller(db) -> SellerProfile:
    seller = SellerProfile.load()
    seller.name = "ООО «Мебельная мастерская»"
    seller.inn = OUR_INN
    seller.kpp = "770101001"
    seller.bank_name = "ПАО «Сбербанк»"
    seller.bik = "044525225"
    seller.account = OUR_ACCOUNT
    seller.correspondent_account = "30101810400000000225"
    seller.save()
    return seller


def business_invoice(*, catalogue, manager, inn: str, name: str) -> Invoice:
    """A company's order in prepayment: its invoice of 32,000.00 awaits the money."""
    order = make_order(catalogue=catalogue, manager=manager, email=f"{inn}@example.ru")
    Customer.objects.filter(pk=order.customer_id).update(
        kind=Customer.Kind.COMPANY, inn=inn, kpp="770101001", name=name
    )
    return order.invoices.get()


@dataclass
class Doc:
    """One СекцияДокумент; incoming by default (to our account, ДатаПоступило set)."""

    number: str
    amount: str
    purpose: str
    payer: str = "ООО «Северный ветер»"
    payer_inn: str = INN_NORTH_WIND
    payer_account: str = "40702810338000012345"
    recipient: str = "ООО «Мебельная мастерская»"
    recipient_inn: str = OUR_INN
    recipient_account: str = OUR_ACCOUNT
    day: dt.date = field(default_factory=timezone.localdate)
    outgoing: bool = False

    def lines(self) -> list[str]:
        day = f"{self.day:%d.%m.%Y}"
        return [
            "СекцияДокумент=Платежное поручение",
            f"Номер={self.number}",
            f"Дата={day}",
            f"Сумма={self.amount}",
            f"ПлательщикСчет={self.payer_account}",
            f"ДатаСписано={day if self.outgoing else ''}",
            f"Плательщик=ИНН {self.payer_inn} {self.payer}",
            f"ПлательщикИНН={self.payer_inn}",
            f"Плательщик1={self.payer}",
            f"ПлательщикРасчСчет={self.payer_account}",
            "ПлательщикБанк1=ПАО СБЕРБАНК",
            "ПлательщикБанк2=г. Москва",
            "ПлательщикБИК=044525225",
            "ПлательщикКорсчет=30101810400000000225",
            "ПлательщикКПП=770101001",
            f"ПолучательСчет={self.recipient_account}",
            f"ДатаПоступило={'' if self.outgoing else day}",
            f"Получатель=ИНН {self.recipient_inn} {self.recipient}",
            f"ПолучательИНН={self.recipient_inn}",
            f"Получатель1={self.recipient}",
            f"ПолучательРасчСчет={self.recipient_account}",
            "ПолучательБанк1=ПАО СБЕРБАНК",
            "ПолучательБИК=044525225",
            "ПолучательКорсчет=30101810400000000225",
            "ПолучательКПП=770101001",
            "ВидОплаты=01",
            "Очередность=5",
            f"НазначениеПлатежа={self.purpose}",
            "КонецДокумента",
        ]


def statement_text(docs: list[Doc], *, encoding: str = "Windows") -> str:
    today = f"{timezone.localdate():%d.%m.%Y}"
    head = [
        "1CClientBankExchange",
        "ВерсияФормата=1.03",
        f"Кодировка={encoding}",
        "Отправитель=Бухгалтерия предприятия, редакция 3.0",
        "Получатель=",
        f"ДатаСоздания={today}",
        "ВремяСоздания=09:15:42",
        f"ДатаНачала={today}",
        f"ДатаКонца={today}",
        f"РасчСчет={OUR_ACCOUNT}",
        "Документ=Платежное поручение",
        "СекцияРасчСчет",
        f"ДатаНачала={today}",
        f"ДатаКонца={today}",
        f"РасчСчет={OUR_ACCOUNT}",
        "НачальныйОстаток=150000.00",
        "ВсегоПоступило=81500.00",
        "ВсегоСписано=12400.00",
        "КонечныйОстаток=219100.00",
        "КонецРасчСчет",
    ]
    body = [line for doc in docs for line in doc.lines()]
    return "\r\n".join([*head, *body, "КонецФайла", ""])


def statement_bytes(docs: list[Doc], *, encoding: str = "cp1251") -> bytes:
    names = {"cp1251": "Windows", "cp866": "DOS", "utf-8": "UTF-8"}
    text = statement_text(docs, encoding=names[encoding])
    if encoding == "cp866":  # DOS has no «ёлочки»: its files quote with ".
        text = text.replace("«", '"').replace("»", '"')
    return text.encode(encoding)


def upload(client, body: bytes, name: str = "kl_to_1c.txt"):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            "/invoices/statements/upload/",
            {"file": SimpleUploadedFile(name, body, content_type="text/plain")},
        )


INN_KITCHEN = "7710140679"


@pytest.fixture
def invoices(catalogue, manager, seller, staff):
    return {
        "north": business_invoice(
            catalogue=catalogue, manager=manager, inn=INN_NORTH_WIND, name="ООО «Северный ветер»"
        ),
        "studio": business_invoice(
            catalogue=catalogue, manager=manager, inn=INN_STUDIO, name="ООО «Студия интерьера»"
        ),
        "kitchen": business_invoice(
            catalogue=catalogue, manager=manager, inn=INN_KITCHEN, name="ООО «Кухни на заказ»"
        ),
    }


def bank_statement(invoices) -> bytes:
    """Three payments in, one of them from a stranger naming no invoice; one payment out."""
    north = invoices["north"]
    today = f"{timezone.localdate():%d.%m.%Y}"
    return statement_bytes(
        [
            Doc("512", "32000.00", f"Оплата по счету № {north.number} от {today}. Без НДС"),
            Doc(
                "1044",
                "32000.00",
                "Оплата за мебель по договору поставки № 3 от 10.11.2026. Без НДС",
                payer="ООО «Студия интерьера»",
                payer_inn=INN_STUDIO,
                payer_account="40702810400000004444",
            ),
            Doc(
                "77",
                "32000.00",
                "Оплата за кухонный гарнитур за ООО «Кухни на заказ». Без НДС",
                payer="АО «Дальний родственник»",
                payer_inn=INN_STRANGER,
                payer_account="40702810500000005555",
            ),
            Doc(
                "88",
                "12400.00",
                "Оплата за фанеру по счету 77 от 20.11.2026. В т.ч. НДС 20% - 2066.67",
                payer="ООО «Мебельная мастерская»",
                payer_inn=OUR_INN,
                payer_account=OUR_ACCOUNT,
                recipient="ООО «Лесоторг»",
                recipient_inn=INN_NORTH_WIND,
                recipient_account="40702810100000000077",
                outgoing=True,
            ),
        ]
    )
