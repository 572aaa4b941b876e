"""Money actions in a real browser."""

from __future__ import annotations

import importlib
import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from invoices.models import Payment, PaymentSource
from orders.models import Stage
from pipeline.payments import payment_register
from tests.browser.conftest import sign_in
from tests.workspace.conftest import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    from django.apps import apps

    if not Group.objects.exists():
        importlib.import_module("orders.migrations.0002_roles_and_defaults").forwards(apps, None)


def test_a_double_click_records_a_refund_once(new_page, staff, catalogue, monkeypatch):
    order = make_order(catalogue=catalogue, manager=staff["manager"], stage=Stage.PREPAYMENT)
    payment, _ = payment_register(
        invoice=order.invoices.get(),
        amount=Decimal("5000.00"),
        source=PaymentSource.MANUAL,
        actor=staff["manager"],
    )
    page = new_page()
    sign_in(page, "masha")
    page.goto(order.get_absolute_url())
    page.click("text=Record a refund")
    page.fill(f"#refund-amount-{payment.pk}", "1000.00")
    page.fill(f"#refund-reason-{payment.pk}", "Клиент вернул стул")

    # A slow server: the first click's request is still being answered when the second
    # click comes.
    from web.orders.views import order as order_views

    give_back = order_views.payment_give_back

    def slowly(**kwargs):
        time.sleep(0.5)
        return give_back(**kwargs)

    monkeypatch.setattr(order_views, "payment_give_back", slowly)
    page.locator("button:has-text('Record the refund')").evaluate(
        "button => { button.click(); setTimeout(() => button.click(), 150); }"
    )
    page.wait_for_timeout(1500)  # long enough for a second request to be answered too
    page.wait_for_load_state("networkidle")

    assert page.locator(".notice").first.inner_text().strip().startswith("Refund recorded.")
    assert Payment.objects.filter(refund_of=payment).count() == 1
