"""Fiscal receipts (54-ФЗ) through CloudPayments: what its API receives, in the shapes its
cash register takes (the fake checks them and refuses what the real one would), for a
full prepayment, a 50 % prepayment settled at delivery, and a card refund."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from invoices.models import (
    Payment,
    Receipt,
    ReceiptStatus,
    ReceiptType,
    SettlementMethod,
)
from invoices.payment_links import payment_link_create
from invoices.receipts import receipt_items, receipts_retry
from invoices.tasks import receipt_send
from orders.models import Notification, PaymentScheme, Stage, TaskKind, Work
from pipeline.work import task_complete
from tests import factories as f
from tests.invoices.conftest import make_order, notify, pay_fields
from tests.invoices.fake_cloudpayments import receipt_problem

pytestmark = pytest.mark.django_db

SELLER_INN = "7701234567"


@pytest.fixture
def receipts_on(settings, fake_cp, seller, staff, accountant, catalogue):
    """Receipts on, the company pays VAT at 20 %; the chair is sold without VAT."""
    settings.RECEIPTS_ENABLED = True
    settings.RECEIPTS_INN = ""
    settings.RECEIPTS_TAXATION_SYSTEM = 0
    settings.INVOICE_VAT_RATE = "20"
    catalogue["chair"].vat_rate = "none"
    catalogue["chair"].save()
    return fake_cp


def _link_receipt(fake_cp, invoice) -> dict:
    """The CustomerReceipt the invoice's payment link carried."""
    assert payment_link_create(invoice_id=invoice.pk) is True
    endpoint, params = fake_cp.requests[-1]
    assert endpoint == "orders/create" and params["InvoiceId"] == invoice.number
    return params["JsonData"]["CloudPayments"]["CustomerReceipt"]


def _pay_by_card(client, fake_cp, invoice, transaction_id: int) -> Payment:
    fake_cp.add_transaction(
        transaction_id=transaction_id, invoice_id=invoice.number, amount=invoice.balance
    )
    assert notify(client, "pay", pay_fields(invoice, transaction_id=transaction_id)).json() == {
        "code": 0
    }
    return Payment.objects.get(external_id=str(transaction_id))


