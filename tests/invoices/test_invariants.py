"""Nothing lost, nothing wrong: a payment is never 0, its sign follows its kind, it is
dated when money can have moved, and a notification that says otherwise books nothing
and is put before the accountants."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from invoices import payments
from invoices.models import InvoiceStatus, IssueKind, Payment, PaymentSource, ReconciliationIssue
from invoices.payments import payment_refund
from invoices.reconcile import transaction_apply
from orders.rules import OrderError
from orders.services.api_keys import api_key_create
from pipeline.payments import payment_register
from tests.invoices.conftest import make_order, notify, pay_fields


def _receipts() -> int:
    return sum(1 for message in mail.outbox if "klient@example.ru" in message.to)


# ----------------------------------------------------------------------------- notifications


@pytest.mark.parametrize("amount", ["-400.00", "0.00", "-1.00"])
def test_a_pay_of_zero_or_less_for_a_paid_invoice_books_nothing(
    client, invoice, cloudpayments, amount
):
    notify(client, "pay", pay_fields(invoice, transaction_id=1))
    receipts = _receipts()
    for fmt in ("form", "json"):
        response = notify(
            client, "pay", pay_fields(invoice, transaction_id=2, Amount=amount), fmt=fmt
        )
        assert response.json() == {"code": 0}
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_amount == Decimal("32000.00")
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal("32000.00")]
    assert _receipts() == receipts
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.transaction_id, issue.amount, issue.invoice) == (
        IssueKind.AMOUNT_NOT_POSITIVE,
        "2",
        Decimal(amount),
        invoice,
    )


def test_a_pay_under_another_clients_account_books_nothing(client, invoice, cloudpayments):
    for fmt in ("form", "json"):
        response = notify(client, "pay", pay_fields(invoice, AccountId="1999-00001"), fmt=fmt)
        assert response.json() == {"code": 0}
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    assert Payment.objects.count() == 0
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.transaction_id, issue.invoice) == (
        IssueKind.ACCOUNT_MISMATCH,
        "1001",
        invoice,
    )
    assert "1999-00001" in issue.details


@pytest.mark.parametrize(
    ("change", "code", "kind"),
    [
        ({"Amount": "-400.00"}, 12, IssueKind.AMOUNT_NOT_POSITIVE),
        ({"Amount": "0.00"}, 12, IssueKind.AMOUNT_NOT_POSITIVE),
        ({"Currency": "USD"}, 12, IssueKind.CURRENCY_MISMATCH),
        ({"AccountId": "1999-00001"}, 11, IssueKind.ACCOUNT_MISMATCH),
    ],
)
def test_check_refuses_what_no_client_of_ours_sends_and_tells_the_accountants(
    client, invoice, cloudpayments, change, code, kind
):
    for _ in range(2):
        assert notify(client, "check", pay_fields(invoice, **change)).json() == {"code": code}
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.found_by, issue.invoice) == (kind, "check", invoice)
    assert "nothing was charged" in issue.details


def test_check_still_answers_12_without_an_issue_for_a_stale_amount(client, invoice, cloudpayments):
    # A client with an old page open: an everyday refusal, not a discrepancy.
    assert notify(client, "check", pay_fields(invoice, Amount="100.00")).json() == {"code": 12}
    assert not ReconciliationIssue.objects.exists()


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
def test_a_refund_notification_of_zero_or_less_gives_nothing_back(
    client, invoice, cloudpayments, amount
):
    notify(client, "pay", pay_fields(invoice, transaction_id=1))
    refund = {"TransactionId": 90, "PaymentTransactionId": 1, "Amount": amount}
    for fmt in ("form", "json"):
        assert notify(client, "refund", refund, fmt=fmt).json() == {"code": 0}
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal("32000.00")]
    assert ReconciliationIssue.objects.get().kind == IssueKind.AMOUNT_NOT_POSITIVE


def test_reconciliation_never_books_a_transaction_of_zero_or_less_or_out_of_time(invoice):
    for tx, amount, paid_at, kind in [
        ("7", Decimal("-400.00"), None, IssueKind.AMOUNT_NOT_POSITIVE),
        (
            "8",
            Decimal("32000.00"),
            dt.datetime(1999, 12, 31, tzinfo=dt.UTC),
            IssueKind.DATE_OUT_OF_RANGE,
        ),
    ]:
        result = transaction_apply(
            transaction_id=tx,
            invoice_number=invoice.number,
            amount=amount,
            currency="RUB",
            paid_at=paid_at,
            found_by="reconciliation",
        )
        assert result.payment is None
        assert result.issue.kind == kind
    assert Payment.objects.count() == 0


# ----------------------------------------------------------------------------- services


@pytest.mark.parametrize(
    ("paid_at", "message"),
    [
        ("0001-01-01T00:00:00+05:00", payments.PAID_AT_TOO_EARLY),
        ("1999-12-31T23:59:59+00:00", payments.PAID_AT_TOO_EARLY),
        ("9999-12-31T23:59:59+00:00", payments.PAID_AT_IN_FUTURE),
    ],
)
def test_a_payment_dated_when_no_money_moved_is_refused(invoice, paid_at, message):
    with pytest.raises(OrderError) as exc:
        payment_register(
            invoice=invoice,
            amount=Decimal("1.00"),
            source=PaymentSource.ACCOUNTING,
            paid_at=dt.datetime.fromisoformat(paid_at),
        )
    assert exc.value.errors == {"paid_at": [str(message)]}
    assert Payment.objects.count() == 0


def test_a_payment_may_be_dated_up_to_a_day_ahead(invoice):
    # An accounting system a few time zones east is already in tomorrow.
    payment, _ = payment_register(
        invoice=invoice,
        amount=Decimal("1.00"),
        source=PaymentSource.ACCOUNTING,
        paid_at=timezone.now() + dt.timedelta(hours=23),
    )
    assert payment.pk is not None


def test_an_amount_beyond_the_column_is_refused_with_its_reason(invoice):
    with pytest.raises(OrderError) as exc:
        payment_register(invoice=invoice, amount=Decimal("1e12"), source="manual")
    assert exc.value.errors == {"amount": [str(payments.AMOUNT_TOO_LARGE)]}


def test_a_refund_dated_before_2000_is_refused(invoice):
    payment, _ = payment_register(invoice=invoice, amount=Decimal("100.00"), source="manual")
    with pytest.raises(OrderError) as exc:
        payment_refund(
            payment=payment,
            amount=Decimal("10.00"),
            source=PaymentSource.MANUAL,
            refunded_at=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        )
    assert exc.value.errors == {"paid_at": [str(payments.PAID_AT_TOO_EARLY)]}


def test_the_accounting_api_refuses_year_one_and_the_order_page_keeps_working(
    client, admin_client, invoice
):
    key = api_key_create(name="1C", scopes=["accounting"])[1]
    response = client.post(
        "/api/v1/payments/",
        data=json.dumps(
            {
                "invoice": invoice.number,
                "amount": "32000.00",
                "paid_at": "0001-01-01T00:00:00+05:00",
                "reference": "п/п 1",
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert "paid_at" in response.json()["errors"]
    assert Payment.objects.count() == 0
    assert admin_client.get(invoice.order.get_absolute_url()).status_code == 200
    assert admin_client.get("/admin/invoices/payment/").status_code == 200


# ----------------------------------------------------------------------------- database


def _raw_payment(invoice, **fields) -> None:
    row = {
        "invoice_id": invoice.pk,
        "order_id": invoice.order_id,
        "amount": Decimal("10.00"),
        "currency": "RUB",
        "source": "manual",
        "external_id": "",
        "paid_at": timezone.now(),
        "reference": "",
        "reason": "",
        "is_overpayment": False,
        "created_at": timezone.now(),
        "refund_of_id": None,
        "reversal_of_id": None,
    } | fields
    columns = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO invoices_payment ({columns}) VALUES ({marks}) RETURNING id",
            list(row.values()),
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": Decimal("0.00")},
        {"amount": Decimal("-400.00")},
        {"paid_at": dt.datetime(1, 1, 2, tzinfo=dt.UTC)},
        {"paid_at": dt.datetime(2100, 1, 1, tzinfo=dt.UTC)},
    ],
)
def test_the_database_refuses_an_impossible_payment_whoever_writes_it(invoice, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_payment(invoice, **fields)


def test_the_database_refuses_a_refund_that_takes_money_in(invoice):
    payment, _ = payment_register(invoice=invoice, amount=Decimal("100.00"), source="manual")
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_payment(invoice, amount=Decimal("10.00"), refund_of_id=payment.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_payment(invoice, amount=Decimal("10.00"), reversal_of_id=payment.pk)


# ----------------------------------------------------------------------------- repair

BEFORE = ("invoices", "0006_payment_paid_at_index")


@pytest.mark.django_db(transaction=True)
def test_the_migration_repairs_rows_written_before_the_constraints_and_pages_open(
    admin_client, catalogue, staff, seller, manager, cloudpayments
):
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    paid, _ = payment_register(invoice=invoice, amount=Decimal("32000.00"), source="manual")
    other = make_order(catalogue=catalogue, manager=manager).invoices.get()

    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([BEFORE])
    # What the old code let in: a Pay of -400 booked on a paid invoice, a year-1 date
    # (stored as 1 BC, unreadable), a zero entry and a refund with a positive amount.
    negative = _raw_payment(
        invoice, amount=Decimal("-400.00"), source="cloudpayments", external_id="2"
    )
    zero = _raw_payment(invoice, amount=Decimal("0.00"))
    year_one = _raw_payment(
        other,
        amount=Decimal("100.00"),
        paid_at="0001-01-01T00:00:00+05:00",
        created_at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC),
    )
    refund = _raw_payment(invoice, amount=Decimal("500.00"), refund_of_id=paid.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE invoices_invoice SET paid_amount = 31100.00, status = 'partially_paid' "
            "WHERE id = %s",
            [invoice.pk],
        )

    executor = MigrationExecutor(connection)
    executor.migrate(leaves)

    assert not Payment.objects.filter(pk__in=[negative, zero]).exists()
    assert Payment.objects.get(pk=refund).amount == Decimal("-500.00")
    moved = Payment.objects.get(pk=year_one)
    assert moved.paid_at == dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    invoice.refresh_from_db()
    other.refresh_from_db()
    assert (invoice.paid_amount, invoice.status) == (Decimal("31500.00"), "partially_paid")
    assert other.paid_amount == Decimal("100.00")
    order.refresh_from_db()
    assert order.paid_amount == Decimal("31500.00")
    issues = {
        (issue.kind, issue.transaction_id)
        for issue in ReconciliationIssue.objects.filter(found_by="data repair")
    }
    assert issues == {
        (IssueKind.AMOUNT_NOT_POSITIVE, f"payment {negative}"),
        (IssueKind.AMOUNT_NOT_POSITIVE, f"payment {zero}"),
        (IssueKind.DATE_OUT_OF_RANGE, f"payment {year_one}"),
        (IssueKind.WRONG_SIGN, f"payment {refund}"),
    }
    repaired = ReconciliationIssue.objects.get(kind=IssueKind.DATE_OUT_OF_RANGE)
    assert "was dated 0001-12-31 19:00:00+00 BC" in repaired.details

    pages = [
        order.get_absolute_url(),
        other.order.get_absolute_url(),
        "/admin/invoices/payment/",
        f"/admin/invoices/payment/{year_one}/change/",
        "/admin/invoices/reconciliationissue/",
        "/invoices/",
        "/invoices/payments/?start=2026-01-01&end=2026-12-31",
    ]
    for page in pages:
        assert admin_client.get(page).status_code == 200, page


@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-01-02"), ("1999-12-31", "2000-01-05")],
)
def test_the_journal_refuses_a_period_when_no_money_moved(admin_client, start, end):
    response = admin_client.get("/invoices/payments/", {"start": start, "end": end})
    assert response.status_code == 400
    assert "Choose a day from 2000 to 2099." in response.content.decode()
