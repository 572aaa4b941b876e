"""The statement pages: refusals that book nothing and say why (in the reader's language),
pinned query counts, the one-click matching's refusals, and hostile uploads."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from invoices.models import Payment
from statements import parser
from statements.models import LineStatus, StatementImport, StatementLine
from tests.statements.conftest import (
    INN_NORTH_WIND,
    INN_STRANGER,
    OUR_ACCOUNT,
    Doc,
    business_invoice,
    statement_bytes,
    statement_text,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(catalogue, manager, seller, staff):
    return business_invoice(
        catalogue=catalogue, manager=manager, inn=INN_NORTH_WIND, name="ООО «Северный ветер»"
    )


def good_text(number: str = "INV-2026-00001") -> str:
    return statement_text(
        [
            Doc("512", "32000.00", f"Оплата по счету {number}"),
            Doc("513", "700.00", "Возврат подотчётных средств", payer_inn=INN_STRANGER),
        ]
    )


def nothing_booked() -> bool:
    return not (
        StatementImport.objects.exists()
        or StatementLine.objects.exists()
        or Payment.objects.exists()
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b"\xd0\x94\xd0\xb0\xd1\x82\xd0\xb0;\xd0\xa1\xd1\x83\xd0\xbc\xd0\xbc\xd0\xb0\n",
            "not a bank statement",
        ),
        (
            good_text().encode("utf-8"),
            "says the file is in Windows-1251, but it is written in UTF-8",
        ),
        (
            good_text().replace("КонецДокумента", "", 1).encode("cp1251"),
            "starts a section while the one begun on line",
        ),
        (good_text().replace("Сумма=700.00", "Сумма=семьсот").encode("cp1251"), "is not an amount"),
    ],
    ids=["csv", "wrong-encoding", "broken-section", "bad-amount"],
)
def test_a_refused_file_books_nothing_and_says_why(client, accountant, invoice, body, expected):
    client.force_login(accountant)
    response = upload(client, body)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was imported." in page and expected in page
    assert nothing_booked()
    invoice.refresh_from_db()
    assert invoice.paid_amount == 0


def test_a_file_too_large_is_refused_before_it_is_read(client, accountant, invoice):
    client.force_login(accountant)
    response = upload(client, b"1CClientBankExchange\r\n" + b"x" * parser.MAX_BYTES)
    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()
    assert nothing_booked()


def test_refusals_and_counts_read_in_russian(client, accountant, invoice):
    client.force_login(accountant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    refused = upload(client, good_text().replace("КонецФайла", "").encode("cp1251"))
    assert "Ничего не загружено. Файл кончается без «КонецФайла»" in refused.content.decode()
    upload(client, good_text(invoice.number).encode("cp1251"))
    page = client.get(f"/invoices/statements/{StatementImport.objects.get().pk}/").content.decode()
    assert "Поступления, сопоставленные со счетами" in page
    assert "Это не оплата счёта" in page
    assert "32\u00a0000,00\u00a0₽" in page


def test_the_pages_read_in_constant_queries(
    client, accountant, invoice, catalogue, manager, django_assert_num_queries
):
    client.force_login(accountant)
    upload(client, good_text(invoice.number).encode("cp1251"))
    record = StatementImport.objects.get()
    # session, user, user's permissions, group permissions, the import, its lines with
    # their invoices and orders, the invoices to suggest; the layout's open-task count,
    # unread notifications and role.
    with django_assert_num_queries(10):
        client.get(f"/invoices/statements/{record.pk}/")
    # session, user, permissions ×2, the imports with who uploaded them; the layout's three.
    with django_assert_num_queries(8):
        client.get("/invoices/statements/")
    more = [
        Doc(
            str(n),
            "32000.00",
            "Оплата за мебель",
            payer_inn=INN_STRANGER,
            payer_account=f"4070281050000000{n:04d}",
        )
        for n in range(600, 612)
    ]
    for n in range(3):
        business_invoice(
            catalogue=catalogue, manager=manager, inn=f"77070838{n}3", name=f"ООО «{n}»"
        )
    upload(client, statement_bytes(more))
    upload(client, statement_bytes(more[:1]), name="again.txt")
    bigger = StatementImport.objects.get(documents=12)
    with django_assert_num_queries(10):
        response = client.get(f"/invoices/statements/{bigger.pk}/")
    assert response.content.decode().count('class="suggestion"') == 12 * 3
    with django_assert_num_queries(8):
        page = client.get("/invoices/statements/").content.decode()
    assert page.count('href="/invoices/statements/') == 3


def test_matching_by_hand_refuses_a_wrong_or_paid_invoice(client, accountant, invoice):
    client.force_login(accountant)
    upload(client, statement_bytes([Doc("9", "500.00", "Оплата", payer_inn=INN_STRANGER)]))
    line = StatementLine.objects.get()
    url = f"/invoices/statements/lines/{line.pk}/match/"
    unknown = client.post(url, {"invoice": "INV-1999-00001"})
    assert unknown.status_code == 400
    assert "There is no invoice INV-1999-00001." in unknown.content.decode()
    assert client.post(url, {"invoice": "x" * 200}).status_code == 400
    assert client.post(url, {"invoice": "INV\x00"}).status_code == 400
    from pipeline.payments import payment_register

    payment_register(invoice=invoice, amount=invoice.amount, source="manual")
    paid = client.post(url, {"invoice": invoice.number})
    assert paid.status_code == 409
    assert f"Invoice {invoice.number} is not awaiting payment." in paid.content.decode()
    line.refresh_from_db()
    assert line.status == LineStatus.UNMATCHED
    assert Payment.objects.count() == 1


def test_money_that_pays_no_invoice_is_put_aside(client, accountant, invoice):
    client.force_login(accountant)
    upload(client, statement_bytes([Doc("9", "500.00", "Возврат займа", payer_inn=INN_STRANGER)]))
    line = StatementLine.objects.get()
    response = client.post(f"/invoices/statements/lines/{line.pk}/dismiss/")
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == LineStatus.IGNORED and line.matched_by == accountant
    assert StatementImport.objects.get().incoming_unmatched == 0
    assert client.post(f"/invoices/statements/lines/{line.pk}/dismiss/").status_code == 409
    assert Payment.objects.count() == 0


def _mutated(lines: list[str], edits: list[tuple[int, str, str]]) -> str:
    for at, how, text in edits:
        i = at % len(lines)
        if how == "drop":
            del lines[i]
        elif how == "insert":
            lines.insert(i, text)
        elif how == "replace":
            lines[i] = text
        else:
            lines[i] = lines[i].split("=", 1)[0] + "=" + text
    return "\r\n".join(lines)


FIELD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "СекцияДокумент=Платежное поручение",
            "КонецДокумента",
            "КонецФайла",
            "СекцияРасчСчет",
            "КонецРасчСчет",
            "Кодировка=DOS",
            "Сумма=-1",
            "Дата=00.00.0000",
            "ПлательщикИНН=0",
        ]
    ),
)
EDITS = st.lists(
    st.tuples(
        st.integers(0, 200), st.sampled_from(["drop", "insert", "replace", "value"]), FIELD_TEXT
    ),
    max_size=4,
)


@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.builds(lambda b: b"1CClientBankExchange\r\n" + b, st.binary(max_size=300)),
        st.tuples(EDITS, st.sampled_from(["cp1251", "utf-8", "cp866"])).map(
            lambda t: _mutated(good_text().split("\r\n"), t[0]).encode(t[1], errors="replace")
        ),
    )
)
def test_hostile_uploads_get_an_answer_and_book_nothing_half(client, accountant, invoice, body):
    client.force_login(accountant)
    imports, payments = StatementImport.objects.count(), Payment.objects.count()
    response = client.post(
        "/invoices/statements/upload/", {"file": SimpleUploadedFile("x.txt", body)}
    )
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert StatementImport.objects.count() == imports
        assert Payment.objects.count() == payments
    else:
        record = StatementImport.objects.latest("id")
        lines = record.lines.count()
        assert record.incoming_matched + record.incoming_unmatched == lines
        assert Payment.objects.count() == payments + record.incoming_matched


def test_a_statement_of_another_account_is_refused(client, accountant, invoice):
    client.force_login(accountant)
    other = good_text(invoice.number).replace(OUR_ACCOUNT, "40702810000000099999")
    response = upload(client, other.encode("cp1251"))
    assert response.status_code == 400
    assert (
        "The statement is for account 40702810000000099999, while the company's account in "
        f"the seller's requisites is {OUR_ACCOUNT}; nothing was imported."
    ) in html.unescape(response.content.decode())
    assert nothing_booked()


@given(number=st.text(max_size=40))
def test_any_invoice_typed_for_a_payment_gets_an_answer(client, accountant, invoice, number):
    client.force_login(accountant)
    if not StatementLine.objects.exists():
        upload(client, statement_bytes([Doc("9", "500.00", "Оплата", payer_inn=INN_STRANGER)]))
    line = StatementLine.objects.get()
    response = client.post(f"/invoices/statements/lines/{line.pk}/match/", {"invoice": number})
    assert response.status_code in (302, 400, 409)
    line.refresh_from_db()
    if line.status == LineStatus.UNMATCHED:
        assert Payment.objects.count() == 0
    else:  # only the invoice's own number books the payment, and once
        assert number.strip().upper() == invoice.number
        assert Payment.objects.count() == 1


def test_the_receivables_page_leads_to_the_statements(client, accountant):
    client.force_login(accountant)
    page = client.get("/invoices/").content.decode()
    assert 'href="/invoices/statements/" id="bank-statements"' in page
