"""Money given back from the order page: a bank payment is recorded as refunded, a card
payment goes back to the card through CloudPayments and counts once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices.models import InvoiceStatus, IssueKind, Payment, PaymentSource, ReconciliationIssue
from invoices.payments import payment_refund
from orders.models import EventKind
from pipeline.orders import order_cancel
from pipeline.payments import payment_register
from tests.invoices.conftest import notify, pay_fields

pytestmark = pytest.mark.django_db


def _refund(client, payment: Payment, amount: str, reason: str = "Клиент вернул стул"):
    return client.post(
        f"/orders/{payment.order.number}/payments/{payment.pk}/refund/",
        {"amount": amount, "reason": reason},
    )


@pytest.fixture
def bank_payment(invoice, accountant) -> Payment:
    payment, _created = payment_register(
        invoice=invoice, amount=invoice.amount, source=PaymentSource.MANUAL, actor=accountant
    )
    return payment


def test_a_bank_payment_is_refunded_in_part_and_the_balance_reopens(
    client, accountant, bank_payment
):
    client.force_login(accountant)
    assert "Record a refund" in client.get(bank_payment.order.get_absolute_url()).content.decode()

    assert _refund(client, bank_payment, "2000.00").status_code == 302

    order, invoice = bank_payment.order, bank_payment.invoice
    order.refresh_from_db()
    invoice.refresh_from_db()
    refund = Payment.objects.get(refund_of=bank_payment)
    assert (refund.amount, refund.source, refund.reason, refund.recorded_by) == (
        Decimal("-2000.00"),
        PaymentSource.MANUAL,
        "Клиент вернул стул",
        accountant,
    )
    assert order.paid_amount == Decimal("30000.00") and order.balance == Decimal("2000.00")
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert order.events.filter(kind=EventKind.PAYMENT, text__startswith="Refund of 2,000.00\xa0₽")
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'value="30000.00"' in page  # what is left to give back


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("100.00", "", "This field is required."),
        (
            "32000.01",
            "Ошибка",
            "A refund cannot exceed what is left of the payment (32,000.00\xa0₽).",
        ),
        ("0", "Ошибка", "Ensure this value is greater than or equal to 0.01."),
    ],
)
def test_a_refund_without_a_reason_or_beyond_the_payment_records_nothing(
    client, accountant, bank_payment, amount, reason, message
):
    client.force_login(accountant)
    response = _refund(client, bank_payment, amount, reason)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Payment.objects.filter(refund_of=bank_payment).exists()


def test_only_people_who_register_payments_give_money_back(client, staff, bank_payment):
    client.force_login(staff["production"])
    assert _refund(client, bank_payment, "100.00").status_code in (403, 404)
    assert not Payment.objects.filter(refund_of=bank_payment).exists()


def test_a_lost_orders_money_once_given_back_is_no_longer_owed(
    client, accountant, manager, bank_payment
):
    order = order_cancel(order=bank_payment.order, actor=manager, reason="Клиент передумал")
    assert order.owed_back == Decimal("32000.00")
    client.force_login(accountant)
    assert bank_payment.invoice.number in client.get("/invoices/").content.decode()

    assert _refund(client, bank_payment, "32000.00", "Вернули переводом").status_code == 302

    order.refresh_from_db()
    assert order.owed_back == Decimal("0.00")
    invoice = bank_payment.invoice
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID  # given back, never open for money again
    assert bank_payment.invoice.number not in client.get("/invoices/").content.decode()


@pytest.fixture
def card_payment(client, invoice, fake_cp) -> Payment:
    fake_cp.add_transaction(transaction_id=1001, invoice_id=invoice.number, amount=invoice.amount)
    notify(client, "pay", pay_fields(invoice, transaction_id=1001))
    return Payment.objects.get(external_id="1001")


def test_a_card_payment_goes_back_to_the_card_and_its_notification_counts_once(
    client, accountant, card_payment, fake_cp
):
    client.force_login(accountant)
    assert (
        "Refund to the card" in client.get(card_payment.order.get_absolute_url()).content.decode()
    )

    assert _refund(client, card_payment, "5000.00").status_code == 302

    assert fake_cp.refunds == [(1001, Decimal("5000"))]
    refund = Payment.objects.get(refund_of=card_payment)
    assert (refund.amount, refund.source) == (Decimal("-5000.00"), PaymentSource.CLOUDPAYMENTS)
    # CloudPayments then tells us of the refund it made: the same transaction, not a second.
    notification = {
        "TransactionId": int(refund.external_id),
        "PaymentTransactionId": 1001,
        "Amount": "5000.00",
        "DateTime": "2026-11-27 09:00:00",
        "OperationType": "Refund",
        "InvoiceId": card_payment.invoice.number,
        "AccountId": card_payment.order.number,
    }
    assert notify(client, "refund", notification).json() == {"code": 0}
    assert Payment.objects.filter(refund_of=card_payment).count() == 1
    card_payment.order.refresh_from_db()
    assert card_payment.order.paid_amount == Decimal("27000.00")


@pytest.mark.parametrize("mode", ["timeout", "error500"])
def test_a_card_refund_cloudpayments_does_not_make_records_nothing(
    client, accountant, card_payment, fake_cp, mode
):
    fake_cp.mode = mode
    client.force_login(accountant)

    response = _refund(client, card_payment, "5000.00")

    assert response.status_code == 422
    assert "CloudPayments did not refund it, nothing was recorded" in response.content.decode()
    assert not Payment.objects.filter(refund_of=card_payment).exists()
    card_payment.order.refresh_from_db()
    assert card_payment.order.paid_amount == Decimal("32000.00")


def test_a_card_refund_cloudpayments_refuses_shows_its_reason(
    client, accountant, card_payment, fake_cp
):
    fake_cp.transactions.clear()  # CloudPayments does not know the transaction
    client.force_login(accountant)

    response = _refund(client, card_payment, "5000.00")

    assert response.status_code == 422
    assert "Transaction not found" in response.content.decode()
    assert not Payment.objects.filter(refund_of=card_payment).exists()


@pytest.mark.django_db(transaction=True)
def test_a_card_refund_that_loses_a_race_is_flagged_for_the_accountants(
    client, accountant, card_payment, fake_cp
):
    """While CloudPayments makes the refund, someone records another one here; the card
    has the money back anyway, so the difference goes to the accountants."""
    from django.db import connection

    def meanwhile(_transaction_id: int, _amount: Decimal) -> None:
        try:
            payment_refund(
                payment=card_payment,
                amount=Decimal("30000.00"),
                source=PaymentSource.MANUAL,
                reason="Вернули переводом",
            )
        finally:
            connection.close()

    fake_cp.on_refund = meanwhile
    client.force_login(accountant)

    response = _refund(client, card_payment, "5000.00")

    assert response.status_code == 422
    assert "CloudPayments refunded it, but it is more than is left" in response.content.decode()
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.amount, issue.invoice) == (
        IssueKind.REFUND_EXCEEDS,
        Decimal("5000.00"),
        card_payment.invoice,
    )
    assert Payment.objects.filter(refund_of=card_payment).count() == 1  # the transfer only


def test_the_client_is_told_of_the_money_returned_once(
    client, accountant, card_payment, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(accountant)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _refund(client, card_payment, "5000.00")

    [mail] = mailoutbox
    assert mail.to == ["klient@example.ru"]
    assert mail.subject == f"Возврат денег по заказу {card_payment.order.number}"
    assert (
        f"Мы вернули 5\xa0000,00\xa0₽, оплаченные по счёту {card_payment.invoice.number}."
        in mail.body
    )
    assert "вернутся на карту" in mail.body
    refund = Payment.objects.get(refund_of=card_payment)
    notification = {
        "TransactionId": int(refund.external_id),
        "PaymentTransactionId": 1001,
        "Amount": "5000.00",
    }
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, "refund", notification)
    assert len(mailoutbox) == 1  # the same refund, told once


def test_the_same_refund_form_sent_twice_gives_back_once(client, accountant, bank_payment):
    client.force_login(accountant)
    form = {"amount": "32000.00", "reason": "Брак", "key": "a" * 32}
    url = f"/orders/{bank_payment.order.number}/payments/{bank_payment.pk}/refund/"

    assert client.post(url, form).status_code == 302
    again = client.post(url, form, follow=True)  # a resubmit, not a second refund

    assert "This form was sent before and what it recorded stands" in again.content.decode()
    assert Payment.objects.filter(refund_of=bank_payment).count() == 1


def test_the_same_card_refund_form_sent_twice_refunds_the_card_once(
    client, accountant, card_payment, fake_cp
):
    client.force_login(accountant)
    form = {"amount": "5000.00", "reason": "Брак", "key": "b" * 32}
    url = f"/orders/{card_payment.order.number}/payments/{card_payment.pk}/refund/"

    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302

    assert fake_cp.refunds == [(1001, Decimal("5000"))]
    assert Payment.objects.filter(refund_of=card_payment).count() == 1
