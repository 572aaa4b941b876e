"""The bank's statement in the 1CClientBankExchange text format (the "обмен с системами
клиент-банка" standard every Russian bank exports), read into typed records.

The file is lines of `Name=value`: a header (ВерсияФормата, Кодировка, Отправитель,
Получатель, ДатаНачала, ДатаКонца, РасчСчет), account sections (СекцияРасчСчет …
КонецРасчСчет), documents (СекцияДокумент=Платежное поручение … КонецДокумента) and the
end (КонецФайла). Pure: no database. Bounded: the body's size, a line's length, the number
of documents, every field. Anything else is refused with a message naming the line."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

MAGIC = "1CClientBankExchange"
MAX_BYTES = 5 * 1024 * 1024
MAX_LINE_CHARS = 2000
MAX_DOCUMENTS = 5000
MAX_NUMBER_CHARS = 30
MAX_NAME_CHARS = 300
MAX_PURPOSE_CHARS = 1000
# Payment.amount is numeric(14, 2).
AMOUNT_LIMIT = Decimal("1000000000000")
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)

# Кодировка= names the file's code page: Windows (1251) and DOS (866) by the standard;
# some banks write UTF-8 today.
ENCODINGS = {"windows": "cp1251", "dos": "cp866", "utf-8": "utf-8", "utf8": "utf-8"}
ENCODING_NAMES = {"cp1251": "Windows-1251", "cp866": "DOS (866)", "utf-8": "UTF-8"}

EMPTY = _("The statement file is empty.")
TOO_LARGE = _("The file is larger than %(limit)s MB; split the statement by period.")
NOT_A_STATEMENT = _(
    "This is not a bank statement in the 1CClientBankExchange format: its first line must "
    "be “1CClientBankExchange”. Export the statement from the bank for 1C."
)
NO_ENCODING = _("The file does not say its encoding (Кодировка=Windows, DOS or UTF-8).")
UNKNOWN_ENCODING = _("Line %(line)s: unknown encoding “%(value)s”; expected Windows, DOS or UTF-8.")
ENCODING_MISMATCH = _(
    "Line %(line)s says the file is in %(stated)s, but it is written in %(actual)s. "
    "Export it again without converting it."
)
UNDECODABLE = _("Line %(line)s is not %(encoding)s text.")
NUL_IN_LINE = _("Line %(line)s holds a NUL character.")
LINE_TOO_LONG = _("Line %(line)s is longer than %(limit)s characters.")
NOT_A_FIELD = _("Line %(line)s is neither “Name=value” nor a section mark: “%(text)s”.")
SECTION_NOT_CLOSED = _(
    "Line %(line)s starts a section while the one begun on line %(start)s is not closed."
)
END_WITHOUT_START = _("Line %(line)s closes a section that was not opened.")
NO_END = _("The file ends without “КонецФайла”: it may have been cut short.")
SECTION_CUT = _("The section begun on line %(start)s is not closed before the file ends.")
FIELD_REPEATED = _("Line %(line)s repeats “%(name)s”.")
FIELD_MISSING = _("The document on line %(line)s has no “%(name)s”.")
BAD_DATE = _("Line %(line)s: “%(value)s” is not a date like 25.11.2026.")
DATE_OUT_OF_RANGE = _("Line %(line)s: the date %(value)s is not between 2000 and 2099.")
BAD_AMOUNT = _("Line %(line)s: “%(value)s” is not an amount like 12500.00.")
AMOUNT_NOT_POSITIVE = _("Line %(line)s: the amount must be more than 0.")
AMOUNT_TOO_LARGE = _("Line %(line)s: the amount is too large.")
BAD_INN = _("Line %(line)s: the INN “%(value)s” is not 10 or 12 digits.")
BAD_ACCOUNT = _("Line %(line)s: the account “%(value)s” is not an account number.")
FIELD_TOO_LONG = _("Line %(line)s: “%(name)s” is longer than %(limit)s characters.")
TOO_MANY_DOCUMENTS = _("The file holds more than %(limit)s documents; split it by period.")

DATE_SHAPE = re.compile(r"\d{2}\.\d{2}\.\d{4}")
AMOUNT_SHAPE = re.compile(r"\d{1,13}(?:[.,]\d{1,2})?")
ACCOUNT_SHAPE = re.compile(r"[0-9A-Z]{5,34}")


class StatementError(Exception):
    """A statement refused as a whole; `message` names the line when there is one."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _refuse(message, /, **params) -> StatementError:
    return StatementError(str(message) % params if params else str(message))


