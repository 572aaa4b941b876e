"""Who holds the ball: the time an order waits on the client (prepayment, postpayment,
pickup) is kept apart from the time it is on us; stage limits and production deadlines
count ours only, and the order page shows both clocks."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from invoices.models import Invoice
from notifications.deadlines import deadlines_run
from orders.calendar import WorkingTime
from orders.models import (
    DeliveryMethod,
    Notification,
    Order,
    PaymentScheme,
    Stage,
    StageLimit,
    TaskKind,
    TaskStatus,
)
from orders.services.clocks import order_clock_sync, order_clocks_rebuild
from pipeline.orders import order_cancel, order_take_into_work
from pipeline.work import task_complete
from tests.factories import (
    make_all_lines,
    new_order,
    pay,
    production_tasks,
    qualify,
    refreshed,
    ship,
)

pytestmark = pytest.mark.django_db

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
# 30 November 2026 is a Monday; the company works 9:00–18:00, Monday to Friday.
MONDAY = dt.date(2026, 11, 30)
DAY = 24 * 3600


def at(day: dt.date, hour: int, minute: int = 0, *, plus_days: int = 0) -> dt.datetime:
    day += dt.timedelta(days=plus_days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK)


def step(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def qualified(staff, catalogue, *, scheme: str, method: str = DeliveryMethod.PICKUP) -> Order:
    """A table and a chair ordered Monday at 10:00, qualified at 14:00."""
    manager = staff["manager"]
    courier = method != DeliveryMethod.PICKUP
    with step(at(MONDAY, 10)):
        order = new_order(
            [(catalogue["table"], 1), (catalogue["chair"], 1)],
            method=method,
            address="Moscow, Tverskaya 1" if courier else "",
            delivery_cost=Decimal("500.00") if courier else None,
            actor=manager,
            manager=manager,
        )
        order_take_into_work(order=order, actor=manager)
    terms: dict = {"payment_scheme": scheme}
    if scheme == PaymentScheme.PARTIAL_PREPAYMENT:
        terms["prepayment_amount"] = Decimal("1000.00")
    with step(at(MONDAY, 14)):
        return qualify(refreshed(order), manager, **terms)


def latest_invoice(order: Order) -> Invoice:
    return Invoice.objects.filter(order=order).latest("id")


def page(client, user, order: Order, *, moment: dt.datetime, language: str = "ru") -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with step(moment):
        response = client.get(order.get_absolute_url())
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_the_client_seconds_add_up_from_prepayment_to_the_pickup(staff, catalogue):
    manager = staff["manager"]
    order = qualified(staff, catalogue, scheme=PaymentScheme.PARTIAL_PREPAYMENT)
    assert (order.stage, order.client_since, order.client_seconds) == (
        Stage.PREPAYMENT,
        at(MONDAY, 14),
        0,
    )
    with step(at(MONDAY, 14, plus_days=2)):  # Wednesday: the prepayment comes
        pay(latest_invoice(order), actor=manager)
    order = refreshed(order)
    assert (order.stage, order.client_since, order.client_seconds) == (
        Stage.PRODUCTION,
        None,
        2 * DAY,
    )
    with step(at(MONDAY, 12, plus_days=3)):  # Thursday: made, the balance is due
        order = make_all_lines(order)
    assert (order.stage, order.client_since) == (Stage.POSTPAYMENT, at(MONDAY, 12, plus_days=3))
    with step(at(MONDAY, 18, plus_days=3)):  # six hours later, paid in full
        pay(latest_invoice(order), actor=manager)
    order = refreshed(order)
    assert (order.stage, order.client_since, order.client_seconds) == (
        Stage.DELIVERY_DETAILS,
        None,
        2 * DAY + 6 * 3600,
    )
    with step(at(MONDAY, 10, plus_days=4)):  # Friday: ready for pickup on Monday
        order = ship(order, manager, pickup_date=MONDAY + dt.timedelta(days=7))
    assert (order.stage, order.client_since) == (Stage.DELIVERY, at(MONDAY, 10, plus_days=4))
    handover = order.tasks.get(kind=TaskKind.DELIVER)
    with step(at(MONDAY, 11, plus_days=7)):  # the client comes on Monday at 11:00
        task_complete(task=handover, actor=handover.assignee)
    order = refreshed(order)
    # Prepayment 2 days, postpayment 6 hours, the pickup 3 days and an hour.
    assert (order.stage, order.client_since, order.client_seconds) == (
        Stage.WON,
        None,
        2 * DAY + 6 * 3600 + 3 * DAY + 3600,
    )


def test_a_courier_delivery_is_on_us(staff, catalogue):
    order = qualified(
        staff, catalogue, scheme=PaymentScheme.POSTPAYMENT, method=DeliveryMethod.COURIER
    )
    assert (order.stage, order.client_since) == (Stage.PRODUCTION, None)
    with step(at(MONDAY, 16)):
        order = make_all_lines(order)
        assert order.stage == Stage.POSTPAYMENT
    with step(at(MONDAY, 17)):
        pay(latest_invoice(order), actor=staff["manager"])
        order = ship(refreshed(order), staff["manager"])
    assert (order.stage, order.client_since, order.client_seconds) == (
        Stage.DELIVERY,
        None,
        3600,
    )


def test_the_order_page_shows_both_clocks_and_who_holds_the_ball(client, staff, catalogue):
    order = qualified(staff, catalogue, scheme=PaymentScheme.FULL_PREPAYMENT)
    wednesday = at(MONDAY, 14, plus_days=2)

    html = page(client, staff["manager"], order, moment=wednesday)
    # Monday 10:00–14:00 on us; since then two days waiting for the money.
    assert "У нас: 4 ч" in html
    assert "У клиента: 2 дня" in html
    assert "Сейчас ждём клиента: оплата предоплаты, 2 дня" in html
    assert 'data-holder="client"' in html

    with step(wednesday):
        pay(latest_invoice(order), actor=staff["manager"])
    html = page(client, staff["manager"], order, moment=at(MONDAY, 12, plus_days=4))
    # Ours: 4 h on Monday, then production Wednesday 14–18, Thursday, Friday 9–12: 16 h,
    # a working day (9 h) and 7 hours; the client's two days stay as they were.
    assert "У нас: 2 р. дн. 2 ч" in html
    assert "У клиента: 2 дня" in html
    assert "Сейчас у нас: Производство, 1 р. дн. 7 ч" in html
    assert 'data-holder="us"' in html

    english = page(
        client, staff["manager"], order, moment=at(MONDAY, 12, plus_days=4), language="en"
    )
    assert "On us: 2 wd 2 h" in english
    assert "Now on us: Production, 1 wd 7 h" in english


def test_the_page_counts_hours_and_minutes_while_the_wait_is_short(client, staff, catalogue):
    order = qualified(
        staff, catalogue, scheme=PaymentScheme.POSTPAYMENT, method=DeliveryMethod.PICKUP
    )
    with step(at(MONDAY, 15)):
        order = make_all_lines(order)
    html = page(client, staff["manager"], order, moment=at(MONDAY, 15, 40))
    assert "Сейчас ждём клиента: оплата остатка, 40 мин" in html
    html = page(client, staff["manager"], order, moment=at(MONDAY, 20, 40))
    assert "У клиента: 5 ч" in html
    assert "У нас: 5 ч" in html  # 10:00–15:00; the evening is the client's


def test_a_pickup_waits_on_the_client(client, staff, catalogue):
    order = qualified(staff, catalogue, scheme=PaymentScheme.POSTPAYMENT)
    with step(at(MONDAY, 15)):
        order = make_all_lines(order)
        pay(latest_invoice(order), actor=staff["manager"])
        order = ship(refreshed(order), staff["manager"], pickup_date=MONDAY)
    assert (order.stage, order.client_since) == (Stage.DELIVERY, at(MONDAY, 15))
    html = page(client, staff["manager"], order, moment=at(MONDAY, 15, plus_days=1))
    assert "Сейчас ждём клиента: самовывоз, 1 день" in html


@pytest.mark.parametrize("how", ["cancelled", "won"])
def test_cancelling_or_winning_stops_both_clocks(client, staff, catalogue, how):
    manager = staff["manager"]
    order = qualified(staff, catalogue, scheme=PaymentScheme.FULL_PREPAYMENT)
    tuesday = at(MONDAY, 14, plus_days=1)
    with step(tuesday):
        if how == "cancelled":
            order_cancel(order=order, actor=manager, reason="Changed their mind")
        else:
            pay(latest_invoice(order), actor=manager)
            order = make_all_lines(refreshed(order))
            order = ship(order, manager, pickup_date=tuesday.date())
            handover = order.tasks.get(kind=TaskKind.DELIVER)
            task_complete(task=handover, actor=handover.assignee)
    order = refreshed(order)
    assert order.stage == (Stage.LOST if how == "cancelled" else Stage.WON)
    assert (order.client_since, order.client_seconds) == (None, DAY)
    # A week later nothing has run on: 4 working hours on us, a day on the client.
    html = page(client, manager, order, moment=at(MONDAY, 14, plus_days=8))
    assert "У нас: 4 ч" in html
    assert "У клиента: 1 день" in html
    assert 'data-testid="clocks-now"' not in html


# ----------------------------------------------------------------------------- limits


@pytest.fixture
def limits(db) -> None:
    StageLimit.objects.all().delete()
    StageLimit.objects.create(stage=Stage.PREPAYMENT, working_hours=Decimal(16))
    StageLimit.objects.create(stage=Stage.PRODUCTION, working_hours=Decimal(18))
    StageLimit.objects.create(stage=Stage.DELIVERY, working_hours=Decimal(9))


def texts(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user, text__contains="working hours")
        .order_by("id")
        .values_list("text", flat=True)
    )


def run_at(moment: dt.datetime):
    with step(moment):
        return deadlines_run()


def test_a_stage_limit_counts_our_time_only(limits, staff, catalogue, head_of_sales):
    manager = staff["manager"]
    order = qualified(staff, catalogue, scheme=PaymentScheme.FULL_PREPAYMENT)
    with step(at(MONDAY, 14, plus_days=3)):  # Thursday: paid after three days
        pay(latest_invoice(order), actor=manager)
    order.tasks.filter(status=TaskStatus.OPEN).update(due_at=at(MONDAY, 9, plus_days=30))

    # Friday 16:00: 38 working hours since the order was qualified, 11 of them (Thursday
    # 14:00–18:00, Friday 9:00–16:00) in production.
    assert run_at(at(MONDAY, 16, plus_days=4)).escalated_orders == []
    # Monday 15:00: 4 + 9 + 6 = 19 working hours in production.
    assert run_at(at(MONDAY, 15, plus_days=7)).escalated_orders == [order.pk]
    message = f"Order {order.number} has been in “Production” longer than 18 working hours."
    assert texts(manager) == [message]
    assert texts(head_of_sales) == [message]


def test_a_client_over_the_limit_is_the_managers_to_chase(limits, staff, catalogue, head_of_sales):
    order = qualified(staff, catalogue, scheme=PaymentScheme.FULL_PREPAYMENT)
    # Monday 14:00–18:00, Tuesday, Wednesday 9:00–11:59: not quite 16 working hours.
    assert run_at(at(MONDAY, 11, 59, plus_days=2)).escalated_orders == []
    for minute in (0, 10):
        run_at(at(MONDAY, 12, minute, plus_days=2))
    chase = (
        f"Order {order.number} has waited on the client (paying the prepayment) longer than"
        " 16 working hours: remind them."
    )
    assert texts(staff["manager"]) == [chase]
    assert texts(head_of_sales) == []  # not our lateness
    event = refreshed(order).events.get(data__stage_limit=True)
    assert event.text == chase


def test_a_pickup_past_the_delivery_limit_is_chased_and_a_courier_escalated(
    limits, staff, catalogue, head_of_sales
):
    manager = staff["manager"]
    orders = {}
    for method in (DeliveryMethod.PICKUP, DeliveryMethod.COURIER):
        order = qualified(staff, catalogue, scheme=PaymentScheme.POSTPAYMENT, method=method)
        with step(at(MONDAY, 15)):
            order = make_all_lines(order)
            pay(latest_invoice(order), actor=manager)
            date = {
                "pickup_date" if method == DeliveryMethod.PICKUP else "planned_ship_date": MONDAY
                + dt.timedelta(days=14)
            }
            orders[method] = ship(refreshed(order), manager, **date)
    # In delivery since Monday 15:00: 3 working hours that day, 6 more by Tuesday 15:00.
    assert run_at(at(MONDAY, 14, 59, plus_days=1)).escalated_orders == []
    assert sorted(run_at(at(MONDAY, 15, plus_days=1)).escalated_orders) == sorted(
        o.pk for o in orders.values()
    )
    pickup, courier = orders[DeliveryMethod.PICKUP], orders[DeliveryMethod.COURIER]
    assert texts(head_of_sales) == [
        f"Order {courier.number} has been in “Delivery” longer than 9 working hours."
    ]
    assert (
        f"Order {pickup.number} has waited on the client (collecting the order) longer than"
        " 9 working hours: remind them."
    ) in texts(manager)


def test_the_chase_reads_in_the_managers_language(limits, staff, catalogue):
    manager = staff["manager"]
    manager.profile.language = "ru"
    manager.profile.save()
    order = qualified(staff, catalogue, scheme=PaymentScheme.FULL_PREPAYMENT)
    run_at(at(MONDAY, 10, plus_days=3))
    [text] = (
        Notification.objects.filter(user=manager, order=order)
        .values_list("text", flat=True)
        .filter(text__contains="клиента")
    )
    assert text == (
        f"Заказ {order.number} ждёт клиента (оплата предоплаты) дольше 16 рабочих часов: "
        "напомните клиенту."
    )


def test_production_deadlines_move_on_by_the_time_the_client_held_the_order(staff, catalogue):
    """An approval asked for in the middle of production holds the ball: when it comes the
    shop's deadlines move on by the working hours it took."""
    order = qualified(
        staff, catalogue, scheme=PaymentScheme.POSTPAYMENT, method=DeliveryMethod.COURIER
    )
    [first, second] = production_tasks(order)
    with step(at(MONDAY, 16)):
        task_complete(task=second, actor=second.assignee)
    due = first.due_at
    Order.objects.filter(pk=order.pk).update(client_since=at(MONDAY, 17))  # asked Monday 17:00
    order = refreshed(order)
    with step(at(MONDAY, 11, plus_days=1)):  # approved Tuesday 11:00: 3 working hours later
        assert order_clock_sync(order) is True
        order.save()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (order.client_since, order.client_seconds) == (None, 18 * 3600)
    assert first.due_at == WorkingTime.load().add_hours(due, 3)
    assert order.next_due_at == first.due_at
    assert second.status == TaskStatus.DONE


