"""Our adapter around the `cloudpayments` client, against the fake API on 127.0.0.1."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from invoices.cloudpayments import CloudPaymentsAPI, CloudPaymentsRefused, CloudPaymentsUnavailable
from invoices.payment_links import payment_link_create
from invoices.tasks import invoice_create_payment_link


def test_it_creates_a_payment_link_with_the_invoice_parameters(fake_cp):
    link = CloudPaymentsAPI().create_payment_link(
        amount=Decimal("32000.10"),
        currency="RUB",
        description="Оплата счёта INV-2026-00001",
        invoice_id="INV-2026-00001",
        account_id="2026-00001",
        email="klient@example.ru",
    )
    assert link.url.startswith("https://orders.cloudpayments.ru/d/")
    endpoint, params = fake_cp.requests[-1]
    assert endpoint == "orders/create"
    assert params["Amount"] == 32000.1
    assert params["InvoiceId"] == "INV-2026-00001"
    assert params["AccountId"] == "2026-00001"
    assert params["Description"] == "Оплата счёта INV-2026-00001"


def test_it_cancels_a_payment_link_which_the_client_cannot(fake_cp):
    api = CloudPaymentsAPI()
    link = api.create_payment_link(
        amount=Decimal("10"),
        currency="RUB",
        description="x",
        invoice_id="INV-1",
        account_id="1",
        email=None,
    )
    api.cancel_payment_link(link.id)
    assert fake_cp.orders[link.id]["Status"] == "Cancelled"
    with pytest.raises(CloudPaymentsRefused, match="Not found"):
        api.cancel_payment_link("no-such-link")


def test_it_finds_a_payment_by_invoice_number_or_says_none(fake_cp):
    fake_cp.add_transaction(transaction_id=555, invoice_id="INV-7", amount=Decimal("99.90"))
    api = CloudPaymentsAPI()
    tx = api.find_payment("INV-7")
    assert (tx.id, tx.amount, tx.status) == (555, Decimal("99.9"), "Completed")
    assert api.find_payment("INV-8") is None
    assert [t.id for t in api.list_payments(timezone.localdate())] == [555]


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("timeout", "no answer in 1s"),
        ("error500", "HTTP 500"),
        ("html", "not JSON"),
    ],
)
def test_it_reports_an_unavailable_api_clearly(fake_cp, mode, message):
    fake_cp.mode = mode
    fake_cp.delay = 2
    with pytest.raises(CloudPaymentsUnavailable, match=message):
        CloudPaymentsAPI().find_payment("INV-1")


def test_it_reports_success_false_with_the_api_message(fake_cp):
    with pytest.raises(CloudPaymentsRefused, match="Description is required"):
        CloudPaymentsAPI().create_payment_link(
            amount=Decimal("1"),
            currency="RUB",
            description=None,
            invoice_id="INV-1",
            account_id="1",
            email=None,
        )


def test_it_refuses_wrong_credentials(fake_cp, settings):
    settings.CLOUDPAYMENTS_API_SECRET = "wrong"
    with pytest.raises(CloudPaymentsRefused, match="HTTP 401"):
        CloudPaymentsAPI().test()


def test_it_stores_the_link_on_the_invoice_once(fake_cp, invoice):
    assert payment_link_create(invoice_id=invoice.pk) is True
    assert payment_link_create(invoice_id=invoice.pk) is False
    invoice.refresh_from_db()
    assert invoice.payment_url.startswith("https://orders.cloudpayments.ru/d/")
    assert [e for e, _ in fake_cp.requests].count("orders/create") == 1
    _, params = fake_cp.requests[0]
    assert params["Amount"] == 32000.0
    assert params["InvoiceId"] == invoice.number


def test_issuing_an_invoice_creates_its_link_after_commit(
    fake_cp, catalogue, staff, seller, manager, django_capture_on_commit_callbacks
):
    from tests.invoices.conftest import make_order

    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    assert invoice.payment_url == fake_cp.orders[invoice.payment_link_id]["Url"]


def test_a_link_that_cannot_be_created_is_retried_then_recorded(fake_cp, invoice, settings):
    from orders.models import Work

    settings.WORK_MAX_ATTEMPTS = 3
    fake_cp.mode = "error500"
    invoice_create_payment_link.apply(args=[invoice.pk])
    invoice.refresh_from_db()
    assert invoice.payment_link_error == ""
    # Its retry waits in the database (the sweep queues it when due), not in the broker.
    work = Work.objects.get(task=invoice_create_payment_link.name, key=str(invoice.pk))
    assert work.attempts == 1
    assert work.next_attempt_at > timezone.now()
    # The last allowed attempt gives up visibly.
    invoice_create_payment_link.apply(args=[invoice.pk])
    invoice_create_payment_link.apply(args=[invoice.pk])
    invoice.refresh_from_db()
    assert invoice.payment_url == ""
    assert "HTTP 500" in invoice.payment_link_error
    work.refresh_from_db()
    assert (work.attempts, work.failed_at is not None) == (3, True)


def test_listing_leaves_refunds_out(fake_cp):
    fake_cp.add_transaction(transaction_id=1, invoice_id="INV-1", amount=Decimal("10"))
    refund = fake_cp.add_transaction(transaction_id=2, invoice_id="INV-1", amount=Decimal("10"))
    refund["Type"] = 2
    assert [t.id for t in CloudPaymentsAPI().list_payments(timezone.localdate())] == [1]
