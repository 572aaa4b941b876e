"""The qualification form and the new order form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders import rules
from orders.models import Customer, Order, PaymentScheme, Stage

pytestmark = pytest.mark.django_db


def form_data(lines: list[tuple[str, str, str]], **terms) -> dict[str, str]:
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "payment_scheme": "full_prepayment",
        "prepayment_amount": "",
        "delivery_method": "pickup",
        "delivery_cost": "",
        "delivery_address": "",
    }
    for i, (sku, quantity, price) in enumerate(lines):
        data |= {
            f"lines-{i}-product": sku,
            f"lines-{i}-name": "",
            f"lines-{i}-quantity": quantity,
            f"lines-{i}-price": price,
            f"lines-{i}-discount": "",
        }
    return data | terms


def test_it_lists_everything_missing_at_once_and_keeps_the_input(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    data = form_data(
        [("TBL-1", "2", "14000")],
        payment_scheme="partial_prepayment",
        prepayment_amount="0",
        delivery_method="carrier",
        qualify="1",
    )

    response = client.post(f"/orders/{order.number}/edit/", data)

    assert response.status_code == 422
    html = response.content.decode()
    assert str(rules.DELIVERY_COST_MISSING) in html
    assert str(rules.DELIVERY_ADDRESS_MISSING) in html
    assert "With partial prepayment the prepayment must be more than 0" in html
    assert 'value="14000"' in html  # nothing lost
    order.refresh_from_db()
    assert order.stage == Stage.QUALIFICATION
    assert order.lines_total == Decimal("28000.00")  # saved, only not qualified


def test_it_qualifies_with_partial_prepayment(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    data = form_data(
        [("TBL-1", "1", ""), ("CHR-1", "2", "3900")],
        payment_scheme="partial_prepayment",
        prepayment_amount="10000",
        delivery_method="courier",
        delivery_cost="700",
        delivery_address="Moscow, Arbat 5",
        promise="earliest",
        qualify="1",
    )

    response = client.post(f"/orders/{order.number}/edit/", data)

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.stage == Stage.PREPAYMENT
    assert order.total_amount == Decimal("15000.00") + Decimal("7800.00") + Decimal("700.00")
    assert order.invoices.get().amount == Decimal("10000.00")
    assert [line.price for line in order.lines.all()] == [Decimal("15000.00"), Decimal("3900.00")]


def test_it_refuses_an_unknown_product_next_to_its_line(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    response = client.post(
        f"/orders/{order.number}/edit/", form_data([("NOPE-1", "1", "")], save="1")
    )
    assert response.status_code == 422
    assert "No product NOPE-1 in the catalogue." in response.content.decode()


def test_lines_cannot_be_edited_after_qualification(client, staff, order_factory):
    order = order_factory(stage=Stage.PREPAYMENT)
    client.force_login(staff["manager"])
    response = client.get(f"/orders/{order.number}/edit/", follow=True)
    assert str(rules.LINES_LOCKED) in response.content.decode()


def customer_data(**extra) -> dict[str, str]:
    return {
        "customer-name": "Irina Petrova",
        "customer-company": "",
        "customer-phone": "+7 911 123-45-67",
        "customer-email": "irina@example.com",
        "customer-language": "ru",
    } | extra


def test_a_manager_creates_an_order_for_a_new_client(client, staff, catalogue):
    client.force_login(staff["manager"])
    data = customer_data() | form_data([("TBL-1", "1", ""), ("CHR-1", "4", "")], qualify="1")

    response = client.post("/orders/new/", data)

    # Created and taken into work; qualifying waits for the date promised to the client,
    # which the qualification form proposes.
    order = Order.objects.get()
    edit = f"/orders/{order.number}/edit/"
    assert response.status_code == 302 and response["Location"] == f"{edit}?check=1"
    assert str(rules.PROMISE_MISSING) in client.get(response["Location"]).content.decode()
    data = form_data([("TBL-1", "1", ""), ("CHR-1", "4", "")], promise="earliest", qualify="1")
    response = client.post(edit, data)
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    order.refresh_from_db()
    assert order.stage == Stage.PREPAYMENT
    assert order.promised_date is not None
    assert order.manager == staff["manager"]
    assert order.total_amount == Decimal("31000.00")
    assert order.payment_scheme == PaymentScheme.FULL_PREPAYMENT
    assert order.customer.email == "irina@example.com"


def test_a_missing_delivery_cost_stops_the_new_order_with_the_exact_message(
    client, staff, catalogue
):
    client.force_login(staff["manager"])
    data = customer_data() | form_data(
        [("TBL-1", "1", "")], delivery_method="carrier", delivery_address="Kazan", qualify="1"
    )

    response = client.post("/orders/new/", data, follow=True)

    order = Order.objects.get()
    assert order.stage == Stage.QUALIFICATION  # created and kept
    html = response.content.decode()
    assert str(rules.DELIVERY_COST_MISSING) in html
    assert "Kazan</textarea>" in html


def test_it_warns_about_a_client_with_the_same_phone(client, staff, catalogue):
    existing = Customer.objects.create(name="Irina P.", phone="+7 911 123-45-67")
    client.force_login(staff["manager"])
    data = customer_data(**{"customer-email": ""}) | form_data([("TBL-1", "1", "")])

    warned = client.post("/orders/new/", data)

    assert warned.status_code == 422
    assert "A client with this phone or e-mail is already on file." in warned.content.decode()
    assert not Order.objects.exists()

    client.post("/orders/new/", data | {"customer": str(existing.pk)})
    assert Order.objects.get().customer == existing

    client.post("/orders/new/", data | {"confirm_new": "1"})
    assert Customer.objects.filter(phone="+79111234567").count() == 2  # stored in E.164


def test_it_refuses_an_order_without_lines(client, staff, catalogue):
    client.force_login(staff["manager"])
    data = customer_data() | form_data([])
    response = client.post("/orders/new/", data)
    assert response.status_code == 422
    assert str(rules.NO_LINES) in response.content.decode()


def test_a_production_worker_cannot_create_orders(client, staff):
    client.force_login(staff["production"])
    assert client.get("/orders/new/").status_code == 403


def test_the_client_search_finds_by_phone_digits(client, staff):
    Customer.objects.create(name="Semyon", phone="+79111234567")
    client.force_login(staff["manager"])
    html = client.get("/customers/search/", {"q": "Semyon"}).content.decode()
    assert "Semyon" in html
    assert "Semyon" in client.get("/customers/search/", {"q": "911 123"}).content.decode()


def test_an_admin_enters_an_order_and_the_robot_gives_it_to_a_manager(client, staff, catalogue):
    from orders import roles
    from orders.models import Source
    from tests.conftest import make_user

    admin = make_user("alexey", roles.ADMINS, first_name="Alexey")
    client.force_login(admin)
    data = customer_data() | form_data([("TBL-1", "1", "")], qualify="1")
    response = client.post("/orders/new/", data, follow=True)
    order = Order.objects.get()
    assert (order.source, order.stage, order.manager) == (Source.ADMIN, Stage.NEW, staff["manager"])
    assert order.tasks.get().assignee == staff["manager"]
    assert f"Order {order.number} created and given to Masha." in response.content.decode()
