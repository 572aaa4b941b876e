"""The intake API the web shop calls."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import ApiKey, Customer, Order, OrderLine, Stage, Task, TimelineEvent
from orders.services.api_keys import api_key_create
from tests import factories as f

URL = "/api/v1/orders/"


@pytest.fixture
def key(db) -> str:
    return api_key_create(name="Web shop", scopes=["intake", "read"])[1]


@pytest.fixture
def post(client, key):
    def send(body, *, token: str | None = None, raw: bytes | None = None):
        return client.post(
            URL,
            raw if raw is not None else json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token or key}"},
        )

    return send


def valid(**overrides) -> dict:
    body = {
        "external_id": "shop-1001",
        "customer": {
            "name": "Анна Иванова",
            "email": "anna@example.com",
            "phone": "+7 900 000-00-01",
        },
        "lines": [{"sku": "TBL-1", "quantity": 1}, {"sku": "CHR-1", "quantity": "2.5"}],
        "delivery": {"method": "carrier", "address": "Москва, ул. Лесная, 5"},
        "comment": "Позвоните заранее",
    }
    body.update(overrides)
    return body


def nothing_created() -> bool:
    return not (
        Order.objects.exists()
        or Customer.objects.exists()
        or OrderLine.objects.exists()
        or Task.objects.exists()
        or TimelineEvent.objects.exists()
    )


def test_it_creates_an_assigned_order(post, staff, catalogue):
    response = post(valid())
    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert body == {
        "number": order.number,
        "stage": "new",
        "url": f"http://testserver/orders/{order.number}/",
    }
    assert order.number == f"{timezone.localdate().year}-00001"
    assert (order.source, order.external_id, order.manager) == (
        "web_shop",
        "shop-1001",
        staff["manager"],
    )
    assert order.total_amount == Decimal("25000.00")  # 15,000 + 2.5 × 4,000
    assert order.delivery_address == "Москва, ул. Лесная, 5"
    assert order.events.get().text == "Позвоните заранее"
    assert order.tasks.get().assignee == staff["manager"]


def test_an_order_priced_in_the_companys_currency_is_taken(post, staff, catalogue, settings):
    settings.ORDER_CURRENCY = "KZT"
    response = post(valid(currency="KZT"))
    assert response.status_code == 201
    assert Order.objects.get(number=response.json()["number"]).currency == "KZT"


def test_the_same_external_id_again_returns_the_same_order(post, staff, catalogue):
    first = post(valid()).json()
    again = post(valid(lines=[{"sku": "CHR-1", "quantity": 9}]))
    assert again.status_code == 200
    assert again.json() == first
    assert Order.objects.count() == 1
    assert Order.objects.get().lines_count == 2


def test_a_returning_client_is_recognised_by_email(post, staff, catalogue):
    post(valid())
    post(
        valid(external_id="shop-1002", customer={"name": "А. Иванова", "email": "ANNA@example.com"})
    )
    assert Customer.objects.count() == 1
    assert Customer.objects.get().orders.count() == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"external_id": ""}, "external_id", "This field is required."),
        ({"customer": None}, "customer", "This field is required."),
        ({"customer": {"name": "", "email": "a@b.ru"}}, "customer.name", "This field is required."),
        (
            {"customer": {"name": "A", "email": "not-an-email"}},
            "customer.email",
            "Enter a valid e-mail address.",
        ),
        (
            {"customer": {"name": "A"}},
            "customer",
            "Give an e-mail or a phone so we can reach the client.",
        ),
        ({"lines": []}, "lines", "Give at least one line."),
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines[0].sku", "Unknown product SKU: NOPE."),
        (
            {"lines": [{"sku": "TBL-1", "quantity": 0}]},
            "lines[0].quantity",
            "The quantity must be a number more than 0, at most 3 decimals.",
        ),
        (
            {"lines": [{"sku": "TBL-1", "quantity": "many"}]},
            "lines[0].quantity",
            "The quantity must be a number more than 0, at most 3 decimals.",
        ),
        (
            {"lines": [{"sku": "TBL-1", "quantity": 1.0001}]},
            "lines[0].quantity",
            "The quantity must be a number more than 0, at most 3 decimals.",
        ),
        (
            {"delivery": {"method": "teleport"}},
            "delivery.method",
            "Use one of: pickup, courier, carrier.",
        ),
        (
            {"delivery": {"method": "courier", "address": ""}},
            "delivery.address",
            "The address is required unless the client picks up.",
        ),
        ({"comment": 42}, "comment", "Must be text of at most 5000 characters."),
        ({"currency": "USD"}, "currency", "Prices must be in RUB, the company's currency."),
        (
            {"lines": [{"sku": "TBL-1", "quantity": 1, "price": "-1"}]},
            "lines[0].price",
            "Must be an amount of at least 0, at most 2 decimals.",
        ),
        (
            {"lines": [{"sku": "TBL-1", "quantity": 1, "discount": "1.001"}]},
            "lines[0].discount",
            "Must be an amount of at least 0, at most 2 decimals.",
        ),
        (
            {"delivery": {"method": "courier", "address": "Тверская 1", "cost": "free"}},
            "delivery.cost",
            "Must be an amount of at least 0, at most 2 decimals.",
        ),
        (
            {"lines": [{"sku": "TBL-1", "quantity": 1, "price": 100, "discount": 200}]},
            "lines",
            "The discount cannot exceed the line amount.",
        ),
    ],
)
def test_each_invalid_field_is_reported_and_nothing_is_created(
    post, staff, catalogue, change, field, message
):
    response = post(valid(**change))
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert nothing_created()


def test_the_shops_prices_discounts_and_delivery_cost_stand(post, staff, catalogue):
    body = valid(
        lines=[
            {"sku": "TBL-1", "quantity": 1, "price": "13990.00", "discount": "990"},
            {"sku": "CHR-1", "quantity": 2},
        ],
        delivery={"method": "courier", "address": "Москва, Тверская 1", "cost": 700},
    )
    response = post(body)
    assert response.status_code == 201
    order = Order.objects.get(number=response.json()["number"])
    table, chair = order.lines.order_by("id")
    assert (table.price, table.discount, table.amount) == (
        Decimal("13990.00"),
        Decimal("990.00"),
        Decimal("13000.00"),
    )
    assert chair.price == Decimal("4000.00")  # not sent: the catalogue's price
    assert order.delivery_cost == Decimal("700.00")
    assert order.total_amount == Decimal("21700.00")


def test_every_problem_is_reported_at_once(post, staff, catalogue):
    response = post({"lines": [{"sku": "X", "quantity": -1}]})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "external_id",
        "customer",
        "lines[0].sku",
        "lines[0].quantity",
    }


def test_a_body_that_is_not_json_is_refused(post, staff, catalogue):
    response = post(None, raw=b"{not json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"__all__": ["The body is not valid JSON."]}}


def test_an_inactive_product_is_refused(post, staff, catalogue):
    catalogue["chair"].is_active = False
    catalogue["chair"].save()
    response = post(valid())
    assert response.json()["errors"] == {"lines[1].sku": ["Unknown product SKU: CHR-1."]}
    assert nothing_created()


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer cvr_00000000_nope", "Basic abc"])
def test_a_bad_key_is_refused(client, staff, catalogue, header, key):
    response = client.post(
        URL,
        json.dumps(valid()),
        content_type="application/json",
        headers={"Authorization": header} if header else {},
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="conveyor"'
    assert nothing_created()


def test_a_revoked_key_is_refused(post, key, staff, catalogue):
    ApiKey.objects.update(revoked_at=timezone.now())
    assert post(valid()).status_code == 401


def test_keys_are_stored_hashed(key):
    stored = ApiKey.objects.get()
    assert key not in (stored.key_hash, stored.prefix)
    assert len(stored.key_hash) == 64


def test_get_returns_the_money_and_the_invoices(client, key, staff, catalogue):
    from orders.models import PaymentScheme

    order = f.take(f.new_order([(catalogue["table"], 2)]), staff["manager"])
    order = f.qualify(
        order,
        staff["manager"],
        payment_scheme=PaymentScheme.PARTIAL_PREPAYMENT,
        prepayment_amount=Decimal("10000"),
    )
    invoice = order.invoices.get()
    f.pay(invoice, Decimal("4000"))
    Order.objects.filter(pk=order.pk).update(api_key=ApiKey.objects.get())  # the shop's order

    response = client.get(f"{URL}{order.number}/", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("number", "stage", "total", "paid", "balance")} == {
        "number": order.number,
        "stage": Stage.PREPAYMENT,
        "total": "30000.00",
        "paid": "4000.00",
        "balance": "26000.00",
    }
    assert [(i["number"], i["kind"], i["amount"], i["status"]) for i in body["invoices"]] == [
        (invoice.number, "prepayment", "10000.00", "partially_paid")
    ]
    assert "public_url" in body["invoices"][0]


def test_get_needs_a_key_and_an_existing_order(client, key, db):
    assert client.get(f"{URL}2026-99999/").status_code == 401
    assert (
        client.get(f"{URL}2026-99999/", headers={"Authorization": f"Bearer {key}"}).status_code
        == 404
    )


def test_intake_runs_a_fixed_number_of_queries(post, staff, catalogue, django_assert_num_queries):
    post(valid(external_id="warm-up"))  # the calendar row exists from the first order on
    lines = [{"sku": "TBL-1", "quantity": 1}] * 5
    # key lookup + last_used; products; duplicate check; 2 savepoints; the client's contacts
    # locked; returning customer found by e-mail; order counter (lock, update); order insert;
    # lines bulk insert; manager pick (lock profiles + stamp); manager update; created event;
    # calendar + holidays; SLA; task insert; bell; recalculate (lines, payments, next deadline,
    # update); 2 savepoint releases.
    with django_assert_num_queries(27):
        assert post(valid(external_id="shop-5", lines=lines)).status_code == 201
    with django_assert_num_queries(27):
        lines = [{"sku": "CHR-1", "quantity": 1}] * 40
        assert post(valid(external_id="shop-40", lines=lines)).status_code == 201


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"lines": [{"sku": "TBL-1", "quantity": 1e30}]},
            "lines[0].quantity",
            "Must be less than 1 000 000 000.",
        ),
        (
            {"lines": [{"sku": "TBL-1", "quantity": "NaN"}]},
            "lines[0].quantity",
            "The quantity must be a number more than 0, at most 3 decimals.",
        ),
        (
            {"lines": [{"sku": "TBL-1", "quantity": True}]},
            "lines[0].quantity",
            "The quantity must be a number more than 0, at most 3 decimals.",
        ),
        (
            {"lines": [{"sku": "TBL-1", "quantity": 1, "price": "1e20"}]},
            "lines[0].price",
            "Must be less than 1 000 000 000 000.",
        ),
        (
            {"lines": [{"sku": "TBL-1", "quantity": 999_999, "price": "999999999.99"}]},
            "__all__",
            "The order's total must be less than 1 000 000 000 000.",
        ),
        (
            {"delivery": {"method": "courier", "address": "Тверская 1", "cost": 1e15}},
            "delivery.cost",
            "Must be less than 1 000 000 000 000.",
        ),
        (
            {"customer": {"name": "Анна\x00", "email": "anna@example.com"}},
            "customer.name",
            "Must not contain the NUL character or broken Unicode.",
        ),
        (
            {"lines": [{"sku": "TBL-1\x00", "quantity": 1}]},
            "lines[0].sku",
            "Must not contain the NUL character or broken Unicode.",
        ),
        (
            {"comment": "\ud800"},
            "comment",
            "Must not contain the NUL character or broken Unicode.",
        ),
        ({"external_id": "x" * 101}, "external_id", "At most 100 characters."),
        ({"comment": "x" * 5001}, "comment", "Must be text of at most 5000 characters."),
        ({"customer": "Анна"}, "customer", "Must be an object."),
        ({"lines": [{"sku": "TBL-1", "quantity": 1}] * 201}, "lines", "At most 200 lines."),
        ({"lines": [["TBL-1", 1]]}, "lines[0]", "Must be an object."),
        (
            {"customer": {"name": "A", "phone": "12"}},
            "customer.phone",
            "Enter a valid phone number, for example +7 900 000-00-01 "
            "(another country's with its code).",
        ),
    ],
)
def test_hostile_values_are_refused_with_their_field(
    post, staff, catalogue, change, field, message
):
    response = post(valid(**change))
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert nothing_created()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 1000 + b"]" * 1000, "The body is nested deeper than 20 levels."),
        (b'{"a": ' * 25 + b"1" + b"}" * 25, "The body is nested deeper than 20 levels."),
        (b'{"external_id": NaN}', "The body is not valid JSON."),
        (b"\xff\xfe", "The body is not valid JSON."),
        (b"[]", "The body must be a JSON object."),
        (b'"order"', "The body must be a JSON object."),
        (b"", "The body must be a JSON object."),
    ],
)
def test_a_body_that_is_not_an_order_is_refused_as_a_whole(post, staff, catalogue, raw, message):
    response = post(None, raw=raw)
    assert response.status_code == 400
    assert response.json() == {"errors": {"__all__": [message]}}
    assert nothing_created()


def test_brackets_inside_strings_are_not_nesting(post, staff, catalogue):
    response = post(valid(comment="[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{{{{"))
    assert response.status_code == 201


def test_a_key_without_the_intake_scope_is_refused(post, staff, catalogue):
    _key, reader = api_key_create(name="Reader", scopes=["read"])
    response = post(valid(), token=reader)
    assert response.status_code == 403
    assert response.json() == {
        "error": "This API key may not do this: it needs the “intake” scope."
    }
    assert nothing_created()


def test_an_order_records_the_key_that_sent_it(post, staff, catalogue):
    number = post(valid()).json()["number"]
    assert Order.objects.get(number=number).api_key == ApiKey.objects.get()


def test_a_shop_key_reads_only_the_orders_it_sent(client, post, staff, catalogue):
    mine = post(valid()).json()["number"]
    other_shop = api_key_create(name="Other shop", scopes=["intake", "read"])[1]
    accounting = api_key_create(name="1C", scopes=["accounting", "read"])[1]
    intake_only = api_key_create(name="Intake only", scopes=["intake"])[1]

    def read(token: str):
        return client.get(f"{URL}{mine}/", headers={"Authorization": f"Bearer {token}"})

    assert read(other_shop).status_code == 404
    assert read(other_shop).json() == {"error": f"No order {mine}."}
    assert read(accounting).status_code == 200
    assert read(accounting).json()["number"] == mine
    assert read(intake_only).status_code == 403


@pytest.mark.parametrize("number", ["x" * 300, "..", "2026-00001 OR 1=1", "2026-1%E2%80%8B"])
def test_a_malformed_order_number_is_not_found(client, key, db, number):
    response = client.get(f"{URL}{number}/", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 404


def test_a_nul_in_the_order_number_is_refused(client, key, db):
    response = client.get(f"{URL}2026-00001%00/", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400


def test_refusals_speak_the_callers_language(client, key, staff, catalogue):
    response = client.post(
        URL,
        json.dumps(valid(lines=[{"sku": "TBL-1", "quantity": 1e30}])),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", "Accept-Language": "ru"},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"lines[0].quantity": ["Должно быть меньше 1 000 000 000."]}


def test_status_runs_a_fixed_number_of_queries(
    client, post, key, staff, catalogue, django_assert_num_queries
):
    number = post(valid()).json()["number"]
    # key lookup + last_used; the order; its invoices.
    with django_assert_num_queries(4):
        response = client.get(f"{URL}{number}/", headers={"Authorization": f"Bearer {key}"})
    assert response.json()["invoices"] == []


def test_a_refusal_quotes_the_sku_as_sent(post, staff, catalogue):
    response = post(valid(lines=[{"sku": "{sku} %s", "quantity": 1}]))
    assert response.json()["errors"] == {"lines[0].sku": ["Unknown product SKU: {sku} %s."]}
