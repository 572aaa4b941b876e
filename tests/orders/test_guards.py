"""Every guard of the funnel refuses with its exact message and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from invoices import payments as money
from invoices.models import InvoiceStatus, PaymentSource
from orders import rules
from orders.models import DeliveryMethod, PaymentScheme, Stage, TaskKind
from orders.rules import OrderError
from orders.services.common import lock_order
from orders.services.orders import LineInput, order_update
from pipeline.orders import (
    order_cancel,
    order_finish_production,
    order_qualify,
    order_request_delivery_details,
    order_save_delivery_details,
    order_start_production,
    order_take_into_work,
)
from pipeline.payments import payment_register
from pipeline.promise import order_promise
from pipeline.work import task_complete
from tests import factories as f


@pytest.fixture
def in_qualification(staff, catalogue):
    order = f.take(f.new_order([(catalogue["table"], 1)]), staff["manager"])
    return order_promise(order=order, actor=staff["manager"])


def refused(call, **kwargs) -> OrderError:
    with pytest.raises(OrderError) as caught:
        call(**kwargs)
    return caught.value


def test_it_refuses_qualification_without_lines(in_qualification, manager):
    order_update(
        order=in_qualification, actor=manager, lines=[], payment_scheme=PaymentScheme.POSTPAYMENT
    )
    error = refused(order_qualify, order=in_qualification, actor=manager)
    assert error.errors == {"lines": [str(rules.NO_LINES)]}
    assert f.refreshed(in_qualification).stage == Stage.QUALIFICATION


def test_it_refuses_qualification_with_a_zero_total(in_qualification, manager, catalogue):
    order_update(
        order=in_qualification,
        actor=manager,
        payment_scheme=PaymentScheme.POSTPAYMENT,
        lines=[
            LineInput(product=catalogue["chair"], quantity=Decimal(1), discount=Decimal("4000"))
        ],
    )
    error = refused(order_qualify, order=in_qualification, actor=manager)
    assert error.errors == {"lines": [str(rules.TOTAL_NOT_POSITIVE)]}


def test_it_lists_everything_missing_at_once(in_qualification, manager):
    order_update(order=in_qualification, actor=manager, delivery_method=DeliveryMethod.COURIER)
    error = refused(order_qualify, order=in_qualification, actor=manager)
    assert error.errors == {
        "payment_scheme": [str(rules.SCHEME_MISSING)],
        "delivery_cost": [str(rules.DELIVERY_COST_MISSING)],
        "delivery_address": [str(rules.DELIVERY_ADDRESS_MISSING)],
    }


def test_it_refuses_qualification_without_delivery_cost(in_qualification, manager):
    order_update(
        order=in_qualification,
        actor=manager,
        payment_scheme=PaymentScheme.FULL_PREPAYMENT,
        delivery_method=DeliveryMethod.CARRIER,
        delivery_address="Москва",
    )
    error = refused(order_qualify, order=in_qualification, actor=manager)
    assert error.message == (
        "Fill in the delivery cost: it is required unless the client picks the order up."
    )
    assert f.refreshed(in_qualification).invoices.count() == 0


@pytest.mark.parametrize("prepayment", ["0", "15000", "20000"])
def test_it_refuses_a_partial_prepayment_out_of_range(in_qualification, manager, prepayment):
    order_update(
        order=in_qualification,
        actor=manager,
        payment_scheme=PaymentScheme.PARTIAL_PREPAYMENT,
        prepayment_amount=Decimal(prepayment),
    )
    error = refused(order_qualify, order=in_qualification, actor=manager)
    assert error.errors == {
        "prepayment_amount": [
            "With partial prepayment the prepayment must be more than 0 and less than the order "
            "total (15,000.00\xa0₽)."
        ]
    }


def test_full_prepayment_follows_the_total_and_postpayment_is_zero(in_qualification, manager):
    order = order_update(
        order=in_qualification,
        actor=manager,
        payment_scheme=PaymentScheme.FULL_PREPAYMENT,
        prepayment_amount=Decimal("1"),
    )
    assert order.prepayment_amount == Decimal("15000.00")
    order = order_update(
        order=order,
        actor=manager,
        payment_scheme=PaymentScheme.POSTPAYMENT,
        prepayment_amount=Decimal("500"),
    )
    assert order.prepayment_amount == Decimal("0.00")


def test_it_refuses_to_start_production_while_the_prepayment_is_unpaid(in_qualification, manager):
    order = f.qualify(in_qualification, manager, payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    f.pay(order.invoices.get(), Decimal("1000"))
    error = refused(order_start_production, order=order, actor=manager)
    assert error.message == (
        "The prepayment is not paid yet: 1,000.00\xa0₽ of 15,000.00\xa0₽ received."
    )
    assert f.refreshed(order).stage == Stage.PREPAYMENT


def test_it_refuses_delivery_details_while_a_balance_is_due(staff, catalogue):
    order = f.take(f.new_order([(catalogue["chair"], 1)]), staff["manager"])
    order = f.make_all_lines(
        f.qualify(order, staff["manager"], payment_scheme=PaymentScheme.POSTPAYMENT)
    )
    assert order.stage == Stage.POSTPAYMENT
    error = refused(order_request_delivery_details, order=order, actor=staff["manager"])
    assert error.message == "The order is not paid in full: 4,000.00\xa0₽ is still due."


def test_it_refuses_to_finish_production_with_lines_unmade(staff, catalogue):
    order = f.take(
        f.new_order([(catalogue["chair"], 1), (catalogue["table"], 1)]), staff["manager"]
    )
    order = f.qualify(order, staff["manager"], payment_scheme=PaymentScheme.POSTPAYMENT)
    first = order.tasks.filter(kind=TaskKind.PRODUCE_LINE).first()
    task_complete(task=first, actor=staff["production"])
    with transaction.atomic():
        locked = lock_order(order)
        error = refused(order_finish_production, order=locked, actor=staff["manager"])
    assert error.message == "Production is not finished: 1 of 2 lines made."
    assert f.refreshed(order).stage == Stage.PRODUCTION


@pytest.mark.parametrize(
    ("method", "details", "field", "message"),
    [
        (DeliveryMethod.PICKUP, {}, "pickup_date", rules.PICKUP_DATE_MISSING),
        (
            DeliveryMethod.CARRIER,
            {"planned_ship_date": dt.date(2030, 1, 9)},
            "carrier",
            rules.CARRIER_MISSING,
        ),
        (DeliveryMethod.COURIER, {}, "planned_ship_date", rules.SHIP_DATE_MISSING),
        (
            DeliveryMethod.COURIER,
            {"planned_ship_date": dt.date(2030, 1, 9), "delivery_address": " "},
            "delivery_address",
            rules.DELIVERY_ADDRESS_MISSING,
        ),
    ],
)
def test_it_refuses_incomplete_delivery_details(staff, catalogue, method, details, field, message):
    order = f.take(
        f.new_order([(catalogue["chair"], 1)], method=method, address="Москва"), staff["manager"]
    )
    order = f.qualify(
        order,
        staff["manager"],
        payment_scheme=PaymentScheme.FULL_PREPAYMENT,
        delivery_cost=Decimal("500"),
    )
    f.pay(order.invoices.get())
    order = f.make_all_lines(order)
    assert order.stage == Stage.DELIVERY_DETAILS
    error = refused(order_save_delivery_details, order=order, actor=staff["manager"], **details)
    assert error.errors == {field: [str(message)]}
    assert f.refreshed(order).stage == Stage.DELIVERY_DETAILS


def test_it_refuses_to_cancel_without_a_reason(in_qualification, manager):
    error = refused(order_cancel, order=in_qualification, actor=manager, reason="  ")
    assert error.errors == {"reason": ["Give the reason for cancelling the order."]}
    assert f.refreshed(in_qualification).stage == Stage.QUALIFICATION


def test_it_refuses_actions_in_the_wrong_stage(in_qualification, manager):
    error = refused(order_take_into_work, order=in_qualification, actor=manager)
    assert error.message == (
        f"Order {in_qualification.number} is in the “Qualification” stage; this cannot be "
        "done there."
    )
    order_cancel(order=in_qualification, actor=manager, reason="Duplicate")
    error = refused(order_cancel, order=in_qualification, actor=manager, reason="Again")
    assert "is in the “Lost” stage" in error.message


def test_it_refuses_to_change_lines_after_qualification(in_qualification, manager):
    order = f.qualify(in_qualification, manager, payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    error = refused(order_update, order=order, actor=manager, lines=[])
    assert error.message == str(rules.LINES_LOCKED)
    assert f.refreshed(order).lines_count == 1


def test_it_refuses_to_complete_a_task_twice(staff, catalogue):
    order = f.new_order([(catalogue["chair"], 1)])
    task = order.tasks.get()
    task_complete(task=task, actor=staff["manager"])
    error = refused(task_complete, task=task, actor=staff["manager"])
    assert error.message == "This task is already Done."


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"quantity": Decimal("0")}, rules.QUANTITY_NOT_POSITIVE),
        ({"quantity": Decimal("1"), "discount": Decimal("4000.01")}, rules.DISCOUNT_TOO_BIG),
    ],
)
def test_it_refuses_bad_lines_and_keeps_the_old_ones(
    in_qualification, manager, catalogue, line, message
):
    error = refused(
        order_update,
        order=in_qualification,
        actor=manager,
        lines=[LineInput(product=catalogue["chair"], **line)],
    )
    assert error.errors == {"lines": [str(message)]}
    assert list(f.refreshed(in_qualification).lines.values_list("sku", flat=True)) == ["TBL-1"]


def test_it_refuses_a_product_no_longer_sold(in_qualification, manager, catalogue):
    catalogue["chair"].is_active = False
    catalogue["chair"].save()
    error = refused(
        order_update,
        order=in_qualification,
        actor=manager,
        lines=[LineInput(product=catalogue["chair"], quantity=Decimal(1))],
    )
    assert error.errors == {"lines": ["Product CHR-1 is no longer sold."]}


def test_the_stage_cannot_be_assigned_directly(in_qualification):
    with pytest.raises(AttributeError):
        in_qualification.stage = Stage.WON


class TestPaymentGuards:
    @pytest.fixture
    def invoice(self, in_qualification, manager):
        order = f.qualify(in_qualification, manager, payment_scheme=PaymentScheme.FULL_PREPAYMENT)
        return order.invoices.get()

    def test_it_refuses_a_payment_that_is_not_positive(self, invoice):
        error = refused(
            payment_register,
            invoice=invoice,
            amount=Decimal("0"),
            source=PaymentSource.MANUAL,
        )
        assert error.errors == {"amount": ["The amount must be more than 0."]}
        assert invoice.payments.count() == 0

    def test_it_refuses_a_payment_in_another_currency(self, invoice):
        error = refused(
            payment_register,
            invoice=invoice,
            amount=Decimal("10"),
            source=PaymentSource.MANUAL,
            currency="USD",
        )
        assert error.message == f"Invoice {invoice.number} is in RUB, not USD."

    def test_it_refuses_a_payment_on_a_void_invoice(self, invoice, manager):
        order_cancel(order=invoice.order, actor=manager, reason="Gone")
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.VOID
        error = refused(
            payment_register,
            invoice=invoice,
            amount=Decimal("10"),
            source=PaymentSource.MANUAL,
        )
        assert error.message == f"Invoice {invoice.number} is void; it cannot be paid."

    def test_a_reversal_needs_a_reason_and_happens_once(self, invoice, accountant):
        payment, _ = payment_register(
            invoice=invoice, amount=Decimal("1000"), source=PaymentSource.MANUAL, actor=accountant
        )
        error = refused(money.payment_reverse, payment=payment, actor=accountant, reason="")
        assert error.errors == {"reason": ["Give the reason for the reversal."]}
        reversal = money.payment_reverse(payment=payment, actor=accountant, reason="Typo")
        assert reversal.amount == Decimal("-1000.00")
        error = refused(money.payment_reverse, payment=payment, actor=accountant, reason="Again")
        assert error.message == "This payment has already been reversed."
        error = refused(money.payment_reverse, payment=reversal, actor=accountant, reason="Un")
        assert error.message == "A reversal cannot itself be reversed."
        invoice.refresh_from_db()
        assert (invoice.paid_amount, invoice.status) == (Decimal("0.00"), InvoiceStatus.ISSUED)
        assert f.refreshed(invoice.order).paid_amount == Decimal("0.00")
