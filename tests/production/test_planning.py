"""The schedule's run against the database: what it writes on the operations, the work
centres' load and the orders, when an order is announced at risk, and the promise it
proposes. The company's day is 9:00–18:00 (9 hours), Monday to Friday; it is Monday
7 December 2026, 9:00. "Раскрой" (cutting) has one person, 9 hours a day; "Покраска"
(painting) two, 18 hours a day: two hours of work an hour. A cabinet is cut in 4 hours,
then painted in 8."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.texts import Msg, moment
from orders import roles
from orders.models import (
    DeliveryMethod,
    EventKind,
    Holiday,
    Notification,
    Order,
    TaskStatus,
    TimelineEvent,
)
from production.models import CapacityException, Operation, Product, WorkCentre, WorkCentreLoad
from production.planning import promise_propose, schedule_preview, schedule_run
from tests.conftest import make_user
from tests.factories import new_order, order_in_production, production_tasks, refreshed

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Europe/Moscow")
MONDAY = dt.date(2026, 12, 7)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=TZ)


@pytest.fixture
def monday(time_machine):
    time_machine.move_to(at(0, 9), tick=False)
    return time_machine


@pytest.fixture
def shop(db):
    cutting = WorkCentre.objects.create(name="Раскрой", hours_per_day=Decimal("9"))
    painting = WorkCentre.objects.create(name="Покраска", hours_per_day=Decimal("18"))
    cabinet = Product.objects.create(
        sku="CAB-1", name="Шкаф", price=Decimal("20000.00"), lead_time_days=5
    )
    Operation.objects.create(
        product=cabinet, position=1, name="Раскрой", work_centre=cutting, minutes_per_unit=240
    )
    Operation.objects.create(
        product=cabinet, position=2, name="Покраска", work_centre=painting, minutes_per_unit=480
    )
    return {"cutting": cutting, "painting": painting, "cabinet": cabinet}


def cabinet_order(shop, manager, *, promised: dt.date, priority: int = 0) -> Order:
    order = order_in_production(
        manager=manager,
        catalogue={"cabinet": shop["cabinet"]},
        lines=[("cabinet", "1")],
        delivery_method=DeliveryMethod.PICKUP,
    )
    Order.objects.filter(pk=order.pk).update(promised_date=promised, priority=priority)
    return refreshed(order)


@pytest.fixture
def two_orders(monday, shop, manager, staff):
    """Order "late" promised Thursday, order "soon" promised Wednesday (so it goes first);
    both in production from this morning."""
    late = cabinet_order(shop, manager, promised=MONDAY + dt.timedelta(days=3))
    soon = cabinet_order(shop, manager, promised=MONDAY + dt.timedelta(days=2))
    return late, soon


def plan_of(order: Order) -> list[tuple[dt.datetime | None, dt.datetime | None]]:
    return [(task.planned_start, task.planned_finish) for task in production_tasks(order)]


def test_a_run_plans_each_operation_the_load_and_the_orders(two_orders, shop):
    late, soon = two_orders
    result = schedule_run()
    assert result.operations == 4
    # "soon" cuts 9–13 and paints 13–17 (8 h of work in 4 hours).
    assert plan_of(soon) == [(at(0, 9), at(0, 13)), (at(0, 13), at(0, 17))]
    # "late" cuts after it, 13–17, then paints 17–18 (2 h) and Tuesday 9–12 (6 h).
    assert plan_of(late) == [(at(0, 13), at(0, 17)), (at(0, 17), at(1, 12))]
    assert refreshed(soon).planned_ready_at == at(0, 17)
    assert refreshed(late).planned_ready_at == at(1, 12)
    load = {
        (row.work_centre_id, row.day): (row.capacity_hours, row.planned_hours)
        for row in WorkCentreLoad.objects.filter(day__lte=MONDAY + dt.timedelta(days=1))
    }
    cutting, painting = shop["cutting"].pk, shop["painting"].pk
    assert load == {
        (cutting, MONDAY): (Decimal("9.00"), Decimal("8.00")),
        (cutting, MONDAY + dt.timedelta(days=1)): (Decimal("9.00"), Decimal("0.00")),
        (painting, MONDAY): (Decimal("18.00"), Decimal("10.00")),
        (painting, MONDAY + dt.timedelta(days=1)): (Decimal("18.00"), Decimal("6.00")),
    }
    # Nothing moved: the next run writes nothing.
    assert schedule_run().changed == 0


def test_a_holiday_moves_the_painting_to_the_next_working_day(two_orders):
    late, _soon = two_orders
    Holiday.objects.create(date=MONDAY + dt.timedelta(days=1), name="Праздник")
    schedule_run()
    assert plan_of(late)[1] == (at(0, 17), at(2, 12))


def test_a_broken_machine_day_closes_only_its_centre(two_orders, shop):
    late, soon = two_orders
    CapacityException.objects.create(work_centre=shop["painting"], date=MONDAY, hours=0)
    schedule_run()
    assert plan_of(soon) == [(at(0, 9), at(0, 13)), (at(1, 9), at(1, 13))]
    assert plan_of(late) == [(at(0, 13), at(0, 17)), (at(1, 13), at(1, 17))]


def test_a_higher_priority_goes_first_whatever_the_promise(two_orders):
    late, soon = two_orders
    Order.objects.filter(pk=late.pk).update(priority=1)
    schedule_run()
    assert plan_of(late) == [(at(0, 9), at(0, 13)), (at(0, 13), at(0, 17))]
    assert plan_of(soon) == [(at(0, 13), at(0, 17)), (at(0, 17), at(1, 12))]


def test_an_operation_running_late_pushes_the_queue(two_orders, monday):
    late, soon = two_orders
    schedule_run()
    # At 15:00 the cutting planned for 9–13 is still going: 3 of its 4 hours worked.
    monday.move_to(at(0, 15), tick=False)
    cut = production_tasks(soon)[0]
    cut.status = TaskStatus.IN_PROGRESS
    cut.worked_seconds = 3 * 3600
    cut.save()
    schedule_run()
    # It goes on from now for its last hour; its painting follows (16–18, Tuesday 9–11).
    assert plan_of(soon) == [(at(0, 15), at(0, 16)), (at(0, 16), at(1, 11))]
    # The other cabinet's cutting waits for it (16–18, Tuesday 9–11), and its painting
    # takes what is left after 11:00: 8 h of work by 15:00.
    assert plan_of(late) == [(at(0, 16), at(1, 11)), (at(1, 11), at(1, 15))]
    assert refreshed(late).planned_ready_at == at(1, 15)


def test_it_proposes_the_earliest_promise_behind_the_queue_and_later_after_a_late_payment(
    two_orders, shop, manager
):
    schedule_run()
    order = new_order(
        [(shop["cabinet"], 1)], method=DeliveryMethod.PICKUP, actor=manager, manager=manager
    )
    # Behind the two cabinets: cutting Monday 17–18 and Tuesday 9–12, painting 12–16.
    now = promise_propose(order)
    assert now.ready_at == at(1, 16)
    assert now.promised_date == MONDAY + dt.timedelta(days=1)
    # Paid on Thursday morning: the shop is free by then, it is ready the same day.
    paid_late = promise_propose(order, start=at(3, 9))
    assert paid_late.ready_at == at(3, 17)
    assert paid_late.promised_date == MONDAY + dt.timedelta(days=3)
    # Delivered by a carrier: two working days more (Thursday → Monday).
    Order.objects.filter(pk=order.pk).update(delivery_method=DeliveryMethod.CARRIER)
    carried = promise_propose(refreshed(order), start=at(3, 9))
    assert carried.promised_date == MONDAY + dt.timedelta(days=7)


def test_a_line_without_a_routing_is_planned_at_its_team(monday, catalogue, manager, staff):
    # The table: 120 labour minutes; the chairs: 4 × 60. The department has one person.
    order = order_in_production(manager=manager, catalogue=catalogue)
    schedule_run()
    assert plan_of(order) == [(at(0, 9), at(0, 11)), (at(0, 11), at(0, 15))]
    assert refreshed(order).planned_ready_at == at(0, 15)


def bells(order: Order) -> list[tuple[str, str]]:
    """The order's bells about its promise (not those of its tasks)."""
    notes = Notification.objects.filter(order=order, text__contains="promised date")
    return sorted((note.user.username, note.text) for note in notes)


