"""The orders document 1C asks for (mode=query): CommerceML 2, one <Документ> per order, as
1C:УНФ and 1C:УТ read it in their "exchange with a website".

Texts inside go to 1C in Russian whatever the reader's language: 1C shows them to the
company's accountant as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from xml.etree import ElementTree as ET

from django.utils import timezone, translation
from django.utils.translation import gettext

from core.units import unit_code
from orders.models import Customer, Order, PaymentScheme, Stage

SCHEMA_VERSION = "2.08"
DELIVERY_ID = "ORDER_DELIVERY"

# OKEI (Russian classifier of units): code, full name, international abbreviation.
OKEI = {
    "pcs": ("796", "Штука", "PCE", "шт"),
    "m": ("006", "Метр", "MTR", "м"),
    "m2": ("055", "Квадратный метр", "MTK", "м2"),
    "m3": ("113", "Кубический метр", "MTQ", "м3"),
    "l": ("112", "Литр", "LTR", "л"),
    "kg": ("166", "Килограмм", "KGM", "кг"),
    "set": ("839", "Комплект", "SET", "компл"),
}


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _requisites(parent: ET.Element, pairs: Iterable[tuple[str, str]]) -> None:
    block = _sub(parent, "ЗначенияРеквизитов")
    for name, value in pairs:
        item = _sub(block, "ЗначениеРеквизита")
        _sub(item, "Наименование", name)
        _sub(item, "Значение", value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _counterparty(parent: ET.Element, customer: Customer) -> None:
    party = _sub(_sub(parent, "Контрагенты"), "Контрагент")
    _sub(party, "Ид", f"customer-{customer.pk}")
    _sub(party, "Наименование", customer.buyer_name)
    business = customer.kind != Customer.Kind.PERSON
    if business:
        _sub(party, "ОфициальноеНаименование", customer.buyer_name)
    _sub(party, "ПолноеНаименование", customer.buyer_name if business else customer.name)
    if customer.inn:
        _sub(party, "ИНН", customer.inn)
    if customer.kpp:
        _sub(party, "КПП", customer.kpp)
    if customer.ogrn:
        _sub(party, "ОГРН", customer.ogrn)
    _sub(party, "Роль", "Покупатель")
    if customer.legal_address:
        address = _sub(party, "АдресРегистрации")
        _sub(address, "Представление", customer.legal_address)
    if customer.account and customer.bik:
        account = _sub(_sub(party, "РасчетныеСчета"), "РасчетныйСчет")
        _sub(account, "НомерСчета", customer.account)
        bank = _sub(account, "Банк")
        _sub(bank, "Наименование", customer.bank_name)
        if customer.correspondent_account:
            _sub(bank, "СчетКорреспондентский", customer.correspondent_account)
        _sub(bank, "БИК", customer.bik)
    contacts = [("Почта", customer.email), ("Телефон рабочий", customer.phone)]
    if any(value for _, value in contacts):
        block = _sub(party, "Контакты")
        for kind, value in contacts:
            if value:
                contact = _sub(block, "Контакт")
                _sub(contact, "Тип", kind)
                _sub(contact, "Значение", value)
    if business and customer.name and customer.name != customer.buyer_name:
        person = _sub(_sub(party, "Представители"), "Представитель")
        _sub(person, "Отношение", "Контактное лицо")
        _sub(person, "Наименование", customer.name)


def _item(
    parent: ET.Element,
    *,
    ident: str,
    name: str,
    unit: str,
    price: Decimal,
    quantity: Decimal,
    amount: Decimal,
    discount: Decimal,
    service: bool,
) -> None:
    item = _sub(parent, "Товар")
    _sub(item, "Ид", ident)
    if not service:
        _sub(item, "Артикул", ident)
    _sub(item, "Наименование", name)
    code, full, international, short = OKEI.get(unit_code(unit), OKEI["pcs"])
    _sub(
        item,
        "БазоваяЕдиница",
        short,
        Код=code,
        НаименованиеПолное=full,
        МеждународноеСокращение=international,
    )
    _sub(item, "ЦенаЗаЕдиницу", _amount(price))
    _sub(item, "Количество", _quantity(quantity))
    _sub(item, "Сумма", _amount(amount))
    if discount:
        off = _sub(_sub(item, "Скидки"), "Скидка")
        _sub(off, "Наименование", "Скидка")
        _sub(off, "Сумма", _amount(discount))
        _sub(off, "УчтеноВСумме", "true")
    kind = "Услуга" if service else "Товар"
    _requisites(item, [("ВидНоменклатуры", kind), ("ТипНоменклатуры", kind)])


def _paid_on(order: Order) -> dt.date | None:
    """The day the last money came in, once nothing is owed."""
    if order.total_amount <= 0 or order.paid_amount < order.total_amount:
        return None
    received = [p.paid_at for p in order.payments.all() if p.amount > 0]
    return timezone.localdate(max(received)) if received else None


def _order_requisites(order: Order) -> list[tuple[str, str]]:
    paid_on = _paid_on(order)
    pairs = [
        ("Статус заказа", str(Stage(order.stage).label)),
        (
            "Дата изменения статуса",
            f"{timezone.localtime(order.stage_changed_at):%Y-%m-%d %H:%M:%S}",
        ),
        ("Отменен", _bool(order.stage == Stage.LOST)),
        ("Финальный статус", _bool(order.stage in (Stage.WON, Stage.LOST))),
        ("Заказ оплачен", _bool(paid_on is not None)),
        ("Способ доставки", str(order.get_delivery_method_display())),
        ("Доставка разрешена", _bool(order.stage in (Stage.DELIVERY, Stage.WON))),
        ("Отгружен", _bool(order.shipped_on is not None)),
    ]
    if order.payment_scheme:
        pairs.append(("Метод оплаты", str(PaymentScheme(order.payment_scheme).label)))
    if order.prepayment_amount:
        pairs.append(("Сумма предоплаты", _amount(order.prepayment_amount)))
    pairs.append(("Оплачено", _amount(order.paid_amount)))
    if paid_on is not None:
        pairs.append(("Дата оплаты", paid_on.isoformat()))
    if order.shipped_on is not None:
        pairs.append(("Дата отгрузки", order.shipped_on.isoformat()))
    if order.tracking_number:
        pairs.append(("Номер отслеживания", order.tracking_number))
    if order.delivery_address:
        pairs.append(("Адрес доставки", order.delivery_address))
    if order.stage == Stage.LOST and order.lost_reason:
        pairs.append(("Причина отмены", order.lost_reason))
    return pairs


def _document(parent: ET.Element, order: Order) -> None:
    doc = _sub(parent, "Документ")
    created = timezone.localtime(order.created_at)
    _sub(doc, "Ид", order.number)
    _sub(doc, "Номер", order.number)
    _sub(doc, "Дата", created.date().isoformat())
    _sub(doc, "ХозОперация", "Заказ товара")
    _sub(doc, "Роль", "Продавец")
    _sub(doc, "Валюта", order.currency)
    _sub(doc, "Курс", "1")
    _sub(doc, "Сумма", _amount(order.total_amount))
    _counterparty(doc, order.customer)
    _sub(doc, "Время", created.time().replace(microsecond=0).isoformat())
    if order.comment:
        _sub(doc, "Комментарий", order.comment)
    goods = _sub(doc, "Товары")
    for line in order.lines.all():
        _item(
            goods,
            ident=line.sku,
            name=line.name,
            unit=line.unit,
            price=line.price,
            quantity=line.quantity,
            amount=line.amount,
            discount=line.discount,
            service=False,
        )
    if order.delivery_cost:
        _item(
            goods,
            ident=DELIVERY_ID,
            name=gettext("Delivery"),
            unit="pcs",
            price=order.delivery_cost,
            quantity=Decimal(1),
            amount=order.delivery_cost,
            discount=Decimal(0),
            service=True,
        )
    _requisites(doc, _order_requisites(order))


def orders_document(orders: Iterable[Order], *, encoding: str) -> bytes:
    """The document in `encoding` (windows-1251 or utf-8), with its XML declaration. A
    character windows-1251 lacks is written as a character reference."""
    now = timezone.localtime()
    root = ET.Element(
        "КоммерческаяИнформация",
        {
            "ВерсияСхемы": SCHEMA_VERSION,
            "ДатаФормирования": now.replace(microsecond=0, tzinfo=None).isoformat(),
        },
    )
    with translation.override("ru"):
        for order in orders:
            _document(root, order)
    ET.indent(root)
    body = ET.tostring(root, encoding=encoding, xml_declaration=False)
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii")
    return declaration + body
