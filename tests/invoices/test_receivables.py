"""The accountants' list of what is owed."""

from __future__ import annotations

from decimal import Decimal

from invoices.services import payment_register
from tests.invoices.conftest import make_order


def test_it_lists_open_and_overpaid_invoices_in_constant_queries(
    client, accountant, catalogue, manager, seller, django_assert_num_queries
):
    invoices = [make_order(catalogue=catalogue, manager=manager).invoices.get() for _ in range(3)]
    payment_register(invoice=invoices[0], amount=Decimal("1000.00"), source="manual")
    paid = invoices[1]
    payment_register(invoice=paid, amount=paid.amount, source="manual")
    client.force_login(accountant)
    # session, user, user's permissions, group permissions, the invoices with order,
    # customer and manager (one join), the total due; the layout's open-task count,
    # unread notifications and role.
    with django_assert_num_queries(9):
        response = client.get("/invoices/")
    page = response.content.decode()
    assert invoices[0].number in page and invoices[2].number in page
    assert paid.number not in page
    assert response.context["total"] == Decimal("63000.00")
    for _ in range(5):
        make_order(catalogue=catalogue, manager=manager)
    with django_assert_num_queries(9):
        response = client.get("/invoices/")
    assert len(response.context["invoices"]) == 7
    # Overpaid invoices stay listed: money owed back.
    payment_register(invoice=paid, amount=Decimal("5.00"), source="manual")
    assert paid.number in client.get("/invoices/").content.decode()


def test_it_filters_by_search_and_overdue(client, accountant, invoice, time_machine):
    client.force_login(accountant)
    assert invoice.number in client.get("/invoices/?q=" + invoice.order.number).content.decode()
    assert invoice.number not in client.get("/invoices/?q=нет-такого").content.decode()
    assert invoice.number not in client.get("/invoices/?overdue=1").content.decode()
    time_machine.move_to(invoice.expires_at)
    client.force_login(accountant)
    assert invoice.number in client.get("/invoices/?overdue=1").content.decode()


def test_it_is_for_people_who_see_money(client, production_worker, outsider, manager):
    for user, status in [(production_worker, 403), (outsider, 403), (manager, 200)]:
        client.force_login(user)
        assert client.get("/invoices/").status_code == status
