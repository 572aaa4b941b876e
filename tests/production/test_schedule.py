"""The schedule as a planner on paper would draw it. The week below: working days 9:00–17:00
(8 hours), Monday to Friday, from Monday 7 December 2026. Two work centres: "Cutting" of 8
hours a day (one person) and "Painting" of 16 (two people: two hours of work an hour)."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from production.schedule import Calendar, Centre, Op, OrderInfo, schedule

TZ = ZoneInfo("Europe/Moscow")
MONDAY = dt.date(2026, 12, 7)
CUT, PAINT = 1, 2


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Monday + `day` days, at that hour."""
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=TZ)


def week(*, holidays: tuple[dt.date, ...] = ()) -> Calendar:
    return Calendar(
        dt.time(9), dt.time(17), frozenset(range(5)), dict.fromkeys(holidays, False), TZ
    )


def centres(*, cut_exceptions: dict[dt.date, float] | None = None) -> list[Centre]:
    return [
        Centre(CUT, "Cutting", 8, cut_exceptions or {}),
        Centre(PAINT, "Painting", 16),
    ]


def two_orders(*, a: OrderInfo | None = None, b: OrderInfo | None = None):
    """Order 1: cut 4 h, then paint 8 h. Order 2: cut 8 h, then paint 4 h."""
    orders = [
        a or OrderInfo(1, promised_date=MONDAY + dt.timedelta(days=3)),
        b or OrderInfo(2, promised_date=MONDAY + dt.timedelta(days=2)),
    ]
    ops = [
        Op(11, 1, 101, 1, CUT, 240),
        Op(12, 1, 101, 2, PAINT, 480),
        Op(21, 2, 201, 1, CUT, 480),
        Op(22, 2, 201, 2, PAINT, 240),
    ]
    return orders, ops


def spans(plan) -> dict[int, tuple[dt.datetime, dt.datetime]]:
    return {task_id: (op.start, op.finish) for task_id, op in plan.ops.items()}


def test_the_earlier_promise_goes_first_and_each_operation_waits_for_the_previous_one():
    orders, ops = two_orders()
    plan = schedule(now=at(0, 9), calendar=week(), centres=centres(), orders=orders, operations=ops)
    assert spans(plan) == {
        # Order 2 is promised a day earlier: its cutting takes Monday.
        21: (at(0, 9), at(0, 17)),
        # Its painting starts when the cutting ends (Tuesday morning), 4 h at 2 h an hour.
        22: (at(1, 9), at(1, 11)),
        # Order 1 cuts after it, on Tuesday morning...
        11: (at(1, 9), at(1, 13)),
        # ...and paints from 13:00, when Painting has room: 8 h of work in 4 hours.
        12: (at(1, 13), at(1, 17)),
    }
    assert plan.orders[2].ready_at == at(1, 11)
    assert plan.orders[1].ready_at == at(1, 17)
    load = {(row.centre_id, row.day): (row.capacity_hours, row.planned_hours) for row in plan.load}
    assert load[CUT, MONDAY] == (8, 8)
    assert load[CUT, MONDAY + dt.timedelta(days=1)] == (8, 4)
    assert load[PAINT, MONDAY] == (16, 0)
    assert load[PAINT, MONDAY + dt.timedelta(days=1)] == (16, 12)
    # Saturday and Sunday have no capacity and nothing planned: no row.
    assert (CUT, MONDAY + dt.timedelta(days=5)) not in load
    assert plan.unplanned == []


def test_a_holiday_moves_everything_after_it():
    orders, ops = two_orders()
    tuesday = MONDAY + dt.timedelta(days=1)
    plan = schedule(
        now=at(0, 9),
        calendar=week(holidays=(tuesday,)),
        centres=centres(),
        orders=orders,
        operations=ops,
    )
    assert spans(plan) == {
        21: (at(0, 9), at(0, 17)),
        22: (at(2, 9), at(2, 11)),
        11: (at(2, 9), at(2, 13)),
        12: (at(2, 13), at(2, 17)),
    }


def test_a_broken_machine_day_closes_its_centre_only():
    orders, ops = two_orders()
    plan = schedule(
        now=at(0, 9),
        calendar=week(),
        centres=centres(cut_exceptions={MONDAY: 0}),
        orders=orders,
        operations=ops,
    )
    assert spans(plan) == {
        21: (at(1, 9), at(1, 17)),
        22: (at(2, 9), at(2, 11)),
        11: (at(2, 9), at(2, 13)),
        12: (at(2, 13), at(2, 17)),
    }
    assert plan.orders[1].ready_at == at(2, 17)


