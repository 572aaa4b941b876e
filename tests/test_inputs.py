"""config.inputs: a NUL byte in a request is a 400 on every page, never a 500 from the
database that cannot store it."""

from __future__ import annotations

import pytest

from orders import roles
from tests.conftest import make_user

PAGES = [
    "/",
    "/invoices/",
    "/invoices/payments/",
    "/logistics/carriers/",
    "/admin/invoices/payment/",
    "/admin/orders/order/",
    "/admin/orders/customer/",
]


@pytest.fixture
def boss(db):
    return make_user(
        "boss", roles.HEAD_OF_SALES, roles.ACCOUNTANTS, is_staff=True, is_superuser=True
    )


@pytest.mark.parametrize("page", PAGES)
def test_a_nul_in_a_search_is_400_on_every_list(client, boss, page):
    client.force_login(boss)
    response = client.get(page, {"q": "стол\x00"})
    assert response.status_code == 400
    assert response.content == b"NUL byte in request"
    assert client.get(page, {"q": "стол"}).status_code == 200


def test_a_nul_anywhere_in_the_query_or_the_path_is_400(client, boss):
    client.force_login(boss)
    assert client.get("/invoices/?q=%00").status_code == 400
    assert client.get("/invoices/?%00=1").status_code == 400
    assert client.get("/invoices/?q=a&q=%00").status_code == 400
    assert client.get("/orders/2026-%0000001/").status_code == 400


def test_a_nul_in_a_cookie_is_400(client, db):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    assert client.get("/login/").status_code == 400


def test_a_nul_in_a_form_field_is_400(client, boss):
    client.force_login(boss)
    response = client.post("/logistics/carriers/new/", {"name": "ПЭК\x00"})
    assert response.status_code == 400
    assert response.content == b"NUL byte in request"


def test_an_ordinary_form_still_reaches_its_view(client, db):
    response = client.post("/login/", {"username": "nobody", "password": "wrong"})
    assert response.status_code in (200, 429)