@dataclass(frozen=True)
class Document:
    """One СекцияДокумент: a payment order (or another kind of bank document)."""

    kind: str
    number: str
    date: dt.date
    amount: Decimal
    payer_account: str
    payer_name: str
    payer_inn: str
    payer_kpp: str
    recipient_account: str
    recipient_name: str
    recipient_inn: str
    received_on: dt.date | None
    debited_on: dt.date | None
    purpose: str
    line: int


@dataclass(frozen=True)
class Statement:
    version: str
    encoding: str
    sender: str
    receiver: str
    start: dt.date | None
    end: dt.date | None
    accounts: tuple[str, ...]
    documents: tuple[Document, ...]


def encoding_of(body: bytes) -> str:
    """The code page the file is written in, which must be the one its Кодировка= line
    names. The line's name is Cyrillic, so where it is found tells the real encoding."""
    for codec in ("cp1251", "cp866", "utf-8"):
        mark = b"\n" + "Кодировка=".encode(codec)
        at = body.find(mark)
        if at < 0:
            continue
        line = body.count(b"\n", 0, at) + 2
        value_end = body.find(b"\n", at + 1)
        raw = body[at + len(mark) : value_end if value_end >= 0 else len(body)]
        value = raw.decode("ascii", errors="replace").strip()[:20]
        stated = ENCODINGS.get(value.lower())
        if stated is None:
            raise _refuse(UNKNOWN_ENCODING, line=line, value=value)
        if stated != codec:
            raise _refuse(
                ENCODING_MISMATCH,
                line=line,
                stated=ENCODING_NAMES[stated],
                actual=ENCODING_NAMES[codec],
            )
        return codec
    raise _refuse(NO_ENCODING)


