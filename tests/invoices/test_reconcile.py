"""Reconciliation with CloudPayments: a lost notification never leaves an order stuck."""

from __future__ import annotations

from decimal import Decimal

import pytest
from celery.exceptions import Retry

from invoices.models import IssueKind, Payment, ReconciliationIssue
from invoices.payment_links import payment_link_create
from orders.models import Stage
from pipeline.payments import payments_reconcile
from pipeline.tasks import payments_reconcile as reconcile_task
from tests.invoices.conftest import notify, pay_fields


@pytest.fixture
def linked_invoice(fake_cp, invoice):
    payment_link_create(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    return invoice


def test_a_payment_no_notification_brought_is_recorded(fake_cp, linked_invoice):
    fake_cp.add_transaction(
        transaction_id=9001,
        invoice_id=linked_invoice.number,
        amount=Decimal("32000.00"),
        account_id=linked_invoice.order.number,
    )
    counts = payments_reconcile()
    assert counts["recorded"] == 1
    payment = Payment.objects.get()
    assert (payment.external_id, payment.amount) == ("9001", Decimal("32000.00"))
    linked_invoice.order.refresh_from_db()
    assert linked_invoice.order.stage == Stage.PRODUCTION
    # Twice, and with the late notification on top: still one payment.
    assert payments_reconcile()["recorded"] == 0
    client_fields = pay_fields(linked_invoice, transaction_id=9001)
    from django.test import Client

    assert notify(Client(), "pay", client_fields).json() == {"code": 0}
    assert Payment.objects.count() == 1


def test_a_notification_then_reconciliation_counts_once(client, fake_cp, linked_invoice):
    notify(client, "pay", pay_fields(linked_invoice, transaction_id=9002))
    fake_cp.add_transaction(
        transaction_id=9002, invoice_id=linked_invoice.number, amount=Decimal("32000.00")
    )
    assert payments_reconcile()["recorded"] == 0
    assert Payment.objects.count() == 1


def test_only_completed_and_non_test_transactions_count(fake_cp, linked_invoice):
    fake_cp.add_transaction(
        transaction_id=1,
        invoice_id=linked_invoice.number,
        amount=Decimal("32000"),
        status="Declined",
    )
    fake_cp.add_transaction(
        transaction_id=2, invoice_id=linked_invoice.number, amount=Decimal("32000"), test_mode=True
    )
    assert payments_reconcile()["recorded"] == 0
    assert Payment.objects.count() == 0


def test_differences_are_listed_and_mailed_to_the_accountants_once(
    fake_cp, linked_invoice, accountant, mailoutbox
):
    fake_cp.add_transaction(transaction_id=11, invoice_id="INV-1999-00001", amount=Decimal("5"))
    fake_cp.add_transaction(
        transaction_id=12, invoice_id=linked_invoice.number, amount=Decimal("31000.00")
    )
    counts = payments_reconcile()
    assert counts["flagged"] == 2
    assert sorted(ReconciliationIssue.objects.values_list("kind", flat=True)) == [
        IssueKind.AMOUNT_MISMATCH,
        IssueKind.UNKNOWN_INVOICE,
    ]
    [mail] = mailoutbox
    assert mail.to == [accountant.email]
    assert "11" in mail.body and "12" in mail.body
    payments_reconcile()
    assert ReconciliationIssue.objects.count() == 2
    assert len(mailoutbox) == 1
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("mode", ["timeout", "error500", "html"])
def test_an_api_failure_leaves_everything_and_is_retried(fake_cp, linked_invoice, mode):
    fake_cp.add_transaction(
        transaction_id=9003, invoice_id=linked_invoice.number, amount=Decimal("32000.00")
    )
    fake_cp.mode = mode
    fake_cp.delay = 1.5
    with pytest.raises(Retry):
        reconcile_task.apply()
    assert Payment.objects.count() == 0
    assert ReconciliationIssue.objects.count() == 0
    linked_invoice.order.refresh_from_db()
    assert linked_invoice.order.stage == Stage.PREPAYMENT
    # The retry, once the API answers again, records it.
    fake_cp.mode = "ok"
    reconcile_task.apply(retries=1)
    assert Payment.objects.get().external_id == "9003"


def test_a_failure_half_way_changes_nothing(fake_cp, linked_invoice, monkeypatch):
    """find_payment answers, list_payments fails: nothing found so far is applied."""
    from invoices.cloudpayments import CloudPaymentsAPI, CloudPaymentsUnavailable

    fake_cp.add_transaction(
        transaction_id=9004, invoice_id=linked_invoice.number, amount=Decimal("32000.00")
    )

    def broken(self, day):
        raise CloudPaymentsUnavailable("payments/list: HTTP 502")

    monkeypatch.setattr(CloudPaymentsAPI, "list_payments", broken)
    with pytest.raises(CloudPaymentsUnavailable):
        payments_reconcile()
    assert Payment.objects.count() == 0


def test_reconciliation_does_nothing_without_cloudpayments(settings, invoice):
    settings.CLOUDPAYMENTS_PUBLIC_ID = ""
    assert reconcile_task.apply().get() is None
