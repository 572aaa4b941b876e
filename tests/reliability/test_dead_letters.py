"""Work that keeps failing stops after WORK_MAX_ATTEMPTS: it shows as failed with its
error, the accountants hear of it once, the sweep leaves it alone, and an admin's "retry"
queues it again. The failure here passes every check at the door: the notification is
signed and well formed, and PostgreSQL itself refuses to record its payment."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from invoices.models import Payment, ProviderEvent
from orders.models import Order, Stage, Work
from pipeline.tasks import sweep
from tests.invoices.conftest import make_order, notify, pay_fields

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

APPLY = "invoices.tasks.notification_apply"


def _refuse_card_payments() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION refuse_payment() RETURNS trigger AS $$
            BEGIN
                IF NEW.external_id LIKE '777%' THEN
                    RAISE EXCEPTION 'payments ledger is read-only';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_payment BEFORE INSERT ON invoices_payment
                FOR EACH ROW EXECUTE FUNCTION refuse_payment();
            """
        )


def _accept_payments() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse_payment ON invoices_payment")


def _mail_to(user) -> list[str]:
    return [m.subject for m in mail.outbox if user.email in m.to]


def test_a_notification_that_keeps_failing_becomes_a_dead_letter_once(
    client,
    admin_client,
    catalogue,
    staff,
    seller,
    manager,
    accountant,
    fake_cp,
    settings,
    time_machine,
    caplog,
    django_capture_on_commit_callbacks,
):
    settings.WORK_MAX_ATTEMPTS = 5
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    sweep()  # what making the order left queued
    _refuse_card_payments()
    mail.outbox.clear()

    # Stored and answered 0 (CloudPayments must not repeat it); the worker fails to apply it.
    assert notify(client, "pay", pay_fields(invoice, transaction_id=777001)).json() == {"code": 0}
    event = ProviderEvent.objects.get(kind="pay")
    delays = []
    for _ in range(10):
        work = Work.objects.get(task=APPLY, key=str(event.pk))
        if work.failed_at is not None:
            break
        delays.append(round((work.next_attempt_at - timezone.now()).total_seconds()))
        # Its retry waits for its time in the database; the sweep does not hurry it.
        assert sweep()["notifications"] == 0
        time_machine.move_to(work.next_attempt_at, tick=False)
        assert sweep()["notifications"] == 1
    assert delays == [15, 30, 60, 120]
    assert work.attempts == 5
    assert "payments ledger is read-only" in work.last_error
    event.refresh_from_db()
    assert event.processed_at is None
    assert event.outcome.startswith("not applied: ") and "read-only" in event.outcome
    assert f"{APPLY}({event.pk},) failed for good after 5 attempts" in caplog.text
    assert [r.levelname for r in caplog.records if "failed for good" in r.getMessage()] == ["ERROR"]

    # The accountants are told once, however many sweeps run.
    for _ in range(3):
        time_machine.move_to(timezone.now() + timezone.timedelta(hours=1), tick=False)
        assert sweep()["notifications"] == 0
    [subject] = _mail_to(accountant)
    assert subject == f"Conveyor: background work failed for good: {APPLY}({event.pk})"
    body = next(m.body for m in mail.outbox if accountant.email in m.to)
    assert "payments ledger is read-only" in body
    assert f"/admin/orders/work/{work.pk}/change/" in body
    assert Work.objects.get(pk=work.pk).attempts == 5
    assert not Payment.objects.exists()

    # The admin shows it among the failed, and its "retry" queues it again once the cause
    # is fixed: the payment is recorded and the order moves on.
    page = admin_client.get("/admin/orders/work/?state=failed")
    assert "payments ledger is read-only" in page.content.decode()
    _accept_payments()
    with django_capture_on_commit_callbacks(execute=True):  # the payment's follow-up
        response = admin_client.post(
            "/admin/orders/work/",
            {"action": "retry", "_selected_action": [work.pk]},
            follow=True,
        )
    assert "Queued again: 1" in response.content.decode()
    assert Payment.objects.get().external_id == "777001"
    assert Order.objects.get(pk=order.pk).stage == Stage.PRODUCTION
    assert not Work.objects.filter(task=APPLY).exists()
    assert len(_mail_to(accountant)) == 1


def test_a_retry_from_the_admin_starts_the_attempts_again(
    client, admin_client, catalogue, staff, seller, manager, fake_cp, settings
):
    settings.WORK_MAX_ATTEMPTS = 1
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    _refuse_card_payments()
    notify(client, "pay", pay_fields(invoice, transaction_id=777002))
    event = ProviderEvent.objects.get(kind="pay")
    work = Work.objects.get(task=APPLY, key=str(event.pk))
    assert (work.attempts, work.failed_at is not None) == (1, True)
    # Still broken: the retry counts from the start and gives up again, visibly.
    admin_client.post("/admin/orders/work/", {"action": "retry", "_selected_action": [work.pk]})
    work.refresh_from_db()
    assert (work.attempts, work.failed_at is not None) == (1, True)
    assert work.reported_at is None or work.reported_at >= work.failed_at
