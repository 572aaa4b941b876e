"""What the system writes for staff reads in each reader's language, whoever caused it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone, translation

from invoices.models import PaymentSource
from orders import roles
from orders.models import EventKind, Notification, Stage, TimelineEvent
from pipeline.orders import order_hand_over
from pipeline.payments import payment_register
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _page(client, user, order, language: str) -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(order.get_absolute_url()).content.decode()


def test_a_payment_in_the_timeline_reads_in_each_viewers_language(
    client, staff, head_of_sales, order_factory
):
    order = order_factory(stage=Stage.PREPAYMENT, lines=1)
    invoice = order.invoices.get()
    with translation.override("ru"):  # entered by someone working in Russian
        payment_register(
            invoice=invoice,
            amount=Decimal("15000.00"),
            source=PaymentSource.MANUAL,
            actor=staff["manager"],
            reference="п/п 42",
        )

    english = _page(client, staff["manager"], order, "en")
    russian = _page(client, head_of_sales, order, "ru")

    assert (
        f"Payment of 15,000.00\xa0₽ received for invoice {invoice.number} (Registered by staff)"
        in (english)
    )
    assert f"по счёту {invoice.number} (Внесён сотрудником)" in russian
    assert "Получен платёж 15\xa0000,00\xa0₽ по счёту" in russian
    # The column keeps the site's language, for admin and search.
    event = TimelineEvent.objects.get(order=order, kind=EventKind.PAYMENT)
    assert event.text.startswith("Payment of 15,000.00\xa0₽ received")


def test_a_bell_is_written_in_the_recipients_language(staff, head_of_sales, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    sasha = make_user("sasha", roles.SALES_MANAGERS, first_name="Sasha")
    sasha.profile.language = "ru"
    sasha.profile.save()

    with translation.override("en"):
        order_hand_over(order=order, manager=sasha, actor=head_of_sales)

    to_sasha = Notification.objects.filter(user=sasha).values_list("text", flat=True)
    to_masha = Notification.objects.filter(user=staff["manager"]).values_list("text", flat=True)
    assert f"Вам передан заказ {order.number}" in to_sasha
    assert f"Order {order.number} was handed over to Sasha" in to_masha


def test_people_s_own_words_stay_as_written(client, staff, head_of_sales, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])
    client.post(f"/orders/{order.number}/comment/", {"text": "Клиент просит позвонить"})

    assert "Клиент просит позвонить" in _page(client, head_of_sales, order, "en")


def test_a_task_the_robot_wrote_reads_in_each_viewers_language(client, staff, order_factory):
    with translation.override("ru"):  # qualified by someone working in Russian
        order = order_factory(stage=Stage.PRODUCTION, lines=1)
    task = order.tasks.get(department="production")
    assert task.title.startswith("Make Oak table")  # the column: the site's language

    client.force_login(staff["production"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Make Oak table × 1" in client.get("/tasks/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    assert "Изготовить: Oak table × 1" in client.get("/tasks/").content.decode()


def test_the_new_task_bell_names_the_task_in_the_recipients_language(staff, order_factory):
    staff["production"].profile.language = "ru"
    staff["production"].profile.save()
    with translation.override("en"):
        order = order_factory(stage=Stage.PRODUCTION, lines=1)

    bell = Notification.objects.get(user=staff["production"], order=order)
    assert bell.text == f"Новая задача: Изготовить: Oak table × 1 (заказ {order.number})"


def test_date_pickers_show_their_date_in_russian_too(client, staff, order_factory):
    order = order_factory(stage=Stage.PREPAYMENT, lines=1)
    today = timezone.localdate().isoformat()
    page = _page(client, staff["manager"], order, "ru")
    assert f'type="date" name="paid_on" value="{today}"' in page


def test_a_stored_message_names_only_our_own_choices():
    from core.texts import msg_text

    def stored(choice: str, value: str) -> dict:
        return {"msg": {"id": "%(x)s", "args": {"x": {"choice": choice, "value": value}}}}

    # Shown as written: nothing outside our choices is imported or called.
    assert msg_text("kept", stored("os.system", "true")) == "true"
    assert msg_text("kept", stored("orders.services.order_cancel", "1")) == "1"
    with translation.override("en"):
        assert msg_text("kept", stored("orders.models.Stage", "won")) == "Won"


def test_a_cancel_tells_each_task_doer_in_their_own_language(staff, order_factory):
    staff["production"].profile.language = "ru"
    staff["production"].profile.save()
    order = order_factory(stage=Stage.PRODUCTION, lines=1)

    from pipeline.orders import order_cancel

    with translation.override("en"):
        order_cancel(order=order, actor=staff["manager"], reason="Client changed their mind")

    told = Notification.objects.filter(user=staff["production"], text__startswith="Заказ")
    assert told.get().text == (
        f"Заказ {order.number} отменён: остановите работу над «Изготовить: Oak table × 1»"
    )
