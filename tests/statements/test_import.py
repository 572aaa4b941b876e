"""The accountant uploads the bank's statement: incoming payments that name an invoice or
come from its client with the amount due are recorded and move the orders; the rest waits
to be matched in one click; outgoing money is counted and left alone; the same statement
again records nothing twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from invoices.models import InvoiceStatus, Payment, PaymentSource
from orders.models import Customer, Stage
from statements import services
from statements.models import LineStatus, StatementImport, StatementLine
from tests.factories import refreshed
from tests.invoices.conftest import make_order
from tests.statements.conftest import (
    INN_NORTH_WIND,
    INN_STRANGER,
    INN_STUDIO,
    OUR_ACCOUNT,
    Doc,
    bank_statement,
    statement_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def counts(record: StatementImport) -> dict[str, int]:
    record.refresh_from_db()
    return {
        "matched": record.incoming_matched,
        "unmatched": record.incoming_unmatched,
        "by_hand": record.matched_by_hand,
        "outgoing": record.outgoing_ignored,
        "unrelated": record.unrelated_ignored,
        "duplicates": record.duplicates,
    }


def test_a_statement_imports_as_described_twice_without_doubles(client, accountant, invoices):
    body = bank_statement(invoices)
    client.force_login(accountant)

    response = upload(client, body)

    record = StatementImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/invoices/statements/{record.pk}/"
    assert counts(record) == {
        "matched": 2,
        "unmatched": 1,
        "by_hand": 0,
        "outgoing": 1,
        "unrelated": 0,
        "duplicates": 0,
    }
    assert record.uploaded_by == accountant and record.account == OUR_ACCOUNT
    for name in ("north", "studio"):
        invoice = invoices[name]
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert refreshed(invoice.order).stage == Stage.PRODUCTION
    north_payment = Payment.objects.get(invoice=invoices["north"])
    today = f"{timezone.localdate():%d.%m.%Y}"
    assert north_payment.source == PaymentSource.BANK_STATEMENT
    assert north_payment.external_id == f"512|{today}|{INN_NORTH_WIND}"
    assert north_payment.reference == f"№ 512 {today} ООО «Северный ветер»"
    assert timezone.localtime(north_payment.paid_at).date() == timezone.localdate()
    assert north_payment.recorded_by == accountant
    lines = {line.number: line for line in StatementLine.objects.all()}
    assert lines["512"].note == "by the invoice number in the purpose"
    assert lines["1044"].note == "by the payer's INN and the amount due"
    assert lines["77"].status == LineStatus.UNMATCHED and lines["77"].payment is None
    assert "88" not in lines  # money out is counted, not kept

    again = upload(client, body, name="kl_to_1c (1).txt")

    assert again.status_code == 302
    second = StatementImport.objects.latest("id")
    assert counts(second) == {
        "matched": 0,
        "unmatched": 0,
        "by_hand": 0,
        "outgoing": 1,
        "unrelated": 0,
        "duplicates": 3,
    }
    assert Payment.objects.count() == 2
    assert StatementLine.objects.count() == 3

    # The one nobody could match: suggested on the statement's page, matched in one click.
    kitchen = invoices["kitchen"]
    page = client.get(f"/invoices/statements/{record.pk}/").content.decode()
    assert f'data-invoice="{kitchen.number}"' in page
    line = lines["77"]
    clicked = client.post(
        f"/invoices/statements/lines/{line.pk}/match/", {"invoice": kitchen.number}
    )
    assert clicked.status_code == 302
    kitchen.refresh_from_db()
    assert kitchen.status == InvoiceStatus.PAID
    assert refreshed(kitchen.order).stage == Stage.PRODUCTION
    line.refresh_from_db()
    assert line.status == LineStatus.MATCHED_BY_HAND and line.matched_by == accountant
    assert line.payment.external_id == f"77|{today}|{INN_STRANGER}"
    assert counts(record)["unmatched"] == 0 and counts(record)["by_hand"] == 1

    twice = client.post(f"/invoices/statements/lines/{line.pk}/match/", {"invoice": kitchen.number})
    assert twice.status_code == 409
    assert str(services.LINE_CLOSED) in twice.content.decode()
    assert upload(client, body).status_code == 302
    assert counts(StatementImport.objects.latest("id"))["duplicates"] == 3
    assert Payment.objects.count() == 3


def test_short_invoice_numbers_in_the_purpose_are_understood(client, accountant, invoices):
    studio = invoices["studio"]
    seq = int(studio.number.rsplit("-", 1)[1])
    body = statement_bytes(
        [
            Doc(
                "9",
                "10000.00",
                f"Предоплата по сч.№{seq} за мебель, НДС не облагается",
                payer_inn=INN_STRANGER,
            )
        ]
    )
    client.force_login(accountant)
    upload(client, body)
    studio.refresh_from_db()
    assert studio.status == InvoiceStatus.PARTIALLY_PAID
    assert studio.paid_amount == Decimal("10000.00")


def test_an_inn_with_two_invoices_of_that_amount_is_left_to_choose(
    client, accountant, invoices, catalogue, manager
):
    order = make_order(catalogue=catalogue, manager=manager, email="second@example.ru")
    order.customer = Customer.objects.get(inn=INN_STUDIO)
    order.save(update_fields=["customer"])
    body = statement_bytes([Doc("5", "32000.00", "Оплата за мебель", payer_inn=INN_STUDIO)])
    client.force_login(accountant)
    upload(client, body)
    line = StatementLine.objects.get()
    assert line.status == LineStatus.UNMATCHED
    assert line.note == "several open invoices fit; choose one"
    page = client.get(f"/invoices/statements/{line.statement_id}/").content.decode()
    assert invoices["studio"].number in page and order.invoices.get().number in page


def test_a_payment_the_ledger_refuses_is_left_unmatched_with_the_reason(
    client, accountant, invoices
):
    north = invoices["north"]
    body = statement_bytes(
        [
            Doc(
                "6",
                "100.00",
                f"Оплата по счету {north.number}",
                day=timezone.localdate().replace(year=2099),
            )
        ]
    )
    client.force_login(accountant)
    upload(client, body)
    line = StatementLine.objects.get()
    assert line.status == LineStatus.UNMATCHED
    assert line.note == "The payment date cannot be in the future."
    assert Payment.objects.count() == 0


def test_a_failure_half_way_books_nothing(client, accountant, invoices, monkeypatch):
    calls = []
    real = services.payment_register

    def fail_on_second(**fields):
        calls.append(fields)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(**fields)

    monkeypatch.setattr(services, "payment_register", fail_on_second)
    client.force_login(accountant)
    client.raise_request_exception = False
    response = upload(client, bank_statement(invoices))
    assert response.status_code == 500
    assert len(calls) == 2
    assert Payment.objects.count() == 0
    assert StatementImport.objects.count() == 0 and StatementLine.objects.count() == 0
    invoices["north"].refresh_from_db()
    assert invoices["north"].status == InvoiceStatus.ISSUED


def test_it_is_for_people_who_register_payments(client, production_worker, outsider, invoices):
    for person in (production_worker, outsider):
        client.force_login(person)
        assert client.get("/invoices/statements/").status_code == 403
        assert upload(client, bank_statement(invoices)).status_code == 403
    assert StatementImport.objects.count() == 0