def _deliver(order, staff, django_capture_on_commit_callbacks):
    order = f.make_all_lines(f.refreshed(order))
    assert order.stage == Stage.DELIVERY_DETAILS
    order = f.ship(order, staff["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        task_complete(task=order.tasks.get(kind=TaskKind.DELIVER), actor=staff["logistics"])
    order = f.refreshed(order)
    assert order.stage == Stage.WON
    return order


def _widget(client, invoice) -> dict:
    """The parameters the public page opens CloudPayments' widget with."""
    page = client.get(invoice.public_url.replace("http://testserver", "")).content.decode()
    return json.loads(re.search(r'id="widget-params"[^>]*>(.*?)</script>', page).group(1))


def _items(receipt: dict) -> list[tuple]:
    return [
        (i["label"], i["price"], i["quantity"], i["amount"], i["vat"], i["method"], i["object"])
        for i in receipt["Items"]
    ]


def test_a_full_prepayment_carries_its_receipt_and_delivery_settles_it(
    client, receipts_on, staff, manager, catalogue, django_capture_on_commit_callbacks
):
    fake_cp = receipts_on
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()

    receipt = _link_receipt(fake_cp, invoice)

    # Table 15,000; four chairs 16,000 less 500 off; delivery 1,500: all prepaid, so each
    # line is a full prepayment (1) with the calculated VAT 20/120, the chair without VAT.
    assert _items(receipt) == [
        ("Oak table", 15000.0, 1.0, 15000.0, 120, 1, 1),
        ("Oak chair", 4000.0, 4.0, 15500.0, None, 1, 1),
        ("Доставка", 1500.0, 1.0, 1500.0, 120, 1, 4),
    ]
    assert [i["measurementUnit"] for i in receipt["Items"]] == ["шт.", "шт.", "усл."]
    assert (receipt["email"], receipt["phone"], receipt["taxationSystem"]) == (
        "klient@example.ru",
        "",
        0,
    )
    assert receipt["amounts"] == {
        "electronic": 32000.0,
        "advancePayment": 0.0,
        "credit": 0.0,
        "provision": 0.0,
    }

    payment = _pay_by_card(client, fake_cp, invoice, 2001)
    carried = Receipt.objects.get(payment=payment)
    assert (carried.type, carried.method, carried.amount, carried.status) == (
        ReceiptType.INCOME,
        SettlementMethod.FULL_PREPAYMENT,
        Decimal("32000.00"),
        ReceiptStatus.WITH_PAYMENT,
    )
    assert carried.body == receipt
    assert fake_cp.receipts == []  # CloudPayments issued that one with the payment

    _deliver(order, staff, django_capture_on_commit_callbacks)

    [sent] = fake_cp.receipts
    assert (sent["Inn"], sent["Type"], sent["AccountId"]) == (SELLER_INN, "Income", order.number)
    settlement = sent["CustomerReceipt"]
    # Full settlement (4), the plain VAT rate, all of it offset against the advance.
    assert _items(settlement) == [
        ("Oak table", 15000.0, 1.0, 15000.0, 20, 4, 1),
        ("Oak chair", 4000.0, 4.0, 15500.0, None, 4, 1),
        ("Доставка", 1500.0, 1.0, 1500.0, 20, 4, 4),
    ]
    assert settlement["amounts"] == {
        "electronic": 0.0,
        "advancePayment": 32000.0,
        "credit": 0.0,
        "provision": 0.0,
    }
    row = Receipt.objects.get(order=order, payment=None)
    assert (row.method, row.advance, row.status) == (4, Decimal("32000.00"), "sent")
    assert (row.attempts, row.external_id) == (1, "2u3jXNbh5bk00001")


def test_a_half_prepayment_then_the_balance_are_prepayments_settled_at_delivery(
    client, receipts_on, staff, manager, catalogue, django_capture_on_commit_callbacks
):
    fake_cp = receipts_on
    order = make_order(
        catalogue=catalogue,
        manager=manager,
        scheme=PaymentScheme.PARTIAL_PREPAYMENT,
        prepayment=Decimal("16000.00"),
    )
    prepayment = order.invoices.get()

    receipt = _link_receipt(fake_cp, prepayment)

    # Half of each line, a partial prepayment (2): the items add up to the 16,000 paid.
    assert _items(receipt) == [
        ("Oak table", 7500.0, 1.0, 7500.0, 120, 2, 1),
        ("Oak chair", 1937.5, 4.0, 7750.0, None, 2, 1),
        ("Доставка", 750.0, 1.0, 750.0, 120, 2, 4),
    ]
    assert receipt["amounts"]["electronic"] == 16000.0
    _pay_by_card(client, fake_cp, prepayment, 3001)

    # The balance is paid before the goods are handed over: a prepayment too.
    order = f.make_all_lines(f.refreshed(order))
    assert order.stage == Stage.POSTPAYMENT
    balance = order.invoices.latest("id")
    assert sum(i["amount"] for i in _link_receipt(fake_cp, balance)["Items"]) == 16000.0
    assert {i["method"] for i in _link_receipt_of(fake_cp)["Items"]} == {2}
    _pay_by_card(client, fake_cp, balance, 3002)
    assert list(Receipt.objects.filter(order=order).values_list("method", "amount", "status")) == [
        (2, Decimal("16000.00"), "with_payment"),
        (2, Decimal("16000.00"), "with_payment"),
    ]

    order = f.ship(f.refreshed(order), staff["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        task_complete(task=order.tasks.get(kind=TaskKind.DELIVER), actor=staff["logistics"])

    [sent] = fake_cp.receipts
    assert sent["Type"] == "Income"
    assert _items(sent["CustomerReceipt"]) == [
        ("Oak table", 15000.0, 1.0, 15000.0, 20, 4, 1),
        ("Oak chair", 4000.0, 4.0, 15500.0, None, 4, 1),
        ("Доставка", 1500.0, 1.0, 1500.0, 20, 4, 4),
    ]
    # Both prepayments offset: nothing is taken by card at delivery.
    assert sent["CustomerReceipt"]["amounts"]["advancePayment"] == 32000.0
    assert sent["CustomerReceipt"]["amounts"]["electronic"] == 0.0


def _link_receipt_of(fake_cp) -> dict:
    _endpoint, params = fake_cp.requests[-1]
    return params["JsonData"]["CloudPayments"]["CustomerReceipt"]


def test_a_card_refund_sends_the_matching_return_receipt(
    client, receipts_on, manager, accountant, catalogue, django_capture_on_commit_callbacks
):
    fake_cp = receipts_on
    order = make_order(catalogue=catalogue, manager=manager)
    payment = _pay_by_card(client, fake_cp, order.invoices.get(), 4001)
    client.force_login(accountant)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/orders/{order.number}/payments/{payment.pk}/refund/",
            {"amount": "8000.00", "reason": "Клиент отказался от стульев"},
        )
    assert response.status_code == 302

    [sent] = fake_cp.receipts
    assert (sent["Inn"], sent["Type"]) == (SELLER_INN, "IncomeReturn")
    returned = sent["CustomerReceipt"]
    # A quarter of the prepayment goes back: a quarter of each line, with the method of
    # what it returns (full prepayment), adding up to the 8,000 refunded to the card.
    assert _items(returned) == [
        ("Oak table", 3750.0, 1.0, 3750.0, 120, 1, 1),
        ("Oak chair", 968.75, 4.0, 3875.0, None, 1, 1),
        ("Доставка", 375.0, 1.0, 375.0, 120, 1, 4),
    ]
    assert returned["amounts"]["electronic"] == 8000.0
    refund = Payment.objects.get(refund_of=payment)
    row = Receipt.objects.get(payment=refund)
    assert (row.type, row.amount, row.status) == ("IncomeReturn", Decimal("8000.00"), "sent")
    # CloudPayments' own Refund notification of the same refund adds no second receipt.
    notification = {
        "TransactionId": int(refund.external_id),
        "PaymentTransactionId": 4001,
        "Amount": "8000.00",
        "DateTime": "2026-11-27 09:00:00",
        "OperationType": "Refund",
        "InvoiceId": payment.invoice.number,
        "AccountId": order.number,
    }
    assert notify(client, "refund", notification).json() == {"code": 0}
    assert Receipt.objects.filter(type=ReceiptType.INCOME_RETURN).count() == 1
    assert len(fake_cp.receipts) == 1

    receipts = client.get(order.get_absolute_url()).content.decode()
    receipts = receipts[receipts.index('data-testid="receipts"') :]
    assert "Return of income · Full prepayment" in receipts and "2u3jXNbh5bk00001" in receipts


def test_with_receipts_off_no_payment_carries_one(
    client, settings, fake_cp, seller, staff, manager, catalogue
):
    settings.RECEIPTS_ENABLED = False
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()

    assert payment_link_create(invoice_id=invoice.pk) is True
    _endpoint, params = fake_cp.requests[-1]
    assert "JsonData" not in params
    assert "data" not in _widget(client, invoice)
    _pay_by_card(client, fake_cp, invoice, 5001)
    assert not Receipt.objects.exists()


def test_the_public_pages_widget_carries_the_receipt(client, receipts_on, manager, catalogue):
    order = make_order(catalogue=catalogue, manager=manager, email="")
    order.customer.phone = "8 (916) 123-45-67"
    order.customer.save()
    invoice = order.invoices.get()

    widget = _widget(client, invoice)

    receipt = widget["data"]["CloudPayments"]["CustomerReceipt"]
    assert receipt_problem(receipt, total=Decimal(widget["amount"])) is None
    # No e-mail: the receipt goes to the phone, in E.164.
    assert (receipt["email"], receipt["phone"]) == ("", "+79161234567")
    assert [i["method"] for i in receipt["Items"]] == [1, 1, 1]


def test_a_failing_receipt_api_is_retried_then_reported_and_the_money_stays(
    client, settings, receipts_on, staff, manager, catalogue, django_capture_on_commit_callbacks
):
    fake_cp = receipts_on
    settings.WORK_MAX_ATTEMPTS = 3
    order = make_order(catalogue=catalogue, manager=manager)
    _pay_by_card(client, fake_cp, order.invoices.get(), 6001)
    fake_cp.receipt_failures = 3  # the cash register is down

    order = _deliver(order, staff, django_capture_on_commit_callbacks)

    row = Receipt.objects.get(order=order, payment=None)
    assert (row.status, row.attempts) == (ReceiptStatus.PENDING, 1)
    assert "HTTP 500" in row.last_error
    work = Work.objects.get(task=receipt_send.name)
    assert work.next_attempt_at is not None and work.failed_at is None
    receipt_send.apply(args=[row.pk])  # the sweep's retries
    receipt_send.apply(args=[row.pk])

    row.refresh_from_db()
    assert (row.status, row.attempts) == (ReceiptStatus.FAILED, 3)
    assert fake_cp.receipts == []
    [bell] = Notification.objects.filter(user__username="anna")
    assert f"The fiscal receipt of 32,000.00\xa0₽ for order {order.number} was not sent" in (
        bell.text
    )
    # The money and the delivery stand.
    order.refresh_from_db()
    assert (order.stage, order.paid_amount) == (Stage.WON, Decimal("32000.00"))

    # An admin's retry once the register is back sends it, once.
    client.force_login(User.objects.create_superuser("root", "root@example.ru", "x"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/invoices/receipt/",
            {"action": "retry_receipts", "_selected_action": [row.pk]},
        )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.external_id) == (ReceiptStatus.SENT, "2u3jXNbh5bk00001")
    assert len(fake_cp.receipts) == 1
    assert receipts_retry([row]) == []  # a sent receipt is not sent again


def test_a_receipt_cloudpayments_refuses_is_failed_at_once_with_its_reason(
    client, receipts_on, staff, manager, catalogue, django_capture_on_commit_callbacks
):
    fake_cp = receipts_on
    order = make_order(catalogue=catalogue, manager=manager)
    _pay_by_card(client, fake_cp, order.invoices.get(), 7001)
    order.customer.email = ""
    order.customer.phone = ""
    order.customer.save()

    order = _deliver(order, staff, django_capture_on_commit_callbacks)

    row = Receipt.objects.get(order=order, payment=None)
    assert row.status == ReceiptStatus.FAILED
    assert "email or phone is required" in row.last_error
    assert Notification.objects.filter(user__username="anna").count() == 1


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("100.00"), [33.33, 33.33, 33.34]),
        (Decimal("0.03"), [0.01, 0.01, 0.01]),
        (Decimal("1000.01"), [333.33, 333.34, 333.34]),
    ],
)
def test_a_share_of_the_lines_adds_up_to_the_amount_to_the_kopeck(amount, expected):
    lines = [
        {"name": n, "quantity": "3", "price": "100.00", "amount": "300.00", "unit": "pcs"}
        for n in "abc"
    ]
    items = receipt_items(lines, amount=amount, method=SettlementMethod.PREPAYMENT)
    assert [i["amount"] for i in items] == expected
    assert sum(Decimal(str(i["amount"])) for i in items) == amount
    for item in items:  # price × quantity never below the amount
        assert Decimal(str(item["price"])) * 3 >= Decimal(str(item["amount"]))


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("RECEIPTS_TAXATION_SYSTEM", 6, "invoices.E003"),
        ("RECEIPTS_INN", "77012345", "invoices.E004"),
        ("RECEIPTS_API_OFF", None, "invoices.E005"),
    ],
)
def test_receipt_settings_that_cannot_work_are_refused_at_startup(settings, name, value, error):
    from invoices.checks import invoice_settings_check

    settings.RECEIPTS_ENABLED = True
    settings.CLOUDPAYMENTS_PUBLIC_ID = "pk_1"
    settings.CLOUDPAYMENTS_API_SECRET = "secret"
    assert invoice_settings_check(None) == []
    if name == "RECEIPTS_API_OFF":
        settings.CLOUDPAYMENTS_PUBLIC_ID = settings.CLOUDPAYMENTS_API_SECRET = ""
    else:
        setattr(settings, name, value)
    assert [e.id for e in invoice_settings_check(None)] == [error]


