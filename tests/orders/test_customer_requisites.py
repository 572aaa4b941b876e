"""A business buyer's requisites as the customer record keeps them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from orders.models import Customer

pytestmark = pytest.mark.django_db


def test_a_company_needs_a_ten_digit_inn_and_a_kpp():
    customer = Customer(name="Ирина Власова", kind=Customer.Kind.COMPANY, company="ООО «Яндекс»")
    with pytest.raises(ValidationError) as refused:
        customer.full_clean()
    assert set(refused.value.message_dict) >= {"inn", "kpp"}

    customer.inn, customer.kpp = "7736 207543", "773601001"
    customer.full_clean()
    assert customer.inn == "7736207543"
    assert customer.requisites_line == "ООО «Яндекс», INN 7736207543, KPP 773601001"


def test_a_sole_trader_has_a_twelve_digit_inn_and_no_kpp():
    customer = Customer(
        name="Пётр Соколов", kind=Customer.Kind.SOLE_TRADER, inn="7707083893", kpp="773601001"
    )
    with pytest.raises(ValidationError) as refused:
        customer.full_clean()
    assert "12 digits" in refused.value.message_dict["inn"][0]
    customer.inn = "500100732259"
    customer.full_clean()
    assert customer.kpp == ""


def test_a_mistyped_inn_or_account_is_refused_with_its_reason():
    customer = Customer(
        name="Ирина Власова",
        kind=Customer.Kind.COMPANY,
        inn="7736207544",
        kpp="773601001",
        bik="044525225",
        account="40702810938000012346",
    )
    with pytest.raises(ValidationError) as refused:
        customer.full_clean()
    assert "check digits" in refused.value.message_dict["inn"][0]
    assert "BIK" in refused.value.message_dict["account"][0]


def test_a_person_needs_no_requisites():
    Customer(name="Мария Фёдорова", phone="+7 916 123-45-67").full_clean()


def test_one_inn_is_one_customer():
    Customer.objects.create(name="A", kind=Customer.Kind.COMPANY, inn="7707083893")
    Customer.objects.create(name="B")
    Customer.objects.create(name="C")  # no INN twice is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(name="D", kind=Customer.Kind.COMPANY, inn="7707083893")
