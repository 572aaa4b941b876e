"""1C's own orders document (mode=file, then mode=import), read into plain values before
anything is booked: a document that is not well-formed, not in its declared encoding, too
large or not a CommerceML orders document is refused as a whole, with a reason.

Read with defusedxml: no entities, no DTD, no external references. What 1C writes back
for an order are its requisites (ЗначенияРеквизитов): the payment document's number and
date ("Номер оплаты по 1С", "Дата оплаты по 1С"; or "Номер платежного документа", "Дата
оплаты") and the shipment ("Отгружен", "Номер отгрузки по 1С", "Дата отгрузки по 1С")."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext_lazy as _

ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "windows-1251": "cp1251", "cp1251": "cp1251"}
MAX_DOCUMENTS = 10_000
MAX_TEXT = 200
# 1C's document numbers are short ("00000017", "п/п 1234"); the booking's key holds one.
MAX_NUMBER = 60
# A paid date before 2000 or years ahead is a typo, not a payment (the ledger refuses it).
EARLIEST_YEAR = 2000

NOT_XML = _("The file is not well-formed XML: %(error)s.")
BAD_ENCODING = _("The file is not in the encoding it declares (%(encoding)s).")
UNKNOWN_ENCODING = _("Unsupported encoding %(encoding)s: use windows-1251 or UTF-8.")
FORBIDDEN_XML = _("The file uses DTDs or entities, which are not accepted.")
NOT_COMMERCEML = _("The file is not a CommerceML document (КоммерческаяИнформация).")
TOO_MANY = _("The file holds more than %(n)s documents.")
BAD_FIELD = _("Document %(document)s: %(field)s “%(value)s” is not valid.")
EMPTY_FILE = _("The file is empty.")
ZIP_NOT_ONE_XML = _("The ZIP archive must hold exactly one XML file.")
ZIP_UNREADABLE = _("The ZIP archive cannot be read.")
ZIP_TOO_LARGE = _("The file in the ZIP archive is larger than %(n)s bytes.")

_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")


class UploadRefused(Exception):
    """The whole upload refused; the message is the reason 1C is given."""


@dataclass(frozen=True)
class Payment1C:
    number: str
    paid_on: dt.date
    amount: Decimal | None  # "Сумма оплаты", when 1C sends it; else what is due


@dataclass(frozen=True)
class Shipment1C:
    number: str
    shipped_on: dt.date | None


@dataclass(frozen=True)
class Document1C:
    ident: str  # our order's number, as we sent it in <Ид>
    number: str
    payment: Payment1C | None
    shipment: Shipment1C | None
    deleted: bool


def _text(element: Element | None) -> str:
    if element is None or element.text is None:
        return ""
    return element.text.strip()


def _bounded(value: str, *, document: str, field: str, limit: int = MAX_TEXT) -> str:
    if len(value) > limit:
        raise UploadRefused(
            str(BAD_FIELD) % {"document": document, "field": field, "value": value[:40] + "…"}
        )
    return value


def _date(value: str, *, document: str, field: str) -> dt.date | None:
    """ "2026-11-25", "2026-11-25T10:00:00" or "25.11.2026"; empty (or 1C's empty date,
    0001-01-01) is none."""
    if not value or value.startswith("0001-01-01"):
        return None
    try:
        if re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", value):
            day = dt.datetime.strptime(value, "%d.%m.%Y").date()
        else:
            day = dt.date.fromisoformat(value[:10])
    except ValueError:
        day = None
    if day is None or not EARLIEST_YEAR <= day.year <= dt.date.today().year + 1:
        shown = value[:40] + ("…" if len(value) > 40 else "")
        raise UploadRefused(str(BAD_FIELD) % {"document": document, "field": field, "value": shown})
    return day


def _amount(value: str, *, document: str) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value.replace(",", ".").replace(" ", "").replace("\xa0", ""))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e12"):
        raise UploadRefused(
            str(BAD_FIELD) % {"document": document, "field": "Сумма оплаты", "value": value}
        )
    return amount


def _first(values: dict[str, str], *names: str) -> str:
    return next((values[name] for name in names if values.get(name)), "")


def _document(element: Element) -> Document1C:
    ident = _bounded(_text(element.find("Ид")), document="?", field="Ид")
    number = _bounded(_text(element.find("Номер")), document=ident or "?", field="Номер")
    name = ident or number or "?"
    # Only the values read below are bounded: a long address among them refuses nothing.
    values = {
        _text(item.find("Наименование")): _text(item.find("Значение"))
        for item in element.iterfind("ЗначенияРеквизитов/ЗначениеРеквизита")
    }
    pay_number = _bounded(
        _first(values, "Номер оплаты по 1С", "Номер платежного документа"),
        document=name,
        field="Номер оплаты",
        limit=MAX_NUMBER,
    )
    pay_date = _first(values, "Дата оплаты по 1С", "Дата оплаты")
    paid_on = _date(pay_date, document=name, field="Дата оплаты")
    payment = None
    if pay_number and paid_on is not None:
        amount = _amount(values.get("Сумма оплаты", ""), document=name)
        payment = Payment1C(number=pay_number, paid_on=paid_on, amount=amount)
    ship_number = _bounded(
        values.get("Номер отгрузки по 1С", ""),
        document=name,
        field="Номер отгрузки",
        limit=MAX_NUMBER,
    )
    shipped_on = _date(
        _first(values, "Дата отгрузки по 1С", "Дата отгрузки"), document=name, field="Дата отгрузки"
    )
    shipped = values.get("Отгружен", "").lower() == "true" or bool(ship_number)
    shipment = Shipment1C(number=ship_number, shipped_on=shipped_on) if shipped else None
    deleted = "true" in (
        values.get("ПометкаУдаления", "").lower(),
        values.get("Отменен", "").lower(),
    )
    return Document1C(
        ident=ident, number=number, payment=payment, shipment=shipment, deleted=deleted
    )


def _decoded(raw: bytes, codecs: list[str]) -> str | None:
    for codec in codecs:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def _root(raw: bytes, *, default_encoding: str) -> Element:
    if not raw.strip():
        raise UploadRefused(str(EMPTY_FILE))
    if raw.startswith(b"\xef\xbb\xbf"):  # UTF-8's byte order mark, which some editors write
        raw, default_encoding = raw[3:], "utf-8"
    declared = _DECLARATION.match(raw)
    encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    codec = ENCODINGS.get(encoding)
    if codec is None:
        raise UploadRefused(str(UNKNOWN_ENCODING) % {"encoding": encoding})
    # Undeclared is UTF-8 by XML's rule; what is not UTF-8 is read in the exchange's
    # encoding (windows-1251 bytes are seldom valid UTF-8, so the two do not mix up).
    codecs = [codec] if declared else [codec, ENCODINGS[default_encoding]]
    text = _decoded(raw, codecs)
    if text is None:
        # Decoded here, strictly: expat would read windows-1251 bytes declared as UTF-8 up to
        # the first bad byte and name a line, not the cause.
        shown = encoding if declared else default_encoding
        raise UploadRefused(str(BAD_ENCODING) % {"encoding": shown})
    if declared:
        # The declaration is dropped, the text is already decoded.
        _declaration, closed, text = text.partition("?>")
        if not closed:
            raise UploadRefused(str(NOT_XML) % {"error": "<?xml …?>"})
    try:
        return fromstring(text.lstrip("\ufeff"))
    except DefusedXmlException:
        raise UploadRefused(str(FORBIDDEN_XML)) from None
    except ParseError as error:
        raise UploadRefused(str(NOT_XML) % {"error": error}) from None


# What zipfile raises for an archive cut short, encrypted, compressed in a way it lacks,
# or corrupt.
_ZIP_BROKEN = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    RuntimeError,
    NotImplementedError,
    EOFError,
    OSError,
    zlib.error,
    ValueError,
)


def _unzipped(raw: bytes, *, max_size: int) -> bytes:
    """The XML file inside a ZIP archive (1C zips its file when told zip=yes), read no
    further than `max_size`: an archive's own word for its size is not trusted."""
    if not raw.startswith(b"PK\x03\x04"):
        return raw
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = [
                m
                for m in archive.infolist()
                if m.filename.lower().endswith(".xml") and not m.is_dir()
            ]
            if len(members) != 1:
                raise UploadRefused(str(ZIP_NOT_ONE_XML))
            with archive.open(members[0]) as member:
                content = member.read(max_size + 1)
    except UploadRefused:
        raise
    except _ZIP_BROKEN:
        raise UploadRefused(str(ZIP_UNREADABLE)) from None
    if len(content) > max_size:
        raise UploadRefused(str(ZIP_TOO_LARGE) % {"n": max_size})
    return content


def upload_read(raw: bytes, *, default_encoding: str, max_size: int) -> list[Document1C]:
    """Every order document of 1C's file (XML, or XML in a ZIP archive), or UploadRefused
    saying why none is taken."""
    root = _root(_unzipped(raw, max_size=max_size), default_encoding=default_encoding)
    if root.tag != "КоммерческаяИнформация":
        raise UploadRefused(str(NOT_COMMERCEML))
    elements = root.findall("Документ") + root.findall("Контейнер/Документ")
    if len(elements) > MAX_DOCUMENTS:
        raise UploadRefused(str(TOO_MANY) % {"n": MAX_DOCUMENTS})
    return [_document(element) for element in elements]
