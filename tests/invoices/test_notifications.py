"""CloudPayments notifications replayed as CloudPayments sends them (form and JSON,
Cyrillic in Description and Data), each twice."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from invoices.models import (
    Invoice,
    InvoiceStatus,
    IssueKind,
    Payment,
    ProviderEvent,
    ReconciliationIssue,
)
from orders.models import PaymentScheme, Stage, TimelineEvent
from pipeline.orders import order_cancel
from tests.invoices.conftest import make_order, notify, pay_fields, sign

FORMATS = ["form", "json"]


def _reload(invoice: Invoice) -> Invoice:
    invoice.refresh_from_db()
    invoice.order.refresh_from_db()
    return invoice


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_accepts_the_exact_amount_of_an_open_invoice(client, invoice, cloudpayments, fmt):
    for _ in range(2):
        response = notify(client, "check", pay_fields(invoice), fmt=fmt)
        assert response.json() == {"code": 0}
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"InvoiceId": "INV-1999-99999"}, 10),
        ({"AccountId": "1999-00001"}, 11),
        ({"Amount": "31999.99"}, 12),
        ({"Amount": "32000.01"}, 12),
        ({"Currency": "USD"}, 12),
        ({"TestMode": "1"}, 13),
    ],
)
def test_check_refuses_with_cloudpayments_codes(client, invoice, cloudpayments, change, code):
    for fmt in FORMATS:
        response = notify(client, "check", pay_fields(invoice, **change), fmt=fmt)
        assert response.json() == {"code": code}


def test_check_refuses_a_paid_or_void_invoice_with_13(
    client, invoice, cloudpayments, manager, catalogue
):
    notify(client, "pay", pay_fields(invoice))
    assert notify(client, "check", pay_fields(invoice, Amount="32000.00")).json() == {"code": 13}
    other = make_order(catalogue=catalogue, manager=manager).invoices.get()
    order_cancel(order=other.order, actor=manager, reason="Клиент передумал")
    assert notify(client, "check", pay_fields(other)).json() == {"code": 13}


def test_check_answers_20_for_an_expired_invoice(client, invoice, cloudpayments, time_machine):
    time_machine.move_to(invoice.expires_at + dt.timedelta(minutes=1))
    assert notify(client, "check", pay_fields(invoice)).json() == {"code": 20}


@pytest.mark.parametrize("fmt", FORMATS)
def test_pay_records_one_payment_per_transaction_and_moves_the_order(
    client, invoice, cloudpayments, fmt
):
    for _ in range(2):
        response = notify(client, "pay", pay_fields(invoice), fmt=fmt)
        assert response.json() == {"code": 0}
    invoice = _reload(invoice)
    payment = Payment.objects.get()
    assert payment.amount == Decimal("32000.00")
    assert payment.external_id == "1001"
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.order.stage == Stage.PRODUCTION
    assert invoice.order.paid_amount == Decimal("32000.00")
    assert invoice.order.balance == Decimal("0.00")
    moves = TimelineEvent.objects.filter(order=invoice.order, to_stage=Stage.PRODUCTION)
    assert moves.count() == 1
    events = ProviderEvent.objects.filter(kind="pay")
    assert events.count() == 2
    assert [e.outcome for e in events.order_by("id")] == ["recorded", "already recorded"]
    # Stored raw, Cyrillic intact.
    assert "оплата стола" in events.first().body or "%D0%BE" in events.first().body


def test_a_json_pay_keeps_cyrillic_description_and_data_raw(client, invoice, cloudpayments):
    fields = pay_fields(invoice, Data={"комментарий": "доставка к подъезду"})
    notify(client, "pay", fields, fmt="json")
    stored = json.loads(ProviderEvent.objects.get().body)
    assert stored["Description"] == "Оплата счёта " + invoice.number
    assert stored["Data"] == {"комментарий": "доставка к подъезду"}


def test_a_partial_prepayment_moves_the_order_when_it_is_reached(
    client, catalogue, staff, seller, manager, cloudpayments
):
    order = make_order(
        catalogue=catalogue,
        manager=manager,
        scheme=PaymentScheme.PARTIAL_PREPAYMENT,
        prepayment=Decimal("10000.00"),
    )
    invoice = order.invoices.get()
    assert invoice.amount == Decimal("10000.00")
    notify(client, "pay", pay_fields(invoice))
    order.refresh_from_db()
    assert order.stage == Stage.PRODUCTION
    assert order.balance == Decimal("22000.00")


def test_a_second_transaction_on_a_paid_invoice_is_an_overpayment(client, invoice, cloudpayments):
    notify(client, "pay", pay_fields(invoice, transaction_id=1))
    for _ in range(2):
        response = notify(
            client, "pay", pay_fields(invoice, transaction_id=2, Amount="32000.00"), fmt="json"
        )
        assert response.json() == {"code": 0}
    invoice = _reload(invoice)
    assert Payment.objects.count() == 2
    assert Payment.objects.get(external_id="2").is_overpayment is True
    assert invoice.overpaid is True
    assert invoice.order.paid_amount == Decimal("64000.00")
    assert invoice.order.balance == Decimal("-32000.00")


def test_refund_reduces_paid_and_reopens_the_balance(client, invoice, cloudpayments):
    notify(client, "pay", pay_fields(invoice, transaction_id=1))
    refund = {
        "TransactionId": 77,
        "PaymentTransactionId": 1,
        "Amount": "2000.00",
        "DateTime": "2026-11-27 09:00:00",
        "OperationType": "Refund",
        "InvoiceId": invoice.number,
        "AccountId": invoice.order.number,
    }
    for fmt in FORMATS:
        assert notify(client, "refund", refund, fmt=fmt).json() == {"code": 0}
    invoice = _reload(invoice)
    assert Payment.objects.filter(amount=Decimal("-2000.00")).count() == 1
    assert invoice.paid_amount == Decimal("30000.00")
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert invoice.order.balance == Decimal("2000.00")


def test_a_refund_larger_than_what_is_left_is_flagged_not_dropped(client, invoice, cloudpayments):
    notify(client, "pay", pay_fields(invoice, transaction_id=1))
    refund = {"TransactionId": 79, "PaymentTransactionId": 1, "Amount": "40000.00"}
    for fmt in FORMATS:
        assert notify(client, "refund", refund, fmt=fmt).json() == {"code": 0}
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.transaction_id, issue.amount, issue.invoice) == (
        IssueKind.REFUND_EXCEEDS,
        "79",
        Decimal("40000.00"),
        invoice,
    )
    assert not Payment.objects.filter(amount__lt=0).exists()
    assert _reload(invoice).paid_amount == Decimal("32000.00")


def test_a_refund_of_an_unknown_payment_is_flagged(client, invoice, cloudpayments):
    refund = {"TransactionId": 78, "PaymentTransactionId": 5, "Amount": "10.00"}
    assert notify(client, "refund", refund).json() == {"code": 0}
    assert ReconciliationIssue.objects.get().kind == IssueKind.REFUND_UNMATCHED
    assert Payment.objects.count() == 0


def test_fail_never_changes_a_paid_invoice(client, invoice, cloudpayments):
    notify(client, "pay", pay_fields(invoice, transaction_id=1))
    fail = pay_fields(
        invoice, transaction_id=2, Reason="InsufficientFunds", ReasonCode="5051", Status="Declined"
    )
    for fmt in FORMATS:
        assert notify(client, "fail", fail, fmt=fmt).json() == {"code": 0}
    invoice = _reload(invoice)
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.count() == 1
    assert TimelineEvent.objects.filter(text__contains="InsufficientFunds").exists()


def test_two_step_payment_is_recorded_on_confirm(client, invoice, cloudpayments):
    notify(client, "pay", pay_fields(invoice, Status="Authorized"))
    assert Payment.objects.count() == 0
    for _ in range(2):
        notify(client, "confirm", pay_fields(invoice, Status="Completed"))
    assert Payment.objects.count() == 1


def test_cancel_of_an_authorized_payment_changes_nothing(client, invoice, cloudpayments):
    notify(client, "pay", pay_fields(invoice, Status="Authorized"))
    assert notify(client, "cancel", pay_fields(invoice)).json() == {"code": 0}
    assert Payment.objects.count() == 0


def test_test_mode_payments_are_refused_unless_enabled(client, invoice, cloudpayments):
    notify(client, "pay", pay_fields(invoice, TestMode="1"))
    assert Payment.objects.count() == 0
    cloudpayments.CLOUDPAYMENTS_TEST_MODE = True
    assert notify(client, "check", pay_fields(invoice, TestMode="1")).json() == {"code": 0}
    notify(client, "pay", pay_fields(invoice, TestMode="1"))
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "signature", [None, "", "bm90IGEgc2lnbmF0dXJl", sign(b"another body"), "forged==="]
)
def test_forged_or_missing_signatures_apply_nothing(
    client, invoice, cloudpayments, signature, caplog
):
    for kind in ("check", "pay", "refund"):
        for fmt in FORMATS:
            response = notify(client, kind, pay_fields(invoice), fmt=fmt, signature=signature)
            assert response.status_code == 401
    assert Payment.objects.count() == 0
    assert _reload(invoice).status == InvoiceStatus.ISSUED
    assert ProviderEvent.objects.filter(signature_ok=False).count() == 6
    assert "missing or wrong signature" in caplog.text


def test_a_signature_with_the_wrong_secret_applies_nothing(client, invoice, cloudpayments):
    from urllib.parse import urlencode

    body = urlencode(pay_fields(invoice)).encode()
    response = client.post(
        "/payments/cloudpayments/pay/",
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_CONTENT_HMAC=sign(body, secret="someone-else"),
    )
    assert response.status_code == 401
    assert Payment.objects.count() == 0


def test_pay_for_an_unknown_invoice_or_wrong_amount_is_flagged_not_lost(
    client, invoice, cloudpayments
):
    notify(client, "pay", pay_fields(invoice, transaction_id=5, InvoiceId="INV-0000-00000"))
    notify(client, "pay", pay_fields(invoice, transaction_id=6, Amount="100.00"))
    notify(client, "pay", pay_fields(invoice, transaction_id=6, Amount="100.00"))
    kinds = sorted(ReconciliationIssue.objects.values_list("kind", flat=True))
    assert kinds == [IssueKind.AMOUNT_MISMATCH, IssueKind.UNKNOWN_INVOICE]
    assert Payment.objects.count() == 0


def test_an_unreadable_notification_is_a_400_and_stored(client, cloudpayments, db):
    body = b"TransactionId=&Amount=abc"
    response = client.post(
        "/payments/cloudpayments/pay/",
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_CONTENT_HMAC=sign(body),
    )
    assert response.status_code == 400
    assert ProviderEvent.objects.get().outcome.startswith("unreadable")


def test_only_post_to_known_kinds(client, cloudpayments, db):
    assert client.get("/payments/cloudpayments/pay/").status_code == 405
    assert client.post("/payments/cloudpayments/refundx/").status_code == 404
