import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from orders.models import NotificationStatus, PaymentScheme, TimelineEvent, Work
from pipeline.tasks import sweep
from pipeline.work import task_complete
from tests.factories import customer, order_in_delivery, order_in_production, production_tasks
from tests.notifications import failing_mail

pytestmark = pytest.mark.django_db


def finish_production(order, worker, capture) -> None:
    # What getting here queued goes first: a send takes queued e-mails along with its own.
    sweep(stale_after=dt.timedelta(0))
    mail.outbox.clear()
    with capture(execute=True):
        for task in production_tasks(order):
            task_complete(task=task, actor=worker)


def notification_event(order, kind: str) -> TimelineEvent:
    return order.events.get(kind="notification", data__notification=kind)


def test_a_russian_client_hears_that_production_is_finished_in_russian(
    staff, catalogue, django_capture_on_commit_callbacks
):
    order = order_in_production(
        manager=staff["manager"],
        catalogue=catalogue,
        client=customer("ru", name="Иван Петров"),
        scheme=PaymentScheme.FULL_PREPAYMENT,
    )
    finish_production(order, staff["production"], django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject == f"Ваш заказ {order.number} изготовлен"
    assert "Здравствуйте, Иван Петров!" in message.body
    assert f"Хорошие новости: ваш заказ {order.number} изготовлен." in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Хорошие новости" in html
    event = notification_event(order, "production_finished")
    assert event.notification_status == NotificationStatus.SENT
    assert event.sent_to_client_at is not None


def test_an_english_client_hears_it_in_english(
    staff, catalogue, django_capture_on_commit_callbacks
):
    order = order_in_production(
        manager=staff["manager"],
        catalogue=catalogue,
        client=customer("en", name="Jane Doe"),
        scheme=PaymentScheme.FULL_PREPAYMENT,
    )
    finish_production(order, staff["production"], django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject == f"Your order {order.number} is made"
    assert "Hello, Jane Doe!" in message.body


def test_the_shipped_message_carries_the_tracking_link_in_the_clients_language(
    staff, catalogue, django_capture_on_commit_callbacks
):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    sweep(stale_after=dt.timedelta(0))  # what getting here queued
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        task_complete(
            task=order.tasks.get(kind="deliver"),
            actor=staff["logistics"],
            tracking_number="RU123",
        )
    [message] = mail.outbox
    assert message.subject == f"Ваш заказ {order.number} отправлен"
    assert "Трек-номер: RU123" in message.body
    assert "Отследить посылку: https://cdek.example/track?n=RU123" in message.body
    assert 'href="https://cdek.example/track?n=RU123"' in message.alternatives[0][0]


def test_a_client_marked_do_not_notify_gets_nothing_and_the_timeline_says_so(
    staff, catalogue, django_capture_on_commit_callbacks
):
    client = customer("ru", do_not_notify=True)
    order = order_in_production(
        manager=staff["manager"],
        catalogue=catalogue,
        client=client,
        scheme=PaymentScheme.FULL_PREPAYMENT,
    )
    finish_production(order, staff["production"], django_capture_on_commit_callbacks)
    assert mail.outbox == []
    event = notification_event(order, "production_finished")
    assert event.notification_status == NotificationStatus.SKIPPED


def _next_attempt(event: TimelineEvent) -> Work:
    return Work.objects.get(task="orders.tasks.send_client_email", key=str(event.pk))


def test_a_send_that_keeps_failing_is_retried_then_shown_on_the_order(
    staff, catalogue, django_capture_on_commit_callbacks, settings, caplog, time_machine
):
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    sweep(stale_after=dt.timedelta(0))  # what making the order left queued (its invoice)
    settings.EMAIL_BACKEND = "tests.notifications.failing_mail.EmailBackend"
    failing_mail.attempts.clear()
    finish_production(order, staff["production"], django_capture_on_commit_callbacks)
    event = notification_event(order, "production_finished")
    # Each retry waits in the database, not in the broker: the sweep queues it when due.
    delays = []
    while (work := _next_attempt(event)).failed_at is None:
        assert event.notification_status == NotificationStatus.QUEUED
        delays.append(round((work.next_attempt_at - timezone.now()).total_seconds()))
        assert sweep()["emails"] == 0  # not yet
        time_machine.move_to(work.next_attempt_at)
        assert sweep()["emails"] == 1
        event.refresh_from_db()
    assert delays == [60, 120, 240, 480]
    assert failing_mail.attempts == [f"Ваш заказ {order.number} изготовлен"] * 5
    assert event.notification_status == NotificationStatus.FAILED
    assert "SMTPServerDisconnected" in event.data["error"]
    assert (work.attempts, work.next_attempt_at) == (5, None)
    assert "SMTPServerDisconnected" in work.last_error
    assert (
        staff["manager"]
        .notifications.filter(text=f"Could not e-mail the client about order {order.number}")
        .exists()
    )
    assert "failed for good after 5 attempts" in caplog.text
    # A dead letter: the sweep leaves it alone however long one waits.
    time_machine.move_to(timezone.now() + dt.timedelta(days=1))
    assert sweep()["emails"] == 0
    assert len(failing_mail.attempts) == 5


def test_a_send_that_fails_once_goes_out_on_the_retry(
    staff, catalogue, django_capture_on_commit_callbacks, monkeypatch, time_machine
):
    from django.core.mail.backends.locmem import EmailBackend

    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    sweep(stale_after=dt.timedelta(0))  # what making the order left queued (its invoice)
    real_send = EmailBackend.send_messages
    calls = []

    def flaky(self, messages):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("mail server restarted")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    finish_production(order, staff["production"], django_capture_on_commit_callbacks)
    event = notification_event(order, "production_finished")
    assert (len(calls), event.notification_status) == (1, NotificationStatus.QUEUED)
    time_machine.move_to(_next_attempt(event).next_attempt_at)
    assert sweep()["emails"] == 1
    assert len(calls) == 2
    assert len(mail.outbox) == 1
    assert notification_event(order, "production_finished").notification_status == "sent"
    # Done: nothing left to retry.
    assert not Work.objects.exists()
    time_machine.move_to(timezone.now() + dt.timedelta(hours=1))
    assert sweep()["emails"] == 0
    assert len(mail.outbox) == 1


def test_a_send_delivered_twice_at_once_reaches_the_client_once(staff, catalogue, settings):
    from notifications.tasks import send_client_email
    from tests.notifications import redelivering_mail

    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    sweep(stale_after=dt.timedelta(0))  # what getting here queued
    event = TimelineEvent.objects.create(
        order=order, kind="notification", data={"notification": "production_finished"}
    )
    TimelineEvent.objects.filter(pk=event.pk).update(notification_status=NotificationStatus.QUEUED)
    settings.EMAIL_BACKEND = "tests.notifications.redelivering_mail.EmailBackend"
    redelivering_mail.redelivered[:] = [event.pk]
    mail.outbox.clear()
    send_client_email.apply(args=[event.pk])
    # The second delivery ran while the first was sending, and found the event claimed.
    assert redelivering_mail.redelivered == [event.pk, event.pk]
    assert [m.subject for m in mail.outbox] == [f"Ваш заказ {order.number} изготовлен"]
    event.refresh_from_db()
    assert event.notification_status == NotificationStatus.SENT


def test_a_send_whose_worker_died_is_sent_by_the_sweep(staff, catalogue, settings):
    import datetime as dt

    from django.utils import timezone

    from pipeline.tasks import sweep

    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    sweep(stale_after=dt.timedelta(0))  # what getting here queued
    event = TimelineEvent.objects.create(
        order=order, kind="notification", data={"notification": "production_finished"}
    )
    claimed = timezone.now() - dt.timedelta(minutes=5)
    TimelineEvent.objects.filter(pk=event.pk).update(
        notification_status=NotificationStatus.SENDING, notification_claimed_at=claimed
    )
    mail.outbox.clear()
    # Five minutes may still be a slow server: nobody else sends it.
    assert sweep()["emails"] == 0
    assert mail.outbox == []
    # Past the task time limit the worker is gone: the claim is taken over, sent once.
    TimelineEvent.objects.filter(pk=event.pk).update(
        notification_claimed_at=timezone.now() - dt.timedelta(minutes=11)
    )
    assert sweep()["emails"] == 1
    assert sweep()["emails"] == 0
    assert [m.subject for m in mail.outbox] == [f"Ваш заказ {order.number} изготовлен"]


def _queued(order, kind: str = "production_finished", **fields) -> TimelineEvent:
    event = TimelineEvent.objects.create(
        order=order, kind="notification", data={"notification": kind}
    )
    TimelineEvent.objects.filter(pk=event.pk).update(
        notification_status=NotificationStatus.QUEUED, **fields
    )
    return event


def test_emails_queued_meanwhile_go_out_with_the_first_over_one_connection(
    staff, catalogue, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    from notifications.tasks import send_client_email

    orders = [
        order_in_production(
            manager=staff["manager"],
            catalogue=catalogue,
            client=customer(email=f"c{i}@example.com"),
        )
        for i in range(3)
    ]
    sweep(stale_after=dt.timedelta(0))  # what making the orders left queued
    events = [_queued(order) for order in orders]
    held = _queued(orders[0], "invoice_issued", awaiting="invoice-pdf:1")
    opened = []
    real_open = EmailBackend.open
    monkeypatch.setattr(EmailBackend, "open", lambda self: opened.append(1) or real_open(self))
    mail.outbox.clear()
    send_client_email.apply(args=[events[1].pk])
    assert len(opened) == 1
    assert sorted(m.to[0] for m in mail.outbox) == [
        "c0@example.com",
        "c1@example.com",
        "c2@example.com",
    ]
    for event in events:
        event.refresh_from_db()
        assert event.notification_status == NotificationStatus.SENT
    # The others' own runs find them sent; the held one waits for its PDF.
    for event in (events[0], events[2]):
        send_client_email.apply(args=[event.pk])
    assert len(mail.outbox) == 3
    held.refresh_from_db()
    assert held.notification_status == NotificationStatus.QUEUED
    assert not Work.objects.exists()


def test_a_letter_that_fails_in_a_batch_is_retried_alone_and_the_others_go(
    staff, catalogue, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    from notifications.tasks import send_client_email

    orders = [
        order_in_production(
            manager=staff["manager"],
            catalogue=catalogue,
            client=customer(email=f"c{i}@example.com"),
        )
        for i in range(3)
    ]
    sweep(stale_after=dt.timedelta(0))
    events = [_queued(order) for order in orders]
    real_send = EmailBackend.send_messages

    def refuse_c1(self, messages):
        if messages[0].to == ["c1@example.com"]:
            raise ConnectionResetError("mail server restarted")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_c1)
    mail.outbox.clear()
    send_client_email.apply(args=[events[0].pk])
    assert sorted(m.to[0] for m in mail.outbox) == ["c0@example.com", "c2@example.com"]
    statuses = [TimelineEvent.objects.get(pk=e.pk).notification_status for e in events]
    assert statuses == [NotificationStatus.SENT, NotificationStatus.QUEUED, NotificationStatus.SENT]
    assert list(Work.objects.values_list("key", "attempts")) == [(str(events[1].pk), 1)]
    # The next batch leaves it to its retry, due in a minute.
    late = _queued(orders[0])
    send_client_email.apply(args=[late.pk])
    assert TimelineEvent.objects.get(pk=events[1].pk).notification_status == "queued"
    assert Work.objects.get().attempts == 1
    assert len(mail.outbox) == 3
