"""The accountants' list of what is owed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from invoices.models import Invoice
from invoices.selectors import RECEIVABLES_PAGE
from orders.models import Notification
from pipeline.payments import payment_register
from tests.invoices.conftest import make_order


def _totals(response) -> tuple[Decimal, Decimal]:
    """(due from clients, owed back) in roubles, as the page's totals say."""
    rub = [total for total in response.context["totals"] if total.currency == "RUB"]
    if not rub:
        return Decimal("0.00"), Decimal("0.00")
    return rub[0].due, rub[0].owed_back


def _copies(invoice: Invoice, count: int) -> None:
    """More open invoices of the same order, written in one statement."""
    Invoice.objects.bulk_create(
        Invoice(
            number=f"{invoice.number}-{i}",
            order_id=invoice.order_id,
            kind=invoice.kind,
            amount=Decimal("100.00"),
            due_date=invoice.due_date,
        )
        for i in range(count)
    )


def test_it_lists_open_and_overpaid_invoices_in_constant_queries(
    client, accountant, catalogue, manager, seller, django_assert_num_queries
):
    invoices = [make_order(catalogue=catalogue, manager=manager).invoices.get() for _ in range(3)]
    payment_register(invoice=invoices[0], amount=Decimal("1000.00"), source="manual")
    paid = invoices[1]
    payment_register(invoice=paid, amount=paid.amount, source="manual")
    client.force_login(accountant)
    # session, user, user's permissions, group permissions, the totals kept by due date,
    # a page of invoices with order, customer and manager (one join over the page's ids);
    # the layout's open-task count, unread notifications and role.
    with django_assert_num_queries(9):
        response = client.get("/invoices/")
    page = response.content.decode()
    assert invoices[0].number in page and invoices[2].number in page
    assert paid.number not in page
    assert _totals(response) == (Decimal("63000.00"), Decimal("0.00"))
    assert response.context["totals"][0].open_count == 2
    _copies(invoices[2], 58)
    with django_assert_num_queries(9):
        response = client.get("/invoices/")
    assert len(response.context["invoices"]) == RECEIVABLES_PAGE
    assert response.context["totals"][0].open_count == 60
    assert _totals(response)[0] == Decimal("63000.00") + 58 * Decimal("100.00")
    # Overpaid invoices stay listed: money owed back.
    payment_register(invoice=paid, amount=Decimal("5.00"), source="manual")
    response = client.get("/invoices/", {"q": paid.number})
    assert paid.number in response.content.decode()
    assert _totals(response) == (Decimal("0.00"), Decimal("5.00"))


def test_it_filters_by_search_and_overdue(client, accountant, invoice, time_machine):
    client.force_login(accountant)
    assert invoice.number in client.get("/invoices/?q=" + invoice.order.number).content.decode()
    assert invoice.number not in client.get("/invoices/?q=нет-такого").content.decode()
    response = client.get("/invoices/?overdue=1")
    assert invoice.number not in response.content.decode()
    assert response.context["totals"] == []
    time_machine.move_to(invoice.expires_at)
    client.force_login(accountant)
    response = client.get("/invoices/?overdue=1")
    assert invoice.number in response.content.decode()
    assert _totals(response) == (invoice.amount, Decimal("0.00"))


@pytest.mark.parametrize(
    "words",
    [
        lambda invoice: invoice.number.lower(),  # an invoice number from its start
        lambda invoice: invoice.number[:-2],
        lambda invoice: invoice.order.number,  # an order number from its start
        lambda invoice: "Клиентов",  # part of the client's name
    ],
)
def test_a_search_finds_an_invoice_by_its_number_its_order_or_its_client(
    client, accountant, invoice, words
):
    client.force_login(accountant)
    response = client.get("/invoices/", {"q": words(invoice)})
    assert invoice.number in response.content.decode()
    assert _totals(response) == (invoice.amount, Decimal("0.00"))
    assert "The totals are those of the invoices found." in response.content.decode()


def test_a_search_with_many_matches_looks_at_so_many_and_says_so(
    client, accountant, invoice, monkeypatch, django_assert_num_queries
):
    _copies(invoice, 4)
    monkeypatch.setattr("invoices.selectors.SEARCH_CAP", 3)
    client.force_login(accountant)
    # session, user, permissions, group permissions; clients by name, their orders and
    # orders by number, the matching invoices' ids (capped), their totals, a page of
    # them; the layout's three.
    with django_assert_num_queries(12):
        response = client.get("/invoices/", {"q": "Клиентова"})
    assert len(response.context["invoices"]) == 3
    assert response.context["totals"][0].open_count == 3
    assert "More match than the search looks at" in response.content.decode()
    response = client.get("/invoices/", {"q": invoice.number})
    assert len(response.context["invoices"]) == 3
    assert 'id="receivables-capped"' in response.content.decode()


def test_a_search_that_stops_at_so_many_clients_says_so(
    client, accountant, catalogue, manager, seller, monkeypatch
):
    monkeypatch.setattr("invoices.selectors.SEARCH_CUSTOMERS", 1)
    make_order(catalogue=catalogue, manager=manager)
    make_order(catalogue=catalogue, manager=manager)
    client.force_login(accountant)
    response = client.get("/invoices/", {"q": "Клиентов"})
    assert len(response.context["invoices"]) == 1
    assert 'id="receivables-capped"' in response.content.decode()


