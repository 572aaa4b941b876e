"""The one way to tell someone: tell_client / tell_staff through the channels, and client
messages held for what they wait for (TimelineEvent.awaiting) until released."""

import datetime as dt

import pytest
from django.core import mail
from django.utils.translation import gettext_noop

from core.texts import Msg
from invoices import tasks as invoice_tasks
from invoices.models import Invoice
from invoices.pdf import invoice_pdf_store
from notifications import channels
from notifications.channels import Letter
from notifications.client import release, tell_client
from notifications.staff import tell_staff
from orders import roles
from orders.models import Notification, NotificationStatus, PaymentScheme
from pipeline.tasks import sweep
from tests.factories import customer, order_in_production
from tests.invoices.conftest import make_order, media_in_tmp, seller  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

NOW = dt.timedelta(0)  # the sweep's staleness: everything queued is stale


class Recorder:
    """A channel that reaches everyone and keeps what it was given."""

    def __init__(self) -> None:
        self.letters: list[Letter] = []

    def reaches(self, person) -> bool:
        return True

    def send(self, letter: Letter, *, session=None) -> None:
        self.letters.append(letter)


@pytest.fixture
def recorder(monkeypatch) -> Recorder:
    channel = Recorder()
    monkeypatch.setattr(channels, "CHANNELS", [*channels.CHANNELS, channel])
    return channel


@pytest.fixture
def order(staff, catalogue):
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    sweep(stale_after=NOW)  # what making the order left queued (its invoice)
    mail.outbox.clear()
    return order


def test_a_message_awaiting_something_goes_only_when_released_and_once(
    order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = tell_client(order=order, kind="production_finished", awaiting="test:1")
    event.refresh_from_db()
    assert (event.awaiting, event.notification_status) == ("test:1", NotificationStatus.QUEUED)
    assert mail.outbox == []
    # The sweep does not know what "test:1" is: it leaves it held.
    assert sweep(stale_after=NOW)["emails"] == 0
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        assert release(awaiting="test:1") == 1
    assert [m.subject for m in mail.outbox] == [f"Ваш заказ {order.number} изготовлен"]
    event.refresh_from_db()
    assert event.notification_status == NotificationStatus.SENT
    # Released again (a redelivered PDF task): nothing is held any more.
    with django_capture_on_commit_callbacks(execute=True):
        assert release(awaiting="test:1") == 0
    assert sweep(stale_after=NOW)["emails"] == 0
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("seller")
@pytest.mark.parametrize("pdf", ["ready", "given up"])
def test_the_sweep_releases_a_held_invoice_email_once_its_pdf_is_ready_or_given_up(
    pdf, catalogue, staff, manager, monkeypatch
):
    # The PDF worker never gets to it: only the sweep can release the e-mail.
    monkeypatch.setattr(invoice_tasks.invoice_render_pdf, "delay", lambda *a, **k: None)
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    event = order.events.get(data__notification="invoice_issued")
    assert event.awaiting == f"invoice-pdf:{invoice.pk}"
    mail.outbox.clear()

    sweep(stale_after=NOW)
    assert not [m for m in mail.outbox if invoice.number in m.body]  # no PDF yet
    if pdf == "ready":
        invoice_pdf_store(invoice.pk)
    else:
        Invoice.objects.filter(pk=invoice.pk).update(pdf_error="OSError('disk full')")
    assert sweep(stale_after=NOW)["emails"] == 1
    assert sweep(stale_after=NOW)["emails"] == 0
    [message] = [m for m in mail.outbox if invoice.number in m.body]
    attached = [name for name, *_ in message.attachments]
    assert attached == ([f"{invoice.number}.pdf"] if pdf == "ready" else [])
    event.refresh_from_db()
    assert event.notification_status == NotificationStatus.SENT


def test_a_channel_added_to_the_list_gets_what_tell_client_sends(
    staff, catalogue, recorder, django_capture_on_commit_callbacks
):
    # No e-mail address: only the new channel reaches this client, and it is not skipped.
    order = order_in_production(
        manager=staff["manager"],
        catalogue=catalogue,
        client=customer("ru", email=""),
        scheme=PaymentScheme.FULL_PREPAYMENT,
    )
    sweep(stale_after=NOW)  # what getting here queued
    recorder.letters.clear()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event = tell_client(order=order, kind="production_finished")
    [letter] = recorder.letters
    assert letter.to == [order.customer]
    assert letter.subject == f"Ваш заказ {order.number} изготовлен"
    assert letter.headers == {"X-Conveyor-Event": str(event.pk)}
    assert mail.outbox == []
    event.refresh_from_db()
    assert event.notification_status == NotificationStatus.SENT


def test_a_channel_added_to_the_list_gets_what_tell_staff_sends(
    staff, accountant, recorder, django_capture_on_commit_callbacks
):
    manager = staff["manager"]
    text = Msg(gettext_noop("Task assigned to you: %(title)s"), title="Glue")
    with django_capture_on_commit_callbacks(execute=True):
        assert tell_staff(to=manager, text=text, email=True) == 1
    assert manager.notifications.get().text == "Task assigned to you: Glue"
    [letter] = recorder.letters
    assert (letter.to, letter.subject) == ([manager], "Conveyor: Task assigned to you: Glue")
    assert [(m.to, m.subject) for m in mail.outbox] == [([manager.email], letter.subject)]

    # Without a bell: one letter to the role's members, through every channel, now.
    recorder.letters.clear()
    mail.outbox.clear()
    told = tell_staff(
        role=roles.ACCOUNTANTS, bell=False, email=True, text="Payments to check: 1", details="-"
    )
    assert told == 1
    [letter] = recorder.letters
    assert (letter.to, letter.subject, letter.text) == ([accountant], "Payments to check: 1", "-")
    assert [m.to for m in mail.outbox] == [[accountant.email]]
    assert not Notification.objects.filter(user=accountant).exists()