prices = st.decimals(min_value="0.01", max_value="999999.99", places=2)
quantities = st.decimals(min_value="0.001", max_value="999.999", places=3)


@hypothesis_settings(max_examples=300)
@given(
    lines=st.lists(st.tuples(prices, quantities), min_size=1, max_size=8),
    fraction=st.decimals(min_value="0.0001", max_value="1", places=4),
    method=st.sampled_from(list(SettlementMethod)),
)
def test_any_share_of_any_lines_is_a_receipt_cloudpayments_takes(lines, fraction, method):
    snapshot = [
        {
            "name": f"Изделие {n}",
            "quantity": str(quantity),
            "price": str(price),
            "amount": str((price * quantity).quantize(Decimal("0.01"))),
        }
        for n, (price, quantity) in enumerate(lines)
    ]
    total = sum((Decimal(line["amount"]) for line in snapshot), Decimal("0"))
    assume(total > 0)
    amount = max((total * fraction).quantize(Decimal("0.01")), Decimal("0.01"))
    receipt = {
        "Items": receipt_items(snapshot, amount=amount, method=method),
        "taxationSystem": 0,
        "email": "klient@example.ru",
    }
    assert receipt_problem(receipt, total=amount) is None
    assert all(item["amount"] > 0 for item in receipt["Items"])


