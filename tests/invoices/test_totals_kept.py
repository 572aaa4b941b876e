"""The totals kept beside invoices and payments (receivables by due date, payments by day)
always equal what the rows add up to, whatever moved the money."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from invoices import summaries
from invoices.models import (
    NO_DUE_DATE_KEY,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentDay,
    PaymentSource,
    ReceivableDay,
)
from invoices.payments import payment_refund, payment_reverse
from pipeline.orders import order_cancel
from pipeline.payments import payment_register
from tests.invoices.conftest import make_order

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


def _receivables_kept() -> dict:
    return {
        (row.currency, row.due_key): (row.open_count, row.due, row.owed_back_count, row.owed_back)
        for row in ReceivableDay.objects.all()
        if (row.open_count, row.due, row.owed_back_count, row.owed_back) != (0, ZERO, 0, ZERO)
    }


def _receivables_counted() -> dict:
    sums: dict = defaultdict(lambda: [0, ZERO, 0, ZERO])
    for invoice in Invoice.objects.all():
        row = sums[(invoice.currency, invoice.due_date or NO_DUE_DATE_KEY)]
        if invoice.is_open:
            row[0] += 1
            row[1] += invoice.amount - invoice.paid_amount
        if invoice.status == InvoiceStatus.VOID and invoice.paid_amount > 0:
            row[2] += 1
            row[3] += invoice.paid_amount
        elif invoice.status != InvoiceStatus.VOID and invoice.overpaid:
            row[2] += 1
            row[3] += invoice.paid_amount - invoice.amount
    return {key: tuple(row) for key, row in sums.items() if tuple(row) != (0, ZERO, 0, ZERO)}


def _days_kept() -> dict:
    return {
        (row.day, row.source, row.currency): (row.received, row.given_back, row.movements)
        for row in PaymentDay.objects.all()
        if row.movements
    }


def _days_counted() -> dict:
    sums: dict = defaultdict(lambda: [ZERO, ZERO, 0])
    for payment in Payment.objects.all():
        row = sums[(timezone.localdate(payment.paid_at), payment.source, payment.currency)]
        row[0 if payment.amount > 0 else 1] += abs(payment.amount)
        row[2] += 1
    return {key: tuple(row) for key, row in sums.items()}


def _assert_kept() -> None:
    assert _receivables_kept() == _receivables_counted()
    assert _days_kept() == _days_counted()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for label, sql in summaries.SUMMARIES_CHECK.items():
                cursor.execute(sql)
                assert cursor.fetchone()[0] == 0, label


def test_the_totals_follow_payments_reversals_refunds_overpayments_and_voids(
    accountant, manager, catalogue, seller, staff
):
    first = make_order(catalogue=catalogue, manager=manager).invoices.get()
    second = make_order(catalogue=catalogue, manager=manager, email="b@example.ru").invoices.get()
    third = make_order(catalogue=catalogue, manager=manager, email="c@example.ru").invoices.get()
    _assert_kept()

    partial, _ = payment_register(
        invoice=first, amount=Decimal("1000.00"), source=PaymentSource.MANUAL, actor=accountant
    )
    _assert_kept()
    payment_reverse(payment=partial, actor=accountant, reason="Ошибка банка")
    _assert_kept()

    payment_register(
        invoice=second, amount=second.amount, source=PaymentSource.ACCOUNTING, external_id="A-1"
    )
    extra, _ = payment_register(
        invoice=second, amount=Decimal("5.00"), source=PaymentSource.ACCOUNTING, external_id="A-2"
    )
    second.refresh_from_db()
    assert second.overpaid
    _assert_kept()
    payment_refund(
        payment=extra, amount=Decimal("5.00"), source=PaymentSource.MANUAL, reason="Лишнее"
    )
    _assert_kept()

    advance, _ = payment_register(
        invoice=third, amount=Decimal("10000.00"), source=PaymentSource.MANUAL, actor=accountant
    )
    order_cancel(order=third.order, actor=manager, reason="Клиент передумал")
    third.refresh_from_db()
    assert third.status == InvoiceStatus.VOID
    _assert_kept()
    payment_refund(
        payment=advance, amount=Decimal("4000.00"), source=PaymentSource.MANUAL, reason="Часть"
    )
    _assert_kept()

    kept = ReceivableDay.objects.get(due_key=first.due_date)
    assert (kept.open_count, kept.due) == (1, first.amount)
    assert (kept.owed_back_count, kept.owed_back) == (1, Decimal("6000.00"))


def test_a_payment_counts_on_its_day_in_the_companys_time_zone(invoice, accountant):
    # 23:30 in Moscow is 20:30 UTC: the same day there, whatever the server's clock says.
    late = dt.datetime(2026, 3, 9, 20, 30, tzinfo=dt.UTC)
    payment_register(invoice=invoice, amount=Decimal("100.00"), source="manual", paid_at=late)
    early = dt.datetime(2026, 3, 9, 21, 30, tzinfo=dt.UTC)  # 00:30 on the 10th in Moscow
    payment_register(invoice=invoice, amount=Decimal("50.00"), source="manual", paid_at=early)

    days = {row.day: row.received for row in PaymentDay.objects.all()}
    assert days == {dt.date(2026, 3, 9): Decimal("100.00"), dt.date(2026, 3, 10): Decimal("50.00")}
    _assert_kept()


def test_writes_that_change_no_money_leave_the_totals_alone(invoice):
    kept = _receivables_kept()
    Invoice.objects.filter(pk=invoice.pk).update(pdf_error="no fonts", reminders_sent=1)
    assert _receivables_kept() == kept
    Invoice.objects.filter(pk=invoice.pk).update(due_date=None)
    assert _receivables_kept() == _receivables_counted()
    assert (invoice.currency, NO_DUE_DATE_KEY) in _receivables_kept()