def decode(body: bytes) -> list[str]:
    """The file's lines as text, after the checks that need no parsing."""
    if len(body) > MAX_BYTES:
        raise _refuse(TOO_LARGE, limit=MAX_BYTES // (1024 * 1024))
    body = body.removeprefix(codecs.BOM_UTF8)
    if not body.strip():
        raise _refuse(EMPTY)
    if body.lstrip().split(b"\n", 1)[0].strip() != MAGIC.encode():
        raise _refuse(NOT_A_STATEMENT)
    codec = encoding_of(body)
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise _refuse(UNDECODABLE, line=line, encoding=ENCODING_NAMES[codec]) from None
    return [line.rstrip("\r") for line in text.split("\n")]


def parse(body: bytes) -> Statement:
    """Read a whole statement, or refuse it with the first problem found."""
    header: dict[str, tuple[str, int]] = {}
    accounts: list[str] = []
    documents: list[Document] = []
    section: str | None = None  # "account" or the document's kind
    fields: dict[str, tuple[str, int]] = {}
    started = 0
    ended = False
    for number, raw in enumerate(decode(body), start=1):
        line = raw.strip()
        if not line or number == 1 or line == MAGIC:
            continue
        if "\x00" in line:
            raise _refuse(NUL_IN_LINE, line=number)
        if len(line) > MAX_LINE_CHARS:
            raise _refuse(LINE_TOO_LONG, line=number, limit=MAX_LINE_CHARS)
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if line == "СекцияРасчСчет" or (name == "СекцияДокумент" and sep):
            if section is not None:
                raise _refuse(SECTION_NOT_CLOSED, line=number, start=started)
            section = "account" if line == "СекцияРасчСчет" else value[:100]
            fields, started = {}, number
        elif line in ("КонецРасчСчет", "КонецДокумента"):
            if section is None or (section == "account") != (line == "КонецРасчСчет"):
                raise _refuse(END_WITHOUT_START, line=number)
            if section == "account":
                if "РасчСчет" in fields:
                    accounts.append(_account(*fields["РасчСчет"]))
            else:
                if len(documents) >= MAX_DOCUMENTS:
                    raise _refuse(TOO_MANY_DOCUMENTS, limit=MAX_DOCUMENTS)
                documents.append(_document(section, fields, started))
            section = None
        elif line == "КонецФайла":
            if section is not None:
                raise _refuse(SECTION_CUT, start=started)
            ended = True
            break
        elif sep and name:
            target = header if section is None else fields
            if name in target and section is not None:
                raise _refuse(FIELD_REPEATED, line=number, name=name[:50])
            target.setdefault(name, (value, number))
        else:
            raise _refuse(NOT_A_FIELD, line=number, text=line[:60])
    if section is not None:
        raise _refuse(SECTION_CUT, start=started)
    if not ended:
        raise _refuse(NO_END)
    return _statement(header, accounts, documents)


def _statement(
    header: dict[str, tuple[str, int]], accounts: list[str], documents: list[Document]
) -> Statement:
    def text(name: str) -> str:
        return header.get(name, ("", 0))[0][:100]

    def day(name: str) -> dt.date | None:
        return _date(*header[name]) if header.get(name, ("", 0))[0] else None

    if "РасчСчет" in header:
        accounts.insert(0, _account(*header["РасчСчет"]))
    return Statement(
        version=text("ВерсияФормата"),
        encoding=text("Кодировка"),
        sender=text("Отправитель"),
        receiver=text("Получатель"),
        start=day("ДатаНачала"),
        end=day("ДатаКонца"),
        accounts=tuple(dict.fromkeys(a for a in accounts if a)),
        documents=tuple(documents),
    )


def _document(kind: str, fields: dict[str, tuple[str, int]], start: int) -> Document:
    def required(name: str) -> tuple[str, int]:
        value, line = fields.get(name, ("", start))
        if not value:
            raise _refuse(FIELD_MISSING, line=start, name=name)
        return value, line

    def text(*names: str, limit: int = MAX_NAME_CHARS) -> str:
        for name in names:
            value, line = fields.get(name, ("", start))
            if value:
                if len(value) > limit:
                    raise _refuse(FIELD_TOO_LONG, line=line, name=name, limit=limit)
                return value
        return ""

    def optional_date(name: str) -> dt.date | None:
        value, line = fields.get(name, ("", start))
        return _date(value, line) if value else None

    number, number_line = required("Номер")
    if len(number) > MAX_NUMBER_CHARS:
        raise _refuse(FIELD_TOO_LONG, line=number_line, name="Номер", limit=MAX_NUMBER_CHARS)
    return Document(
        kind=kind,
        number=number,
        date=_date(*required("Дата")),
        amount=_amount(*required("Сумма")),
        payer_account=_account(*fields.get("ПлательщикСчет", ("", start))),
        payer_name=text("Плательщик1", "Плательщик"),
        payer_inn=_inn(*fields.get("ПлательщикИНН", ("", start))),
        payer_kpp=text("ПлательщикКПП", limit=9),
        recipient_account=_account(*fields.get("ПолучательСчет", ("", start))),
        recipient_name=text("Получатель1", "Получатель"),
        recipient_inn=_inn(*fields.get("ПолучательИНН", ("", start))),
        received_on=optional_date("ДатаПоступило"),
        debited_on=optional_date("ДатаСписано"),
        purpose=text("НазначениеПлатежа", limit=MAX_PURPOSE_CHARS)
        or " ".join(text(f"НазначениеПлатежа{i}") for i in range(1, 7)).strip(),
        line=start,
    )


def _date(value: str, line: int) -> dt.date:
    if not DATE_SHAPE.fullmatch(value):
        raise _refuse(BAD_DATE, line=line, value=value[:30])
    try:
        day = dt.datetime.strptime(value, "%d.%m.%Y").date()
    except ValueError:
        raise _refuse(BAD_DATE, line=line, value=value[:30]) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise _refuse(DATE_OUT_OF_RANGE, line=line, value=value)
    return day


def _amount(value: str, line: int) -> Decimal:
    compact = value.replace(" ", "").replace("\u00a0", "")
    if not AMOUNT_SHAPE.fullmatch(compact):
        raise _refuse(BAD_AMOUNT, line=line, value=value[:30])
    try:
        amount = Decimal(compact.replace(",", ".")).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise _refuse(BAD_AMOUNT, line=line, value=value[:30]) from None
    if amount <= 0:
        raise _refuse(AMOUNT_NOT_POSITIVE, line=line)
    if amount >= AMOUNT_LIMIT:
        raise _refuse(AMOUNT_TOO_LARGE, line=line)
    return amount


def _inn(value: str, line: int) -> str:
    # A private person's payment often carries no INN, written by some banks as "0".
    if value in ("", "0", "000000000000"):
        return ""
    if not (value.isascii() and value.isdigit() and len(value) in (10, 12)):
        raise _refuse(BAD_INN, line=line, value=value[:30])
    return value


def _account(value: str, line: int) -> str:
    if value and not ACCOUNT_SHAPE.fullmatch(value):
        raise _refuse(BAD_ACCOUNT, line=line, value=value[:40])
    return value