def test_a_higher_priority_goes_before_an_earlier_promise():
    orders, ops = two_orders(a=OrderInfo(1, priority=1, promised_date=MONDAY + dt.timedelta(3)))
    plan = schedule(now=at(0, 9), calendar=week(), centres=centres(), orders=orders, operations=ops)
    assert spans(plan) == {
        11: (at(0, 9), at(0, 13)),
        12: (at(0, 13), at(0, 17)),
        # Cutting has 4 h left on Monday and 4 more on Tuesday morning.
        21: (at(0, 13), at(1, 13)),
        22: (at(1, 13), at(1, 15)),
    }


def test_without_a_promise_an_order_waits_behind_the_promised_ones_then_by_payment():
    first_paid = dt.datetime(2026, 12, 1, 10, tzinfo=TZ)
    orders = [
        OrderInfo(1),  # nothing promised: last
        OrderInfo(2, promised_date=MONDAY + dt.timedelta(days=9), entered_at=first_paid),
        OrderInfo(3, promised_date=MONDAY + dt.timedelta(days=9), entered_at=at(-1, 12)),
        OrderInfo(4, promised_date=MONDAY + dt.timedelta(days=9), entered_at=first_paid),
    ]
    ops = [Op(order * 10, order, order * 100, 0, CUT, 120) for order in (1, 2, 3, 4)]
    plan = schedule(now=at(0, 9), calendar=week(), centres=centres(), orders=orders, operations=ops)
    # Same promise: the order paid first goes first; the same moment: the lower number.
    assert spans(plan) == {
        20: (at(0, 9), at(0, 11)),
        40: (at(0, 11), at(0, 13)),
        30: (at(0, 13), at(0, 15)),
        10: (at(0, 15), at(0, 17)),
    }


def test_an_operation_running_late_goes_on_from_now_and_pushes_the_queue():
    # It was planned for Monday morning; at 13:00 somebody is still on it, with 2 h to go.
    orders = [
        OrderInfo(1, promised_date=MONDAY + dt.timedelta(days=9)),
        OrderInfo(2, priority=5, promised_date=MONDAY),
    ]
    ops = [
        Op(11, 1, 101, 1, CUT, 120, in_progress=True),
        Op(12, 1, 101, 2, PAINT, 60),
        Op(21, 2, 201, 1, CUT, 240),
    ]
    plan = schedule(
        now=at(0, 13), calendar=week(), centres=centres(), orders=orders, operations=ops
    )
    assert spans(plan) == {
        11: (at(0, 13), at(0, 15)),
        12: (at(0, 15), at(0, 15, 30)),
        # The urgent order waits for it: 2 h on Monday, 2 h on Tuesday morning.
        21: (at(0, 15), at(1, 11)),
    }


def test_nothing_is_planned_before_now_or_outside_working_hours():
    orders = [OrderInfo(1)]
    ops = [Op(11, 1, 101, 1, CUT, 20 * 60)]
    # Saturday evening: the work starts on Monday, 20 h take to Wednesday 13:00.
    plan = schedule(
        now=at(-2, 20), calendar=week(), centres=centres(), orders=orders, operations=ops
    )
    assert spans(plan) == {11: (at(0, 9), at(2, 13))}


def test_a_late_order_names_the_centre_it_waits_for_and_the_hours_over():
    orders, ops = two_orders(
        a=OrderInfo(1, promised_date=MONDAY), b=OrderInfo(2, promised_date=MONDAY)
    )
    plan = schedule(now=at(0, 9), calendar=week(), centres=centres(), orders=orders, operations=ops)
    # The same promise: the lower number goes first, and is ready on Monday at 17:00.
    assert plan.orders[1].ready_at == at(0, 17)
    assert plan.orders[1].late_hours == 0
    assert plan.orders[1].late_centre_id is None
    # Order 2 waits until 13:00 for Cutting, then paints until Tuesday 15:00: 6 h late.
    assert plan.orders[2].ready_at == at(1, 15)
    assert plan.orders[2].late_hours == pytest.approx(6)
    assert plan.orders[2].late_centre_id == CUT


def test_a_late_order_that_waits_nowhere_names_the_centre_with_most_of_its_work():
    orders = [OrderInfo(1, promised_date=MONDAY)]
    ops = [Op(11, 1, 101, 1, CUT, 480), Op(12, 1, 101, 2, PAINT, 240)]
    plan = schedule(now=at(0, 9), calendar=week(), centres=centres(), orders=orders, operations=ops)
    assert plan.orders[1].ready_at == at(1, 11)
    assert plan.orders[1].late_hours == pytest.approx(2)
    assert plan.orders[1].late_centre_id == CUT


