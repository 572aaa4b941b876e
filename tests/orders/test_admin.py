"""Django admin: every model is there, and stage buttons go through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import User

from invoices.models import Invoice, Payment
from orders.models import ApiKey, Order, PaymentScheme, Stage
from tests import factories as f


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("root", "root@example.com", "pass-12345")
    client.force_login(user)
    client.user = user
    return client


def test_every_model_of_ours_is_in_admin():
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    # Totals kept by triggers (<app>.summaries) are not edited by hand.
    summaries = {
        table
        for app in ("orders", "invoices", "production", "logistics")
        if find_spec(f"{app}.summaries")
        for table in getattr(import_module(f"{app}.summaries"), "SUMMARIES_TABLES", [])
    }

    ours = [
        m
        for app in ("orders", "invoices", "production", "logistics")
        for m in apps.get_app_config(app).get_models()
    ]
    inlined = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    missing = [
        m.__name__
        for m in ours
        if m not in admin.site._registry
        and m not in inlined
        and m.__name__ not in ("YearCounter", "BoardCounter")
        and m._meta.db_table not in summaries
    ]
    assert missing == []


@pytest.mark.parametrize(
    "page",
    [
        "orders/order",
        "orders/task",
        "orders/customer",
        "orders/timelineevent",
        "invoices/invoice",
        "invoices/payment",
        "production/product",
        "logistics/carrier",
        "orders/holiday",
        "orders/apikey",
    ],
)
def test_admin_lists_open_with_search_and_filters(admin_client, staff, catalogue, page):
    f.new_order([(catalogue["chair"], 1)])
    assert admin_client.get(f"/admin/{page}/?q=a").status_code == 200


def test_the_order_page_offers_the_stage_buttons(admin_client, staff, catalogue):
    order = f.new_order([(catalogue["chair"], 1)])
    page = admin_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Take into work" in page
    assert "Cancel order…" in page


def test_a_button_runs_the_service_and_shows_a_refusal(admin_client, staff, catalogue):
    order = f.new_order([(catalogue["chair"], 1)])
    url = f"/admin/orders/order/{order.pk}/action/"
    admin_client.post(url + "take_into_work/")
    assert f.refreshed(order).stage == Stage.QUALIFICATION
    assert f.refreshed(order).tasks.get().status == "done"

    response = admin_client.post(url + "qualify/", follow=True)
    assert "Choose the payment scheme." in response.content.decode()
    assert f.refreshed(order).stage == Stage.QUALIFICATION


def test_cancel_asks_for_a_reason(admin_client, staff, catalogue):
    order = f.new_order([(catalogue["chair"], 1)])
    url = f"/admin/orders/order/{order.pk}/cancel/"
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {"reason": "Duplicate of another order"})
    order = f.refreshed(order)
    assert (order.stage, order.lost_reason) == (Stage.LOST, "Duplicate of another order")


def test_a_payment_is_registered_and_reversed_from_admin(admin_client, staff, catalogue):
    order = f.take(f.new_order([(catalogue["chair"], 1)]), staff["manager"])
    order = f.qualify(order, staff["manager"], payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    invoice = order.invoices.get()
    admin_client.post(
        f"/admin/invoices/invoice/{invoice.pk}/register-payment/",
        {"amount": "4000.00", "reference": "п/п 17"},
    )
    assert f.refreshed(order).stage == Stage.PRODUCTION
    payment = Payment.objects.get()
    assert (payment.recorded_by, payment.reference) == (admin_client.user, "п/п 17")

    admin_client.post(f"/admin/invoices/payment/{payment.pk}/reverse/", {"reason": "Wrong order"})
    assert Payment.objects.count() == 2
    assert f.refreshed(order).paid_amount == Decimal("0.00")
    assert Invoice.objects.get().status == "issued"


def test_payments_cannot_be_deleted_in_admin(admin_client, staff, catalogue):
    order = f.take(f.new_order([(catalogue["chair"], 1)]), staff["manager"])
    order = f.qualify(order, staff["manager"], payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    f.pay(order.invoices.get())
    payment = Payment.objects.get()
    assert (
        admin_client.post(
            f"/admin/invoices/payment/{payment.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert Payment.objects.count() == 1


def test_an_api_key_created_in_admin_is_shown_once(admin_client):
    response = admin_client.post(
        "/admin/orders/apikey/add/", {"name": "Web shop", "scopes": ["intake", "read"]}, follow=True
    )
    key = ApiKey.objects.get()
    assert key.scopes == ["intake", "read"]
    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("The key, shown only now: cvr_" + key.prefix) for m in shown)
    assert key.key_hash not in response.content.decode()


def test_an_api_key_needs_a_scope(admin_client):
    response = admin_client.post("/admin/orders/apikey/add/", {"name": "Web shop"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_orders_are_not_added_by_hand_in_admin(admin_client):
    assert admin_client.get("/admin/orders/order/add/").status_code == 403
    assert not Order.objects.exists()


def test_agreed_terms_are_read_only_in_admin_after_qualification(admin_client, staff, catalogue):
    order = f.new_order([(catalogue["chair"], 1)], manager=staff["manager"])
    url = f"/admin/orders/order/{order.pk}/change/"
    assert 'name="payment_scheme"' in admin_client.get(url).content.decode()
    order = f.qualify(
        f.take(order, staff["manager"]), staff["manager"], payment_scheme="postpayment"
    )
    assert order.stage == Stage.PRODUCTION
    page = admin_client.get(url).content.decode()
    for field in ("payment_scheme", "prepayment_amount", "delivery_method", "delivery_cost"):
        assert f'name="{field}"' not in page, field
    assert 'name="manager"' in page


def test_a_new_manager_set_in_admin_is_a_hand_over(admin_client, staff, catalogue, rf):
    from django.contrib.auth.models import Group

    from orders import roles

    dima = User.objects.create_user("dima", first_name="Dima")
    dima.groups.add(Group.objects.get(name=roles.SALES_MANAGERS))
    order = f.new_order([(catalogue["chair"], 1)], manager=staff["manager"])
    model_admin = admin.site._registry[Order]
    request = rf.post("/")
    request.user = admin_client.user
    form_class = model_admin.get_form(request, order)
    initial = form_class(instance=order).initial
    data = {k: ("" if v is None else getattr(v, "pk", v)) for k, v in initial.items()}
    form = form_class(data={**data, "manager": dima.pk}, instance=order)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    order = f.refreshed(order)
    assert order.manager == dima
    assert order.tasks.get().assignee == dima
    assert order.events.filter(text="Order handed over from Masha to Dima").exists()


def test_a_growing_list_is_counted_up_to_a_cap(admin_client, staff, monkeypatch):
    from tests.workspace.conftest import bulk_orders
    from web.admin import big

    monkeypatch.setattr(big, "COUNT_CAP", 3)
    bulk_orders(count=5, manager=staff["manager"])

    page = admin_client.get("/admin/orders/order/").content.decode()

    assert "3+ orders" in " ".join(page.split())
    bulk = admin_client.get("/admin/orders/order/", {"stage__exact": "won"}).content.decode()
    assert "0 orders" in " ".join(bulk.split())


def test_the_order_list_counts_once_with_a_limit(admin_client, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.workspace.conftest import bulk_orders

    bulk_orders(count=5, manager=staff["manager"])
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get("/admin/orders/order/").status_code == 200
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT" in counts[0].upper()