def test_an_order_at_risk_is_announced_once_and_again_after_it_recovered_and_slipped(
    two_orders, manager
):
    late, soon = two_orders
    head = make_user("ivan", roles.HEAD_OF_PRODUCTION)
    # Both promised for today: "late" (the lower number goes first) is ready by 17:00,
    # "soon" waits for the cutting until 13:00 and is ready Tuesday at 12:00.
    Order.objects.filter(pk__in=[late.pk, soon.pk]).update(promised_date=MONDAY)
    earlier = TimelineEvent.objects.filter(order=soon).count()
    result = schedule_run()
    assert (result.at_risk, result.announced) == (1, 1)
    soon = refreshed(soon)
    assert soon.at_risk_since == at(0, 9)
    expected = f"Order {soon.number} will miss its promised date: Раскрой: 3 h later than promised"
    assert bells(soon) == [(head.username, expected), (manager.username, expected)]
    assert refreshed(late).at_risk_since is None
    # The next run finds it still at risk: nobody hears it again.
    assert schedule_run().announced == 0
    assert len(bells(soon)) == 2
    # The head of production puts it first: it is on time again, the timeline says so.
    Order.objects.filter(pk=soon.pk).update(priority=1)
    assert schedule_run().recovered == 1
    assert refreshed(soon).at_risk_since is None
    assert refreshed(late).at_risk_since is not None  # now the other one waits
    notes = TimelineEvent.objects.filter(order=soon).order_by("id")[earlier:]
    assert [(note.kind, note.text) for note in notes] == [
        (EventKind.PROMISE, expected),
        (
            EventKind.PROMISE,
            f"Order {soon.number} is back on schedule: ready by {moment(at(0, 17))}",
        ),
    ]
    # …and it slips again: announced again.
    Order.objects.filter(pk=late.pk).update(priority=2)
    assert schedule_run().announced == 1
    assert len(bells(soon)) == 4


