"""One INN, one customer, also when two people save it at the same moment."""

from __future__ import annotations

import pytest

from orders.models import Customer
from orders.rules import OrderError
from orders.services.customers import buyer_find_or_create, order_buyer_save
from tests import factories as f
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROMASHKA = {
    "kind": "company",
    "company": "ООО «Ромашка»",
    "inn": "7707083893",
    "kpp": "773601001",
}


def test_two_managers_saving_one_new_inn_make_one_customer(staff, catalogue):
    first = f.new_order([(catalogue["table"], 1)], client=f.customer(phone="+79000000001"))
    second = f.new_order([(catalogue["table"], 1)], client=f.customer(phone="+79000000002"))

    results = race(
        lambda: order_buyer_save(order=first, actor=staff["manager"], requisites=ROMASHKA),
        lambda: order_buyer_save(order=second, actor=staff["manager"], requisites=ROMASHKA),
    )

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], OrderError)
    assert "ООО «Ромашка»" in refused[0].errors["inn"][0]
    assert Customer.objects.filter(inn="7707083893").count() == 1


def test_two_intakes_with_one_new_inn_share_one_customer(db):
    def intake(email: str) -> Customer:
        return buyer_find_or_create(
            name="Ольга", email=email, phone="", language="ru", requisites=ROMASHKA
        )

    results = race(lambda: intake("a@romashka.ru"), lambda: intake("b@romashka.ru"))

    assert all(isinstance(r, Customer) for r in results), results
    assert len({r.pk for r in results}) == 1
