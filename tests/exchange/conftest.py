"""A scripted 1C: it speaks the "exchange with a website" protocol over HTTP as 1C:УНФ does
(Basic sign-in, then the cookie it was given, files in chunks of file_limit), and writes
its orders documents as 1C writes them (windows-1251, Cyrillic element names)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

import pytest
import requests
from django.core.cache import cache

from orders.models import Order
from orders.services.api_keys import api_key_create


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def exchange_key(db) -> str:
    return api_key_create(name="1С:УНФ", scopes=["exchange"])[1]


@dataclass
class OneC:
    """1C's side of the exchange. `calls` keeps every (mode, status, first line)."""

    url: str
    login: str
    password: str
    cookie: tuple[str, str] | None = None
    file_limit: int = 0
    calls: list[tuple[str, int, str]] = field(default_factory=list)

    def call(self, mode: str, *, body: bytes | None = None, **params: str) -> requests.Response:
        query = {"type": "sale", "mode": mode, **params}
        headers = {"User-Agent": "1C+Enterprise/8.3"}
        if self.cookie is not None:
            headers["Cookie"] = f"{self.cookie[0]}={self.cookie[1]}"
        if body is None:
            response = requests.get(self.url, params=query, headers=headers, timeout=30)
        else:
            headers["Content-Type"] = "application/octet-stream"
            response = requests.post(self.url, params=query, data=body, headers=headers, timeout=30)
        first = response.content.split(b"\n", 1)[0][:60].decode("utf-8", "replace")
        self.calls.append((mode, response.status_code, first))
        return response

    def checkauth(self) -> requests.Response:
        response = requests.get(
            self.url,
            params={"type": "sale", "mode": "checkauth"},
            auth=(self.login, self.password),
            timeout=30,
        )
        lines = response.text.split("\n")
        if lines[0] == "success":
            self.cookie = (lines[1], lines[2])
        return response

    def init(self) -> dict[str, str]:
        answer = dict(
            line.split("=", 1) for line in self.call("init").text.split("\n") if "=" in line
        )
        self.file_limit = int(answer["file_limit"])
        return answer

    def query(self) -> list[ET.Element]:
        response = self.call("query")
        assert response.status_code == 200, response.text
        root = ET.fromstring(response.content)  # the declaration names its encoding
        assert root.tag == "КоммерческаяИнформация"
        return root.findall("Документ")

    def success(self) -> str:
        return self.call("success").text

    def upload(self, filename: str, content: bytes) -> list[str]:
        answers = []
        for start in range(0, len(content), self.file_limit):
            chunk = content[start : start + self.file_limit]
            answers.append(self.call("file", body=chunk, filename=filename).text)
        return answers

    def import_(self, filename: str) -> str:
        return self.call("import", filename=filename).text

    def send(self, filename: str, content: bytes) -> str:
        """A whole upload as 1C makes it: sign in, parameters, the file, its import."""
        assert self.checkauth().text.startswith("success")
        self.init()
        assert set(self.upload(filename, content)) == {"success"}
        return self.import_(filename)


@dataclass
class Doc1C:
    """One order as 1C sends it back: its own number, and what it saw happen."""

    order: Order
    number_1c: str = "00000017"
    payment_number: str = ""
    payment_date: str = ""
    payment_amount: str = ""
    shipment_number: str = ""
    shipment_date: str = ""
    shipped: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def document_1c(docs: list[Doc1C], *, encoding: str = "windows-1251") -> bytes:
    """1C's orders document: windows-1251 unless told, as 1C:УНФ writes it."""
    root = ET.Element(
        "КоммерческаяИнформация", {"ВерсияСхемы": "2.08", "ДатаФормирования": "2026-11-30"}
    )
    for doc in docs:
        order = doc.order
        element = _sub(root, "Документ")
        _sub(element, "Ид", order.number)
        _sub(element, "Номер", doc.number_1c)
        _sub(element, "Дата", dt.date.today().isoformat())
        _sub(element, "ХозОперация", "Заказ товара")
        _sub(element, "Роль", "Продавец")
        _sub(element, "Валюта", "руб")
        _sub(element, "Курс", "1")
        _sub(element, "Сумма", f"{order.total_amount:.2f}")
        party = _sub(_sub(element, "Контрагенты"), "Контрагент")
        _sub(party, "Наименование", order.customer.buyer_name)
        _sub(party, "Роль", "Покупатель")
        _sub(element, "Время", "12:00:00")
        goods = _sub(element, "Товары")
        for line in order.lines.all() if order.pk else []:
            item = _sub(goods, "Товар")
            _sub(item, "Ид", line.sku)
            _sub(item, "Наименование", line.name)
            _sub(item, "ЦенаЗаЕдиницу", f"{line.price:.2f}")
            _sub(item, "Количество", f"{line.quantity:f}")
            _sub(item, "Сумма", f"{line.amount:.2f}")
        values = {
            "Проведен": "true",
            "Номер по 1С": doc.number_1c,
            "Дата по 1С": dt.date.today().isoformat() + "T10:00:00",
            "ПометкаУдаления": "false",
        }
        if doc.payment_number:
            values["Номер оплаты по 1С"] = doc.payment_number
            values["Дата оплаты по 1С"] = doc.payment_date
        if doc.payment_amount:
            values["Сумма оплаты"] = doc.payment_amount
        if doc.shipment_number:
            values["Номер отгрузки по 1С"] = doc.shipment_number
            values["Дата отгрузки по 1С"] = doc.shipment_date
        if doc.shipped:
            values["Отгружен"] = "true"
        values.update(doc.extra)
        block = _sub(element, "ЗначенияРеквизитов")
        for name, value in values.items():
            item = _sub(block, "ЗначениеРеквизита")
            _sub(item, "Наименование", name)
            _sub(item, "Значение", value)
    body = ET.tostring(root, encoding=encoding, xml_declaration=False)
    return f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii") + body


def today() -> str:
    return dt.date.today().isoformat()
