"""The totals kept beside invoices and payments (receivables by due date, payments by day)
always equal what the rows add up to, whatever moved the money."""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
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
    # A key may hold a few rows (writers never wait on one): added up, as the pages do.
    rows = ReceivableDay.objects.values("currency", "due_key").annotate(
        open=Sum("open_count"), due_=Sum("due"), back=Sum("owed_back_count"), back_=Sum("owed_back")
    )
    totals = {
        (row["currency"], row["due_key"]): (row["open"], row["due_"], row["back"], row["back_"])
        for row in rows
    }
    return {key: total for key, total in totals.items() if total != (0, ZERO, 0, ZERO)}


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
    rows = PaymentDay.objects.values("day", "source", "currency").annotate(
        received_=Sum("received"), given_back_=Sum("given_back"), movements_=Sum("movements")
    )
    totals = {
        (row["day"], row["source"], row["currency"]): (
            row["received_"],
            row["given_back_"],
            row["movements_"],
        )
        for row in rows
    }
    return {key: total for key, total in totals.items() if total[2]}


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

    kept = _receivables_kept()[("RUB", first.due_date)]
    assert kept == (1, first.amount, 1, Decimal("6000.00"))


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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_writers_of_the_same_day_never_wait_for_each_other_on_the_totals(
    catalogue, manager, seller, staff
):
    """Payments and invoices are written under order and staff locks: if the totals made
    a second writer wait for the first one's commit, they would queue every payment of the
    day behind each other and could close a deadlock."""
    first = make_order(catalogue=catalogue, manager=manager).invoices.get()
    second = make_order(catalogue=catalogue, manager=manager, email="b@example.ru").invoices.get()
    assert first.due_date == second.due_date

    def pay(invoice: Invoice, amount: str) -> None:
        Payment.objects.create(
            invoice=invoice, order_id=invoice.order_id, amount=Decimal(amount), source="manual"
        )
        Invoice.objects.filter(pk=invoice.pk).update(
            paid_amount=Decimal(amount), status=InvoiceStatus.PARTIALLY_PAID
        )

    written, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                pay(first, "1000.00")
                written.set()
                release.wait(20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert written.wait(20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            pay(second, "500.00")
    finally:
        release.set()
        holder.join()
    _assert_kept()
    assert _days_kept()[(timezone.localdate(), "manual", "RUB")][0] == Decimal("1500.00")