def test_it_pages_on_soonest_due_first_with_the_same_totals(
    client, accountant, catalogue, manager, seller, monkeypatch
):
    monkeypatch.setattr("invoices.selectors.RECEIVABLES_PAGE", 2)
    invoices = [make_order(catalogue=catalogue, manager=manager).invoices.get() for _ in range(3)]
    Invoice.objects.filter(pk=invoices[0].pk).update(due_date=None)  # without one: last
    Invoice.objects.filter(pk=invoices[2].pk).update(
        due_date=invoices[2].due_date - dt.timedelta(days=1)
    )
    client.force_login(accountant)

    first = client.get("/invoices/")
    assert [i.pk for i in first.context["invoices"]] == [invoices[2].pk, invoices[1].pk]
    page = first.content.decode()
    link = page.split('id="receivables-next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get("/invoices/" + link.replace("&amp;", "&"))
    assert [i.pk for i in second.context["invoices"]] == [invoices[0].pk]
    assert 'id="receivables-next"' not in second.content.decode()
    assert 'id="receivables-first"' in second.content.decode()
    assert _totals(first) == _totals(second) == (Decimal("96000.00"), Decimal("0.00"))

    for mangled in [
        "",
        "yesterday_x",
        "2026-13-01_1",
        "_",
        "2026-01-01_",
        "2000-01-01_" + "9" * 30,
    ]:
        response = client.get("/invoices/", {"after": mangled})
        assert [i.pk for i in response.context["invoices"]] == [invoices[2].pk, invoices[1].pk]


def test_it_is_for_people_who_see_money(client, production_worker, outsider, manager):
    for user, status in [(production_worker, 403), (outsider, 403), (manager, 200)]:
        client.force_login(user)
        assert client.get("/invoices/").status_code == status


def test_a_lost_order_takes_no_more_money_and_what_it_got_is_owed_back(
    client, accountant, manager, production_worker, catalogue, seller, cloudpayments
):
    from invoices.models import InvoiceStatus, Payment
    from invoices.payments import PaymentError, payment_refund
    from pipeline.orders import order_cancel
    from tests.invoices.conftest import notify, pay_fields

    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    path = invoice.public_url.removeprefix("http://testserver")
    paid, _created = payment_register(invoice=invoice, amount=Decimal("10000.00"), source="manual")
    order_cancel(order=order, actor=manager, reason="Клиент передумал")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    assert invoice.paid_amount == Decimal("10000.00")
    assert order.events.filter(text__contains="owed back").exists()

    # The client's link is dead, a card Check is refused, a manual payment too.
    assert client.get(path).status_code == 404
    assert notify(client, "check", pay_fields(invoice, Amount="22000.00")).json() == {"code": 13}
    with pytest.raises(PaymentError):
        payment_register(invoice=invoice, amount=Decimal("22000.00"), source="manual")
    assert Payment.objects.filter(invoice=invoice).count() == 1

    # The accountants see the 10,000 to give back, not 22,000 to collect.
    client.force_login(accountant)
    response = client.get("/invoices/")
    assert invoice.number in response.content.decode()
    assert _totals(response) == (Decimal("0.00"), Decimal("10000.00"))

    payment_refund(payment=paid, amount=Decimal("10000.00"), source="manual", reason="Возврат")
    response = client.get("/invoices/")
    assert invoice.number not in response.content.decode()
    assert _totals(response) == (Decimal("0.00"), Decimal("0.00"))


def test_whoever_was_working_on_a_lost_order_is_told_to_stop(
    manager, production_worker, catalogue, seller
):
    from pipeline.orders import order_cancel
    from tests.factories import order_in_production

    order = order_in_production(manager=manager, catalogue=catalogue)
    makers = set(order.tasks.filter(kind="produce_line").values_list("assignee", flat=True))
    assert makers
    order_cancel(order=order, actor=manager, reason="Клиент передумал")
    told = Notification.objects.filter(
        text__startswith=f"Order {order.number} was cancelled: stop work on"
    ).values_list("user", flat=True)
    assert set(told) == makers


def test_the_manager_hears_of_money_in_and_of_money_taken_back(
    accountant, manager, production_worker, catalogue, seller
):
    from invoices.payments import payment_reverse
    from orders.models import Stage

    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    paid, _created = payment_register(
        invoice=invoice, amount=invoice.amount, source="manual", actor=accountant
    )
    order.refresh_from_db()
    assert order.stage == Stage.PRODUCTION
    assert Notification.objects.filter(
        user=manager, text=f"Payment of 32,000.00\xa0₽ received for order {order.number}"
    ).exists()

    payment_reverse(payment=paid, actor=accountant, reason="Банк вернул платёж")
    order.refresh_from_db()
    assert order.stage == Stage.PRODUCTION  # the work goes on; the manager must act
    assert Notification.objects.filter(
        user=manager,
        text=(
            f"Order {order.number} (Production) is owed 32,000.00\xa0₽ again: money was taken back"
        ),
    ).exists()


def test_the_manager_is_not_told_of_what_they_did_themselves(manager, catalogue, seller):
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    payment_register(invoice=invoice, amount=invoice.amount, source="manual", actor=manager)
    assert not Notification.objects.filter(user=manager, text__startswith="Payment of").exists()


def test_the_csv_has_every_listed_invoice(
    client, accountant, catalogue, manager, seller, monkeypatch
):
    monkeypatch.setattr("invoices.selectors.RECEIVABLES_PAGE", 1)
    orders = [make_order(catalogue=catalogue, manager=manager) for _ in range(2)]
    payment_register(invoice=orders[0].invoices.get(), amount=Decimal("1000.00"), source="manual")
    client.force_login(accountant)
    assert 'id="receivables-csv"' in client.get("/invoices/").content.decode()

    response = client.get("/invoices/", {"export": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    assert lines[0].startswith("\ufeffInvoice;Order;Client;Manager;Amount;Paid;Due;")
    first = lines[1].split(";")
    assert first[:2] == [orders[0].invoices.get().number, orders[0].number]
    assert first[4:9] == ["32000.00", "1000.00", "31000.00", "0.00", "RUB"]
    assert len(lines) == 3  # both, though the page shows one