def test_the_at_risk_reason_is_in_the_readers_language(two_orders, manager):
    late, soon = two_orders
    Order.objects.filter(pk__in=[late.pk, soon.pk]).update(promised_date=MONDAY)
    schedule_run()
    reason = Msg.from_data(refreshed(soon).at_risk_reason)
    assert reason.render("ru") == "Раскрой: на 3 ч позже обещанного"


def test_a_preview_shows_the_effect_of_priorities_and_writes_nothing(two_orders):
    late, soon = two_orders
    schedule_run()
    rows = schedule_preview({late.pk: 1})
    assert [(row.order, row.ready_before, row.ready_after) for row in rows] == [
        (late, at(1, 12), at(0, 17)),
        (soon, at(0, 17), at(1, 12)),
    ]
    assert refreshed(late).planned_ready_at == at(1, 12)
    assert refreshed(late).priority == 0


def test_an_order_with_nothing_left_to_make_is_no_longer_at_risk(two_orders):
    late, soon = two_orders
    Order.objects.filter(pk__in=[late.pk, soon.pk]).update(promised_date=MONDAY)
    schedule_run()
    assert refreshed(soon).at_risk_since is not None
    soon.tasks.filter(step__gt=0).update(status=TaskStatus.DONE)
    assert schedule_run().at_risk == 0
    assert refreshed(soon).at_risk_since is None


def test_a_line_without_a_routing_is_late_at_production(monday, catalogue, manager, staff):
    order = order_in_production(manager=manager, catalogue=catalogue)
    Order.objects.filter(pk=order.pk).update(
        promised_date=MONDAY - dt.timedelta(days=1), delivery_method=DeliveryMethod.PICKUP
    )
    schedule_run()
    reason = Msg.from_data(refreshed(order).at_risk_reason)
    # Ready at 15:00 today, promised for yesterday: six working hours late.
    assert reason.render("ru") == "Производство: на 6 ч позже обещанного"
