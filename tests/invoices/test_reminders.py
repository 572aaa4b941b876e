"""Payment reminders: an unpaid invoice reminds the client at each step, once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from config.celery import app
from invoices.models import PaymentSource
from invoices.reminders import invoice_reminders_send
from orders.models import EventKind, Notification, NotificationStatus, TimelineEvent
from pipeline.orders import order_cancel
from pipeline.payments import payment_register
from tests.invoices.conftest import make_order

pytestmark = pytest.mark.django_db


def _run(moment: dt.datetime, capture) -> int:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return invoice_reminders_send()


def _reminders(order) -> list[TimelineEvent]:
    return list(
        order.events.filter(kind=EventKind.NOTIFICATION, data__notification="invoice_reminder")
    )


def test_an_unpaid_invoice_reminds_the_client_at_each_step_once(
    invoice, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.INVOICE_REMINDER_DAYS = [3, 7]
    issued = invoice.issued_at
    mailoutbox.clear()

    assert _run(issued + dt.timedelta(days=2), django_capture_on_commit_callbacks) == 0
    assert _run(issued + dt.timedelta(days=3, hours=1), django_capture_on_commit_callbacks) == 1
    assert _run(issued + dt.timedelta(days=3, hours=2), django_capture_on_commit_callbacks) == 0

    [first] = mailoutbox
    assert first.to == ["klient@example.ru"]
    assert first.subject == f"Напоминание: счёт {invoice.number} ждёт оплаты"
    assert "Напоминаем: по счёту" in first.body and "32\xa0000,00\xa0₽" in first.body
    assert invoice.public_url in first.body

    assert not Notification.objects.filter(text__contains="overdue").exists()
    assert _run(issued + dt.timedelta(days=7, hours=1), django_capture_on_commit_callbacks) == 1
    assert "Срок оплаты счёта" in mailoutbox[1].body  # due after 5 days: now overdue
    [bell] = Notification.objects.filter(user=invoice.order.manager, text__contains="overdue")
    assert bell.text == (
        f"Invoice {invoice.number} is overdue (32,000.00\xa0₽ due): the client was reminded"
    )
    assert _run(issued + dt.timedelta(days=30), django_capture_on_commit_callbacks) == 0
    assert len(mailoutbox) == 2
    reminders = _reminders(invoice.order)
    assert [e.notification_status for e in reminders] == [NotificationStatus.SENT] * 2
    assert reminders[0].display_text == "Payment reminder sent to the client"


def test_after_a_pause_the_client_gets_one_reminder_not_one_per_missed_step(
    invoice, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.INVOICE_REMINDER_DAYS = [3, 7]
    mailoutbox.clear()
    assert _run(invoice.issued_at + dt.timedelta(days=9), django_capture_on_commit_callbacks) == 1
    assert _run(invoice.issued_at + dt.timedelta(days=9), django_capture_on_commit_callbacks) == 0
    assert len(mailoutbox) == 1
    invoice.refresh_from_db()
    assert invoice.reminders_sent == 2


def test_a_paid_invoice_or_a_lost_order_reminds_nobody(
    invoice, catalogue, mailoutbox, manager, django_capture_on_commit_callbacks, settings
):
    settings.INVOICE_REMINDER_DAYS = [3]
    later = invoice.issued_at + dt.timedelta(days=4)
    payment_register(invoice=invoice, amount=invoice.amount, source=PaymentSource.MANUAL)
    assert _run(later, django_capture_on_commit_callbacks) == 0

    other = make_order(catalogue=catalogue, manager=manager, email="b@example.ru")
    order_cancel(order=other, actor=manager, reason="Клиент передумал")
    assert _run(later, django_capture_on_commit_callbacks) == 0
    assert not _reminders(invoice.order) and not _reminders(other)


def test_a_client_who_wants_no_emails_gets_none_and_the_timeline_says_so(
    invoice, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.INVOICE_REMINDER_DAYS = [3]
    customer = invoice.order.customer
    customer.do_not_notify = True
    customer.save()
    mailoutbox.clear()

    assert _run(invoice.issued_at + dt.timedelta(days=4), django_capture_on_commit_callbacks) == 1

    assert mailoutbox == []
    [reminder] = _reminders(invoice.order)
    assert reminder.notification_status == NotificationStatus.SKIPPED


def test_the_morning_job_is_scheduled_and_registered(settings):
    job = settings.CELERY_BEAT_SCHEDULE["invoice-reminders"]
    assert job["task"] in app.tasks
    assert job["schedule"].hour == {settings.INVOICE_REMINDER_HOUR}