def test_the_board_marks_the_cards_waiting_on_the_client(client, staff, catalogue):
    waiting = qualified(staff, catalogue, scheme=PaymentScheme.FULL_PREPAYMENT)
    ours = qualified(staff, catalogue, scheme=PaymentScheme.POSTPAYMENT)
    client.force_login(staff["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.get("/board/").content.decode()
    cards = {
        number: card
        for card in html.split('<li class="card')[1:]
        for number in (waiting.number, ours.number)
        if f'data-number="{number}"' in card
    }
    assert "ждём клиента" in cards[waiting.number].split("</li>")[0]
    assert "ждём клиента" not in cards[ours.number].split("</li>")[0]


def test_the_clocks_of_older_orders_are_rebuilt_from_their_timeline(staff, catalogue):
    manager = staff["manager"]
    paid = qualified(staff, catalogue, scheme=PaymentScheme.FULL_PREPAYMENT)
    with step(at(MONDAY, 14, plus_days=2)):
        pay(latest_invoice(paid), actor=manager)
    waiting = qualified(staff, catalogue, scheme=PaymentScheme.FULL_PREPAYMENT)
    Order.objects.update(client_seconds=0, client_since=None)  # as before the clock

    with step(at(MONDAY, 9, plus_days=3)):
        assert order_clocks_rebuild(batch=1) == 2
        assert order_clocks_rebuild() == 0  # nothing left to set
    paid, waiting = refreshed(paid), refreshed(waiting)
    assert (paid.client_seconds, paid.client_since) == (2 * DAY, None)
    assert (waiting.client_seconds, waiting.client_since) == (0, at(MONDAY, 14))


def test_a_pickup_not_collected_on_its_day_is_the_managers_not_the_heads(
    limits, staff, catalogue, head_of_sales
):
    StageLimit.objects.all().delete()
    order = qualified(staff, catalogue, scheme=PaymentScheme.POSTPAYMENT)
    with step(at(MONDAY, 15)):
        order = make_all_lines(order)
        pay(latest_invoice(order), actor=staff["manager"])
        order = ship(refreshed(order), staff["manager"], pickup_date=MONDAY)
    handover = order.tasks.get(kind=TaskKind.DELIVER)
    assert handover.due_at == at(MONDAY, 18)

    assert run_at(at(MONDAY, 9, plus_days=1)).overdue == [handover.pk]
    overdue = Notification.objects.filter(text__startswith="Overdue")
    assert set(overdue.values_list("user", flat=True)) == {
        handover.assignee_id,
        staff["manager"].pk,
    }
    assert not overdue.filter(user=head_of_sales).exists()


def test_a_late_shipment_still_reaches_the_head(limits, staff, catalogue, head_of_sales):
    StageLimit.objects.all().delete()
    order = qualified(
        staff, catalogue, scheme=PaymentScheme.POSTPAYMENT, method=DeliveryMethod.COURIER
    )
    with step(at(MONDAY, 15)):
        order = make_all_lines(order)
        pay(latest_invoice(order), actor=staff["manager"])
        order = ship(refreshed(order), staff["manager"], planned_ship_date=MONDAY)
    run_at(at(MONDAY, 9, plus_days=1))
    assert Notification.objects.filter(user=head_of_sales, text__startswith="Overdue").exists()