def test_the_delivery_lead_time_counts_in_working_days():
    orders = [
        OrderInfo(1, promised_date=MONDAY + dt.timedelta(days=3), lead_days=2),
        OrderInfo(2, promised_date=MONDAY + dt.timedelta(days=2), lead_days=2),
    ]
    ops = [Op(11, 1, 101, 1, PAINT, 8 * 60), Op(21, 2, 201, 1, PAINT, 16 * 60)]
    plan = schedule(now=at(3, 9), calendar=week(), centres=centres(), orders=orders, operations=ops)
    # Thursday: order 2 (promised Wednesday, already past) takes Painting's whole day;
    # order 1 paints Friday morning, delivered two working days later, Tuesday 13:00.
    assert plan.orders[2].ready_at == at(3, 17)
    assert plan.orders[2].delivered_at == at(7, 17)
    assert plan.orders[1].ready_at == at(4, 13)
    assert plan.orders[1].delivered_at == at(8, 13)
    # Thursday 17:00 → Tuesday 13:00; Wednesday 17:00 (Thursday 9:00) → Monday 17:00.
    assert plan.orders[1].late_hours == pytest.approx(20)
    assert plan.orders[2].late_hours == pytest.approx(24)


def test_a_preloaded_day_is_taken_first():
    orders = [OrderInfo(1)]
    ops = [Op(11, 1, 101, 1, CUT, 360)]
    plan = schedule(
        now=at(0, 9),
        calendar=week(),
        centres=centres(),
        orders=orders,
        operations=ops,
        preload={CUT: {MONDAY: 6}},
    )
    assert spans(plan) == {11: (at(0, 15), at(1, 13))}


def test_a_centre_with_no_capacity_leaves_its_work_unplanned():
    orders = [OrderInfo(1)]
    ops = [Op(11, 1, 101, 1, 3, 60), Op(12, 1, 101, 2, CUT, 60)]
    plan = schedule(
        now=at(0, 9),
        calendar=week(),
        centres=[*centres(), Centre(3, "Closed", 0)],
        orders=orders,
        operations=ops,
    )
    assert plan.unplanned == [11, 12]
    assert plan.orders == {}


def test_the_same_input_in_any_order_gives_the_same_plan():
    rnd = random.Random(7)
    orders = [
        OrderInfo(
            i,
            priority=rnd.choice([0, 0, 1]),
            promised_date=MONDAY + dt.timedelta(rnd.randrange(20)),
        )
        for i in range(1, 40)
    ]
    ops = [
        Op(
            order.id * 10 + step,
            order.id,
            order.id,
            step,
            rnd.choice([CUT, PAINT]),
            rnd.randrange(30, 600),
        )
        for order in orders
        for step in (1, 2, 3)
    ]
    first = schedule(
        now=at(0, 10), calendar=week(), centres=centres(), orders=orders, operations=ops
    )
    rnd.shuffle(ops)
    rnd.shuffle(orders)
    again = schedule(
        now=at(0, 10), calendar=week(), centres=centres(), orders=orders, operations=ops
    )
    assert first == again
    # And every line keeps its order of operations.
    for order in orders:
        steps = [first.ops[order.id * 10 + step] for step in (1, 2, 3)]
        assert steps[0].finish <= steps[1].start and steps[1].finish <= steps[2].start


def test_work_ready_earlier_fills_the_time_a_centre_waits_for_another_line():
    # Painting waits until 13:00 for the urgent order's cutting; the other order's
    # painting, ready now, takes the morning instead of waiting behind it.
    orders = [OrderInfo(1, priority=1), OrderInfo(3)]
    ops = [
        Op(11, 1, 101, 1, CUT, 240),
        Op(12, 1, 101, 2, PAINT, 480),
        Op(31, 3, 301, 1, PAINT, 240),
    ]
    plan = schedule(now=at(0, 9), calendar=week(), centres=centres(), orders=orders, operations=ops)
    assert spans(plan) == {
        11: (at(0, 9), at(0, 13)),
        12: (at(0, 13), at(0, 17)),
        31: (at(0, 9), at(0, 11)),
    }
    load = {(row.centre_id, row.day): row.planned_hours for row in plan.load}
    assert load[PAINT, MONDAY] == 12
