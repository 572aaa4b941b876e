"""The order page (the single window) and its actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from invoices.models import Payment, PaymentSource
from orders import rules
from orders.models import EventKind, Order, Stage, TaskKind
from pipeline.orders import order_comment
from pipeline.payments import payment_register
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_it_shows_everything_about_the_order(client, staff, order_factory):
    order = order_factory(stage=Stage.PRODUCTION, lines=2)
    client.force_login(staff["manager"])

    html = client.get(order.get_absolute_url()).content.decode()

    for text in [
        order.customer.name,
        order.customer.phone,
        "Oak table",
        "Oak chair",
        "Full prepayment",
        "INV-",  # the prepayment invoice
        "Paid",
        "0 of 2 lines made",
        "Make Oak table",  # a production task
        "Production started",  # the timeline
        'aria-current="step">Production',
    ]:
        assert text in html, text


def test_a_manager_sees_the_margin_of_every_line_and_the_order(client, staff, order_factory):
    order = order_factory(stage=Stage.PRODUCTION, lines=2)
    client.force_login(staff["manager"])

    html = client.get(order.get_absolute_url()).content.decode()

    # Table 15,000 − cost 3,250; chairs 8,000 − 2 × 1,150; order 23,000 − 5,550.
    assert "11,750.00\xa0₽" in html
    assert "5,700.00\xa0₽" in html
    assert order.margin == Decimal("17450.00")
    assert "17,450.00\xa0₽" in html


@pytest.mark.parametrize(("lines", "extra_comments"), [(1, 0), (6, 25)])
def test_the_order_page_runs_a_fixed_number_of_queries(
    client, staff, order_factory, django_assert_num_queries, lines, extra_comments
):
    order = order_factory(stage=Stage.PRODUCTION, lines=lines)
    for n in range(extra_comments):
        order_comment(order=order, actor=staff["manager"], text=f"Call {n}")
    client.force_login(staff["manager"])
    # session, user, the order with client, manager and carrier, user's and groups'
    # permissions, lines, tasks, invoices, payments, fiscal receipts, timeline, the company
    # calendar and its holidays (the two clocks), open task count, unread notifications,
    # role.
    with django_assert_num_queries(16):
        response = client.get(order.get_absolute_url())
    assert response.status_code == 200


def test_a_production_worker_sees_the_order_of_their_task_without_money(
    client, staff, order_factory
):
    order = order_factory(stage=Stage.PRODUCTION, lines=2)
    assert order.tasks.filter(assignee=staff["production"]).exists()
    client.force_login(staff["production"])

    response = client.get(order.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Oak table" in html
    assert "₽" not in html
    assert "Register a payment" not in html and "Cancel the order" not in html
    refused = client.post(
        f"/orders/{order.number}/payments/",
        {"invoice": order.invoices.get().pk, "amount": "10", "paid_on": "2026-01-01"},
    )
    assert refused.status_code == 403
    assert "You cannot register payments." in refused.content.decode()
    assert client.post(f"/orders/{order.number}/cancel/", {"reason": "no"}).status_code == 403


def test_it_refuses_an_order_the_user_has_nothing_to_do_with(
    client, staff, outsider, order_factory
):
    order = order_factory(stage=Stage.NEW)
    client.force_login(outsider)
    response = client.get(order.get_absolute_url())
    assert response.status_code == 403
    assert "You have no access to this page" in response.content.decode()
    assert client.get("/orders/1999-99999/").status_code == 404


def test_taking_into_work_moves_the_order_to_qualification(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    client.force_login(staff["manager"])
    response = client.post(f"/orders/{order.number}/take/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.stage == Stage.QUALIFICATION


def test_registering_a_payment_moves_a_prepaid_order_to_production(client, staff, order_factory):
    order = order_factory(stage=Stage.PREPAYMENT, lines=1)
    invoice = order.invoices.get()
    client.force_login(staff["manager"])

    response = client.post(
        f"/orders/{order.number}/payments/",
        {
            "invoice": invoice.pk,
            "amount": "15000.00",
            "paid_on": timezone.localdate().isoformat(),
            "reference": "Bank order 42",
        },
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.stage == Stage.PRODUCTION
    payment = Payment.objects.get(order=order)
    assert payment.reference == "Bank order 42" and payment.recorded_by == staff["manager"]


def test_a_payment_dated_today_is_accepted_just_after_midnight(client, staff, order_factory):
    order = order_factory(stage=Stage.PREPAYMENT, lines=1)
    client.force_login(staff["manager"])
    just_after_midnight = dt.datetime(2026, 11, 27, 0, 3, tzinfo=ZoneInfo("Europe/Moscow"))

    with time_machine.travel(just_after_midnight, tick=False):
        response = client.post(
            f"/orders/{order.number}/payments/",
            {
                "invoice": order.invoices.get().pk,
                "amount": "15000.00",
                "paid_on": "2026-11-27",
                "reference": "Bank order 43",
            },
        )

    assert response.status_code == 302
    payment = Payment.objects.get(order=order)
    assert timezone.localtime(payment.paid_at).date() == dt.date(2026, 11, 27)
    assert payment.paid_at <= just_after_midnight


def test_the_same_payment_form_sent_twice_records_one_payment(client, staff, order_factory):
    order = order_factory(stage=Stage.PREPAYMENT, lines=1)
    client.force_login(staff["manager"])
    page = client.get(order.get_absolute_url()).content.decode()
    key = page.split('name="key" value="')[1].split('"')[0]
    form = {
        "invoice": order.invoices.get().pk,
        "amount": "1000.00",
        "paid_on": timezone.localdate().isoformat(),
        "reference": "Bank order 44",
        "key": key,
    }

    assert client.post(f"/orders/{order.number}/payments/", form).status_code == 302
    again = client.post(f"/orders/{order.number}/payments/", {**form, "amount": "2000.00"})

    assert again.status_code == 302
    told = client.get(order.get_absolute_url()).content.decode()
    assert "This form was sent before and what it recorded stands" in told
    assert Payment.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.paid_amount == Decimal("1000.00")


def test_a_payment_form_with_errors_keeps_what_was_typed(client, staff, order_factory):
    order = order_factory(stage=Stage.PREPAYMENT)
    client.force_login(staff["manager"])
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()

    response = client.post(
        f"/orders/{order.number}/payments/",
        {
            "invoice": order.invoices.get().pk,
            "amount": "700",
            "paid_on": tomorrow,
            "reference": "X-1",
        },
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "The payment date cannot be in the future." in html
    assert 'value="X-1"' in html and 'value="700"' in html
    assert not Payment.objects.exists()


def test_a_payment_is_reversed_with_a_reason(client, staff, order_factory):
    order = order_factory(stage=Stage.PREPAYMENT)
    invoice = order.invoices.get()
    payment, _created = payment_register(
        invoice=invoice,
        amount=Decimal("500.00"),
        source=PaymentSource.MANUAL,
        actor=staff["manager"],
    )
    client.force_login(staff["manager"])

    missing = client.post(f"/orders/{order.number}/payments/{payment.pk}/reverse/", {"reason": ""})
    assert missing.status_code == 422
    assert "This field is required." in missing.content.decode()

    done = client.post(
        f"/orders/{order.number}/payments/{payment.pk}/reverse/", {"reason": "Wrong client"}
    )
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.paid_amount == 0
    assert "Reversed" in client.get(order.get_absolute_url()).content.decode()


def test_an_accountant_registers_payments_but_cannot_change_the_order(
    client, staff, accountant, order_factory
):
    order = order_factory(stage=Stage.PREPAYMENT)
    client.force_login(accountant)
    html = client.get(order.get_absolute_url()).content.decode()
    assert "Register a payment" in html
    assert "Cancel the order" not in html
    assert client.post(f"/orders/{order.number}/take/").status_code == 403


def test_cancelling_needs_a_reason_and_keeps_money_owed_back(client, staff, order_factory):
    order = order_factory(stage=Stage.PREPAYMENT)
    payment_register(
        invoice=order.invoices.get(),
        amount=Decimal("1000.00"),
        source=PaymentSource.MANUAL,
        actor=staff["manager"],
    )
    client.force_login(staff["manager"])

    refused = client.post(f"/orders/{order.number}/cancel/", {"reason": "  "})
    assert refused.status_code == 422
    order.refresh_from_db()
    assert order.stage == Stage.PREPAYMENT

    client.post(f"/orders/{order.number}/cancel/", {"reason": "Client found a cheaper offer"})
    order.refresh_from_db()
    assert order.stage == Stage.LOST
    html = client.get(order.get_absolute_url()).content.decode()
    assert "Client found a cheaper offer" in html
    assert "Owed back" in html and "1,000.00\xa0₽" in html


def test_a_comment_sent_to_the_client_is_emailed_and_recorded(
    client, staff, order_factory, django_capture_on_commit_callbacks
):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/orders/{order.number}/comment/",
            {"text": "Your table is ready on Monday.", "send_to_client": "1"},
        )

    event = order.events.get(kind=EventKind.COMMENT)
    assert event.text == "Your table is ready on Monday."
    assert event.notification_status == "sent"
    assert [m.to for m in mail.outbox] == [[order.customer.email]]
    assert "sent to the client" in client.get(order.get_absolute_url()).content.decode()


def test_an_empty_comment_is_refused_next_to_the_box(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    client.force_login(staff["manager"])
    response = client.post(f"/orders/{order.number}/comment/", {"text": ""})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_the_delivery_details_action_links_to_logistics_only_when_it_exists(
    client, staff, order_factory
):
    order = order_factory(stage=Stage.PRODUCTION)
    for task in order.tasks.filter(kind=TaskKind.PRODUCE_LINE):
        from pipeline.work import task_complete

        task_complete(task=task, actor=task.assignee)
    order.refresh_from_db()
    assert order.stage == Stage.DELIVERY_DETAILS
    client.force_login(staff["manager"])
    response = client.get(order.get_absolute_url())
    assert response.status_code == 200
    assert "Hand over to logistics" in response.content.decode()


def test_another_manager_cannot_open_the_order(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    client.force_login(make_user("kolya", "Sales managers"))
    assert client.get(order.get_absolute_url()).status_code == 403


def test_the_head_of_sales_works_on_any_order(client, staff, head_of_sales, order_factory):
    order = order_factory(stage=Stage.NEW)
    client.force_login(head_of_sales)
    client.post(f"/orders/{order.number}/take/")
    assert Order.objects.get(pk=order.pk).stage == Stage.QUALIFICATION


def test_qualify_button_with_gaps_leads_to_the_form_listing_them(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION, delivery="courier")
    Order.objects.filter(pk=order.pk).update(delivery_cost=None, delivery_address="")
    client.force_login(staff["manager"])

    response = client.post(f"/orders/{order.number}/qualify/", follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0].endswith("/edit/?check=1")
    for message in (
        rules.SCHEME_MISSING,
        rules.DELIVERY_COST_MISSING,
        rules.DELIVERY_ADDRESS_MISSING,
    ):
        assert str(message) in html


def test_a_line_made_is_sent_to_the_client_from_the_timeline(
    client, staff, order_factory, django_capture_on_commit_callbacks
):
    from pipeline.work import task_complete

    order = order_factory(stage=Stage.PRODUCTION, lines=2)
    task = order.tasks.filter(kind=TaskKind.PRODUCE_LINE).first()
    task_complete(task=task, actor=task.assignee)
    event = order.events.filter(kind=EventKind.PRODUCTION, text__startswith="Line made").get()
    client.force_login(staff["manager"])
    assert f"/events/{event.pk}/send/" in client.get(order.get_absolute_url()).content.decode()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/orders/{order.number}/events/{event.pk}/send/")
    # The send also takes the order's other e-mails still queued (one SMTP session a batch).
    sent = len(mail.outbox)
    about_the_line = [m for m in mail.outbox if "Строка изготовлена" in m.body]
    again = client.post(f"/orders/{order.number}/events/{event.pk}/send/", follow=True)

    event.refresh_from_db()
    assert event.notification_status == "sent"
    assert len(about_the_line) == 1
    assert len(mail.outbox) == sent  # pressed again: nothing more goes out
    assert "This was already sent to the client." in again.content.decode()


def test_a_lost_order_owes_nothing(client, staff, order_factory):
    order = order_factory(stage=Stage.PREPAYMENT)
    client.force_login(staff["manager"])
    client.post(f"/orders/{order.number}/cancel/", {"reason": "Клиент передумал"})

    order.refresh_from_db()
    assert order.stage == Stage.LOST and order.balance == 0
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="order-balance"><b>0.00' in page
