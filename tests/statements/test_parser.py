"""Reading the bank's 1CClientBankExchange export: a real-shaped file in windows-1251 (and
the DOS and UTF-8 code pages some banks use), and the files it refuses, each with a
message naming the line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from statements import parser
from statements.parser import StatementError, parse
from tests.statements.conftest import (
    INN_NORTH_WIND,
    OUR_ACCOUNT,
    OUR_INN,
    Doc,
    statement_bytes,
    statement_text,
)


def docs() -> list[Doc]:
    return [
        Doc("512", "32000.00", "Оплата по счету № INV-2026-00016 от 25.11.2026. В т.ч. НДС"),
        Doc(
            "88",
            "12400.00",
            "Оплата за фанеру по счету 77",
            payer="ООО «Мебельная мастерская»",
            payer_inn=OUR_INN,
            payer_account=OUR_ACCOUNT,
            recipient="ООО «Лесоторг»",
            recipient_inn=INN_NORTH_WIND,
            recipient_account="40702810100000000077",
            outgoing=True,
        ),
    ]


@pytest.mark.parametrize("encoding", ["cp1251", "cp866", "utf-8"])
def test_it_reads_a_statement_in_each_code_page_it_names(encoding):
    statement = parse(statement_bytes(docs(), encoding=encoding))
    assert statement.version == "1.03"
    assert statement.accounts == (OUR_ACCOUNT,)
    assert statement.start == statement.end == timezone.localdate()
    incoming, outgoing = statement.documents
    assert incoming.kind == "Платежное поручение"
    assert incoming.number == "512"
    assert incoming.amount == Decimal("32000.00")
    assert incoming.payer_name in ("ООО «Северный ветер»", 'ООО "Северный ветер"')
    assert incoming.payer_inn == INN_NORTH_WIND
    assert incoming.recipient_account == OUR_ACCOUNT
    assert incoming.received_on == timezone.localdate() and incoming.debited_on is None
    assert incoming.purpose.startswith("Оплата по счету № INV-2026-00016")
    assert outgoing.payer_account == OUR_ACCOUNT and outgoing.debited_on is not None
    assert outgoing.received_on is None


def test_a_comma_amount_a_zero_inn_and_numbered_purpose_lines_are_read():
    text = statement_text([Doc("7", "1500,5", "")]).replace(
        "ПлательщикИНН=" + INN_NORTH_WIND, "ПлательщикИНН=0"
    )
    text = text.replace(
        "НазначениеПлатежа=", "НазначениеПлатежа1=Оплата по сч. 16\r\nНазначениеПлатежа2=без НДС"
    )
    (document,) = parse(text.encode("cp1251")).documents
    assert document.amount == Decimal("1500.50")
    assert document.payer_inn == ""
    assert document.purpose == "Оплата по сч. 16 без НДС"


def refusal(body: bytes) -> str:
    with pytest.raises(StatementError) as exc:
        parse(body)
    return exc.value.message


def good() -> str:
    return statement_text(docs())


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.split("\r\n"), 1) if line.startswith(start))


def test_it_refuses_what_is_not_a_statement():
    assert refusal(b"") == str(parser.EMPTY)
    assert refusal(b"Date,Amount\n01.12.2026,100\n") == str(parser.NOT_A_STATEMENT)
    assert refusal(b"%PDF-1.7\n") == str(parser.NOT_A_STATEMENT)
    assert refusal("1CClientBankExchange\r\nВерсияФормата=1.03\r\n".encode("cp1251")) == str(
        parser.NO_ENCODING
    )


def test_it_refuses_a_file_written_in_another_code_page_than_it_names():
    text = good()
    message = refusal(text.encode("utf-8"))  # says Windows, written in UTF-8
    assert message == str(parser.ENCODING_MISMATCH) % {
        "line": 3,
        "stated": "Windows-1251",
        "actual": "UTF-8",
    }
    assert "“KOI8”" in refusal(text.replace("Кодировка=Windows", "Кодировка=KOI8").encode("cp1251"))


def test_it_names_the_line_that_is_not_valid_text():
    body = statement_bytes(docs(), encoding="utf-8")
    at = body.index("Оплата за фанеру".encode())
    broken = body[:at] + b"\xff\xfe" + body[at:]
    line = body.count(b"\n", 0, at) + 1
    assert refusal(broken) == str(parser.UNDECODABLE) % {"line": line, "encoding": "UTF-8"}


def test_it_refuses_a_broken_section_naming_its_lines():
    text = good()
    second = line_of(text, "СекцияДокумент")
    unclosed = text.replace("КонецДокумента\r\n", "", 1)
    next_start = [
        i for i, line in enumerate(unclosed.split("\r\n"), 1) if line.startswith("СекцияДокумент")
    ][1]
    assert refusal(unclosed.encode("cp1251")) == str(parser.SECTION_NOT_CLOSED) % {
        "line": next_start,
        "start": second,
    }
    cut = text[: text.index("КонецДокумента")]
    assert refusal(cut.encode("cp1251")) == str(parser.SECTION_CUT) % {"start": second}
    assert refusal(text.replace("КонецФайла", "").encode("cp1251")) == str(parser.NO_END)
    stray = text.replace("КонецРасчСчет", "КонецРасчСчет\r\nКонецДокумента", 1)
    assert "closes a section that was not opened" in refusal(stray.encode("cp1251"))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("Сумма=32000.00", "Сумма=32 000,00 руб.", "is not an amount"),
        ("Сумма=32000.00", "Сумма=0.00", "must be more than 0"),
        ("Сумма=32000.00", "Сумма=1000000000000.00", "too large"),
        ("Номер=512", "Номер=", "has no “Номер”"),
        ("Сумма=32000.00\r\n", "", "has no “Сумма”"),
        ("ПлательщикИНН=7707083893", "ПлательщикИНН=77070838", "is not 10 or 12 digits"),
        ("ПлательщикСчет=40702810338000012345", "ПлательщикСчет=счёт", "is not an account"),
        ("Номер=512", "Номер=512\r\nНомер=513", "repeats “Номер”"),
        ("ВидОплаты=01", "просто строка", "neither “Name=value”"),
    ],
)
def test_it_refuses_a_bad_field_naming_its_line(old, new, expected):
    text = good().replace(old, new, 1)
    message = refusal(text.encode("cp1251"))
    assert expected in message
    assert message.startswith(("Line ", "The document on line "))


def test_it_refuses_impossible_dates():
    today = f"{timezone.localdate():%d.%m.%Y}"
    text = good().replace(f"Дата={today}", "Дата=31.02.2026", 1)
    assert "“31.02.2026” is not a date" in refusal(text.encode("cp1251"))
    text = good().replace(f"Дата={today}", "Дата=01.01.1999", 1)
    assert "not between 2000 and 2099" in refusal(text.encode("cp1251"))


def test_it_is_bounded():
    assert refusal(b"1" * (parser.MAX_BYTES + 1)) == str(parser.TOO_LARGE) % {"limit": 5}
    long_purpose = good().replace("Оплата по счету", "х" * parser.MAX_LINE_CHARS, 1)
    assert "is longer than 2000 characters" in refusal(long_purpose.encode("cp1251"))
    nul = good().replace("Оплата по счету", "Оплата\x00", 1)
    assert "NUL" in refusal(nul.encode("cp1251"))


def test_a_document_kind_other_than_a_payment_order_is_read_too():
    text = good().replace(
        "СекцияДокумент=Платежное поручение", "СекцияДокумент=Банковский ордер", 1
    )
    assert parse(text.encode("cp1251")).documents[0].kind == "Банковский ордер"
    assert dt.date(2000, 1, 1) == parser.FIRST_DAY


@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(
            lambda t: ("1CClientBankExchange\r\nКодировка=Windows\r\n" + t).encode(
                "cp1251", errors="replace"
            )
        ),
    )
)
def test_any_body_is_read_or_refused_with_a_message(body):
    try:
        statement = parse(body)
    except StatementError as exc:
        assert exc.message
    else:
        assert all(document.amount > 0 for document in statement.documents)
