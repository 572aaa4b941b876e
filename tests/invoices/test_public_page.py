"""The client's page /i/<token>/: unguessable, stored hashed, revocable, expiring."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from invoices.models import Invoice
from invoices.services import invoice_link_renew, invoice_link_revoke
from orders.models import Order
from orders.services.api_keys import api_key_create
from pipeline.orders import order_cancel


def _path(invoice: Invoice) -> str:
    return invoice.public_url.replace("http://testserver", "")


def test_the_token_is_random_long_and_only_its_hash_is_stored(invoice, catalogue, manager):
    from tests.invoices.conftest import make_order

    token = invoice.public_token
    assert len(token) * 4 >= 128
    assert token not in str(Invoice.objects.filter(pk=invoice.pk).values().get())
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM invoices_invoice WHERE id = %s", [invoice.pk])
        assert token not in " ".join(map(str, cursor.fetchone()))
    other = make_order(catalogue=catalogue, manager=manager).invoices.get()
    assert other.public_token != token


def test_the_page_shows_the_invoice_and_bank_details_without_cloudpayments(client, invoice, seller):
    response = client.get(_path(invoice))
    assert response.status_code == 200
    page = response.content.decode()
    assert invoice.number in page
    assert "32 000,00" in page or "32,000.00" in page
    assert seller.account in page and seller.bik in page
    assert 'id="pay-by-card"' not in page
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    # Nothing of the company's other pages is reachable from it.
    assert "/orders/" not in page and "/admin/" not in page and "/invoices/" not in page


def test_the_page_has_the_card_widget_when_cloudpayments_is_configured(
    client, invoice, cloudpayments
):
    page = client.get(_path(invoice)).content.decode()
    assert 'id="pay-by-card"' in page
    assert "widget.cloudpayments.ru" in page
    assert '"publicId": "pk_test_conveyor"' in page
    assert f'"invoiceId": "{invoice.number}"' in page
    assert f'"accountId": "{invoice.order.number}"' in page
    assert '"amount": "32000.00"' in page
    assert '"currency": "RUB"' in page
    assert '"email": "klient@example.ru"' in page
    assert 'id="bank-details"' not in page


def test_the_paid_state_shows_and_the_pay_button_goes(client, invoice, cloudpayments):
    from pipeline.payments import payment_register

    payment_register(invoice=invoice, amount=invoice.amount, source="manual")
    page = client.get(_path(invoice)).content.decode()
    assert 'id="pay-by-card"' not in page
    assert "Paid" in page or "Оплачено" in page


def test_the_client_downloads_the_pdf(client, invoice):
    response = client.get(_path(invoice) + "pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_wrong_token_is_a_404(client, invoice):
    assert client.get("/i/" + "0" * 40 + "/").status_code == 404
    assert client.get("/i/" + "0" * 40 + "/pdf/").status_code == 404


def test_a_revoked_link_is_a_404_and_a_renewed_one_works(client, invoice, manager):
    old = _path(invoice)
    invoice_link_revoke(invoice=invoice, actor=manager)
    invoice.refresh_from_db()
    assert invoice.public_url is None
    assert client.get(old).status_code == 404
    invoice_link_renew(invoice=invoice, actor=manager)
    invoice.refresh_from_db()
    assert _path(invoice) != old
    assert client.get(_path(invoice)).status_code == 200
    assert client.get(old).status_code == 404


def test_the_link_expires_with_the_invoice(client, invoice, time_machine, manager):
    path = _path(invoice)
    time_machine.move_to(invoice.expires_at + dt.timedelta(seconds=1))
    assert client.get(path).status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).public_url is None


def test_a_void_invoice_has_no_link(client, invoice, manager):
    path = _path(invoice)
    order_cancel(order=invoice.order, actor=manager, reason="Клиент отказался")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("misses", [20])
def test_guessing_is_rate_limited_but_a_right_link_is_always_served(
    client, invoice, settings, misses
):
    """One guesser behind an office NAT must not lock the colleagues out of their
    invoices: only the misses are answered 429."""
    settings.INVOICE_LINK_MISSES_PER_HOUR = misses
    for i in range(misses):
        assert client.get(f"/i/{i:040d}/").status_code == 404
    assert client.get("/i/" + "f" * 40 + "/").status_code == 429
    assert client.get(_path(invoice)).status_code == 200
    assert client.get(_path(invoice) + "pdf/").status_code == 200
    assert client.get("/i/" + "e" * 40 + "/pdf/").status_code == 429


def test_the_intake_api_returns_the_public_link(client, invoice):
    key, plain = api_key_create(name="Web shop", scopes=["intake", "read"])
    Order.objects.filter(pk=invoice.order_id).update(api_key=key)  # the shop sent it in
    response = client.get(
        f"/api/v1/orders/{invoice.order.number}/", HTTP_AUTHORIZATION=f"Bearer {plain}"
    )
    assert response.status_code == 200
    [data] = response.json()["invoices"]
    assert data["public_url"] == invoice.public_url
    assert client.get(data["public_url"].replace("http://testserver", "")).status_code == 200


def test_after_a_secret_key_change_the_old_link_works_and_staff_issue_a_new_one(
    client, invoice, settings, manager
):
    old = _path(invoice)
    settings.SECRET_KEY = "a-rotated-secret-key"
    assert invoice.public_url is None
    assert client.get(old).status_code == 200
    invoice_link_renew(invoice=invoice, actor=manager)
    invoice.refresh_from_db()
    assert client.get(_path(invoice)).status_code == 200


def test_behind_a_proxy_each_client_is_limited_by_its_own_address(client, settings, db):
    """Behind one proxy every request comes from the proxy's address: the limit keys on
    the address the proxy saw, and a forged X-Forwarded-For prefix changes nothing."""
    from django.core.cache import cache

    cache.clear()
    settings.INVOICE_LINK_MISSES_PER_HOUR = 3
    settings.TRUSTED_PROXY_COUNT = 1
    guesser = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for i in range(3):
        assert client.get(f"/i/{i:040d}/", **guesser).status_code == 404
    assert client.get("/i/" + "f" * 40 + "/", **guesser).status_code == 429
    forged = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}
    assert client.get("/i/" + "e" * 40 + "/", **forged).status_code == 429
    # Another client through the same proxy is not punished for the guesser.
    other = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert client.get("/i/" + "f" * 40 + "/", **other).status_code == 404
    cache.clear()
