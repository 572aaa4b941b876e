"""The broker is down while the app queues work: the change stands, the caller is answered,
the transaction's other hooks run, and the sweep queues the work once the broker is back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from invoices.models import Invoice
from invoices.tasks import invoice_render_pdf
from notifications.client import tell_client
from orders.models import NotificationStatus, PaymentScheme, TimelineEvent, Work
from pipeline.tasks import sweep
from tests.factories import order_in_production
from tests.invoices.conftest import make_order

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _eager() -> None:
    """Run tasks in this process again, as the tests' settings do (the broker's work done)."""
    from config.celery import app

    app.conf.task_always_eager = True


def _subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


def test_a_client_email_queued_while_the_broker_is_down_leaves_the_change_and_later_hooks(
    redis_server, staff, catalogue, caplog
):
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.POSTPAYMENT
    )
    redis_server.stop()
    later_hooks = []
    with transaction.atomic():
        event = tell_client(order=order, kind="production_finished")
        transaction.on_commit(lambda: later_hooks.append("ran"))
    # No error reached the caller, and the hook queued after the e-mail's still ran.
    assert later_hooks == ["ran"]
    event.refresh_from_db()
    assert event.notification_status == NotificationStatus.QUEUED
    assert caplog.text.count(f"could not queue orders.tasks.send_client_email({event.pk},)") == 1

    # The broker is back; the sweep queues the e-mail once it is stale, and it goes out once.
    redis_server.start()
    _eager()
    mail.outbox.clear()
    assert sweep()["emails"] == 0  # younger than the staleness: it may still be on its way
    TimelineEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=30)
    )
    assert sweep()["emails"] == 1
    assert sweep()["emails"] == 0
    assert _subjects() == [f"Ваш заказ {order.number} изготовлен"]
    event.refresh_from_db()
    assert event.notification_status == NotificationStatus.SENT
    assert not Work.objects.exists()


def test_the_invoice_email_whose_publish_failed_after_the_pdf_is_sent_by_the_sweep(
    redis_server, staff, catalogue, seller, manager, settings
):
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    event = order.events.get(data__notification="invoice_issued")
    redis_server.stop()
    # The worker renders and stores the PDF; then the broker refuses the e-mail's task.
    result = invoice_render_pdf.apply(args=[invoice.pk])
    assert result.successful()
    invoice.refresh_from_db()
    assert invoice.pdf_is_current
    event.refresh_from_db()
    assert event.notification_status == NotificationStatus.QUEUED

    redis_server.start()
    _eager()
    mail.outbox.clear()
    TimelineEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=30)
    )
    assert sweep()["emails"] == 1
    assert sweep()["emails"] == 0
    [message] = mail.outbox
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    assert Invoice.objects.get(pk=invoice.pk).pdf_error == ""


def test_queued_emails_the_broker_lost_are_sent_by_the_sweep(redis_server, staff, catalogue):
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.POSTPAYMENT
    )
    event = tell_client(order=order, kind="production_finished")  # published: Redis has it
    # Redis restarts with nothing of it (a crash between writes to its append-only file).
    redis_server.stop()
    redis_server.start()
    _eager()
    mail.outbox.clear()
    TimelineEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=30)
    )
    assert sweep()["emails"] == 1
    assert sweep()["emails"] == 0
    assert _subjects() == [f"Ваш заказ {order.number} изготовлен"]


def test_a_failed_send_waits_in_the_database_not_in_the_broker(
    redis_server, staff, catalogue, settings
):
    import redis

    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.POSTPAYMENT
    )
    broker = redis.Redis.from_url(redis_server.url)
    broker.flushdb()
    settings.EMAIL_BACKEND = "tests.notifications.failing_mail.EmailBackend"
    event = tell_client(order=order, kind="production_finished")
    assert broker.llen("email") == 1  # client e-mails have a queue of their own
    # A worker takes it and the send fails.
    from notifications.tasks import send_client_email

    send_client_email.apply(args=[event.pk])
    broker.delete("email")
    work = Work.objects.get(task="orders.tasks.send_client_email", key=str(event.pk))
    assert work.attempts == 1
    assert 55 <= (work.next_attempt_at - timezone.now()).total_seconds() <= 60
    # Nothing waits in Redis on a countdown that a killed worker would hold for hours.
    assert broker.llen("email") == 0
    assert broker.zcard("unacked_index") == 0
    assert broker.hlen("unacked") == 0


def test_a_killed_workers_tasks_come_back_within_minutes(settings):
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.CELERY_TASK_TIME_LIMIT < visibility <= 600
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    sweep_every = settings.CELERY_BEAT_SCHEDULE["invoices-sweep"]["schedule"]
    assert sweep_every <= dt.timedelta(seconds=15)