def test_admin_shows_a_payments_receipt_and_lists_receipts_read_only(
    client, admin_client, receipts_on, manager, catalogue
):
    order = make_order(catalogue=catalogue, manager=manager)
    payment = _pay_by_card(client, receipts_on, order.invoices.get(), 8001)
    receipt = Receipt.objects.get(payment=payment)

    page = admin_client.get(f"/admin/invoices/payment/{payment.pk}/change/").content.decode()
    assert "Sent with the payment" in page and "Full prepayment" in page
    listing = admin_client.get("/admin/invoices/receipt/").content.decode()
    assert order.number in listing and "Send again" in listing
    change = admin_client.get(f"/admin/invoices/receipt/{receipt.pk}/change/")
    assert change.status_code == 200 and 'name="status"' not in change.content.decode()


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", ["Fiscal receipts", "Income · Full prepayment", "Sent with the payment"]),
        ("ru", ["Фискальные чеки", "Приход · Предоплата 100\xa0%", "Передан с оплатой"]),
    ],
)
def test_the_order_page_lists_the_receipts_with_their_status(
    client, receipts_on, manager, accountant, catalogue, language, shown
):
    order = make_order(catalogue=catalogue, manager=manager)
    _pay_by_card(client, receipts_on, order.invoices.get(), 9001)
    client.force_login(accountant)

    page = client.get(order.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    receipts = page[page.index('data-testid="receipts"') :]
    for text in shown:
        assert text in receipts
    assert ("32,000.00\xa0₽" if language == "en" else "32\xa0000,00\xa0₽") in receipts
