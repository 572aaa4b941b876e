"""Manual payments, reversals and refunds: the rules of payment_register and friends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from invoices import payments
from invoices.models import InvoiceStatus, Payment, PaymentSource
from invoices.payments import payment_refund, payment_reverse
from orders.models import Stage
from orders.rules import OrderError
from pipeline.payments import payment_register


def test_a_partial_manual_payment_leaves_the_order_waiting(invoice, accountant):
    payment, created = payment_register(
        invoice=invoice,
        amount=Decimal("10000.00"),
        source=PaymentSource.MANUAL,
        actor=accountant,
        paid_at=timezone.now() - dt.timedelta(days=1),
        reference="п/п 17",
    )
    assert created
    invoice.refresh_from_db()
    invoice.order.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert invoice.order.stage == Stage.PREPAYMENT
    assert invoice.order.balance == Decimal("22000.00")
    assert payment.recorded_by == accountant


def test_a_reversal_is_a_new_negative_entry_and_never_a_deletion(invoice, accountant):
    payment, _ = payment_register(invoice=invoice, amount=Decimal("5000.00"), source="manual")
    reversal = payment_reverse(payment=payment, actor=accountant, reason="Ошибочно внесён")
    assert reversal.amount == Decimal("-5000.00")
    assert Payment.objects.count() == 2
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("0.00")
    assert invoice.status == InvoiceStatus.ISSUED
    with pytest.raises(OrderError, match=str(payments.ALREADY_REVERSED)):
        payment_reverse(payment=payment, actor=accountant, reason="ещё раз")
    with pytest.raises(OrderError, match=str(payments.NOT_REVERSIBLE)):
        payment_reverse(payment=reversal, actor=accountant, reason="сторно сторно")
    with pytest.raises(OrderError) as exc:
        payment_reverse(payment=payment, actor=accountant, reason="  ")
    assert exc.value.errors == {"reason": [str(payments.REASON_MISSING)]}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0"), payments.AMOUNT_NOT_POSITIVE),
        (Decimal("-1"), payments.AMOUNT_NOT_POSITIVE),
        (Decimal("10.005"), payments.AMOUNT_TOO_PRECISE),
        (None, payments.AMOUNT_NOT_POSITIVE),
    ],
)
def test_it_refuses_bad_amounts(invoice, amount, message):
    with pytest.raises(OrderError) as exc:
        payment_register(invoice=invoice, amount=amount, source="manual")
    assert exc.value.errors == {"amount": [str(message)]}


def test_it_refuses_a_payment_dated_in_the_future(invoice):
    with pytest.raises(OrderError) as exc:
        payment_register(
            invoice=invoice,
            amount=Decimal("1.00"),
            source="manual",
            paid_at=timezone.now() + dt.timedelta(days=2),
        )
    assert exc.value.errors == {"paid_at": [str(payments.PAID_AT_IN_FUTURE)]}


def test_test_mode_payments_need_test_mode(invoice, settings):
    settings.CLOUDPAYMENTS_TEST_MODE = False
    with pytest.raises(OrderError, match=str(payments.TEST_MODE_REFUSED)):
        payment_register(
            invoice=invoice, amount=invoice.amount, source="cloudpayments", test_mode=True
        )
    settings.CLOUDPAYMENTS_TEST_MODE = True
    payment_register(invoice=invoice, amount=invoice.amount, source="cloudpayments", test_mode=True)


def test_an_overpayment_is_flagged_on_the_payment_and_the_invoice(invoice):
    payment_register(invoice=invoice, amount=invoice.amount, source="manual")
    extra, _ = payment_register(invoice=invoice, amount=Decimal("100.00"), source="manual")
    invoice.refresh_from_db()
    assert extra.is_overpayment and invoice.overpaid


def test_partial_refunds_up_to_the_payment(invoice, accountant):
    payment, _ = payment_register(invoice=invoice, amount=invoice.amount, source="manual")
    payment_refund(payment=payment, amount=Decimal("2000.00"), source="manual", actor=accountant)
    payment_refund(payment=payment, amount=Decimal("1000.00"), source="manual", actor=accountant)
    with pytest.raises(OrderError, match="29"):
        payment_refund(payment=payment, amount=Decimal("29000.01"), source="manual")
    invoice.refresh_from_db()
    invoice.order.refresh_from_db()
    assert invoice.paid_amount == Decimal("29000.00")
    assert invoice.order.balance == Decimal("3000.00")
    # Refunded in part: a full reversal would count money twice.
    with pytest.raises(OrderError, match=str(payments.ALREADY_REVERSED)):
        payment_reverse(payment=payment, actor=accountant, reason="всё вернуть")


def test_the_same_external_refund_is_recorded_once(invoice):
    payment, _ = payment_register(
        invoice=invoice, amount=invoice.amount, source="cloudpayments", external_id="1"
    )
    for _ in range(2):
        payment_refund(
            payment=payment, amount=Decimal("10.00"), source="cloudpayments", external_id="2"
        )
    assert Payment.objects.filter(amount__lt=0).count() == 1


def test_the_receipt_email_goes_when_a_payment_is_registered(
    invoice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment_register(invoice=invoice, amount=invoice.amount, source="manual")
    assert any("32" in m.body and invoice.number in m.body for m in mailoutbox)
