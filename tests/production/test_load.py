"""The head of production's load view: hours planned against capacity per work centre and
day for two weeks, each centre's queue and the late operations."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from orders.models import Holiday, Task, TaskStatus
from production.load import QUEUE_SIZE, load_for_head
from production.models import CapacityException, WorkCentre, WorkCentreLoad
from tests.factories import order_in_production, production_tasks

pytestmark = pytest.mark.django_db

# A Monday: the fortnight runs to Sunday the 15th.
TODAY = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def centres():
    paint = WorkCentre.objects.create(name="Paint shop", hours_per_day=Decimal("8"))
    cnc = WorkCentre.objects.create(name="CNC router", hours_per_day=Decimal("16"))
    return paint, cnc


def load_of(page, centre):
    return next(load for load in page.centres if load.centre == centre)


def test_each_day_shows_the_schedules_hours_against_capacity(centres):
    paint, cnc = centres
    WorkCentreLoad.objects.create(
        work_centre=paint, day=TODAY, capacity_hours=Decimal("8"), planned_hours=Decimal("6.5")
    )
    WorkCentreLoad.objects.create(
        work_centre=paint,
        day=TODAY + dt.timedelta(days=1),
        capacity_hours=Decimal("8"),
        planned_hours=Decimal("11"),
    )
    CapacityException.objects.create(
        work_centre=cnc, date=TODAY + dt.timedelta(days=2), hours=0, reason="Spindle broken"
    )
    Holiday.objects.create(date=TODAY + dt.timedelta(days=3), is_working_day=False)
    page = load_for_head()
    assert page.days[0] == TODAY and page.days[-1] == TODAY + dt.timedelta(days=13)
    days = load_of(page, paint).days
    assert [(d.planned, d.capacity, d.over) for d in days[:2]] == [
        (Decimal("6.5"), Decimal("8"), False),
        (Decimal("11"), Decimal("8"), True),
    ]
    assert days[1].over_hours == Decimal("3")
    # Days the schedule did not write: the calendar's capacity, nothing planned.
    assert (days[2].planned, days[2].capacity) == (0, Decimal("8"))
    assert (days[3].working, days[3].capacity) == (False, 0)  # the holiday
    assert (days[5].working, days[5].capacity) == (False, 0)  # Saturday
    cnc_days = load_of(page, cnc).days
    assert cnc_days[2].exception.reason == "Spindle broken"
    assert cnc_days[2].capacity == 0
    assert cnc_days[4].capacity == Decimal("16")
    assert load_of(page, paint).over_days == 1
    assert load_of(page, cnc).over_days == 0


def test_the_chart_draws_over_capacity_days_red_and_marks_days_off(
    client, head_of_production, centres
):
    paint, cnc = centres
    WorkCentreLoad.objects.create(
        work_centre=paint, day=TODAY, capacity_hours=Decimal("8"), planned_hours=Decimal("12")
    )
    CapacityException.objects.create(work_centre=cnc, date=TODAY, hours=0, reason="Spindle broken")
    client.force_login(head_of_production)
    html = client.get(reverse("production:load")).content.decode()
    paint_section = html[html.index(f'data-centre="{paint.pk}"') :]
    cnc_section = html[
        html.index(f'data-centre="{cnc.pk}"') : html.index(f'data-centre="{paint.pk}"')
    ]
    assert 'class="sf-day sf-day-over" data-day="2026-03-02"' in paint_section
    # 12 h over a scale of 12: the full 100 units high, red; the capacity line at 8 h.
    assert 'height="100" fill="#c62828"' in paint_section
    assert 'y1="33" y2="33"' in paint_section
    assert "over capacity on 1 day" in paint_section
    assert 'class="sf-day sf-day-off" data-day="2026-03-02"' in cnc_section
    assert "Spindle broken" in cnc_section
    assert ">12/8</td>" in paint_section


def test_each_centre_queues_its_next_operations_and_more_continues(
    client, staff, catalogue, head_of_production, centres
):
    paint, _cnc = centres
    tasks = []
    for _ in range(4):
        tasks += production_tasks(
            order_in_production(manager=staff["manager"], catalogue=catalogue)
        )
    for hour, task in enumerate(tasks):
        task.work_centre = paint
        task.planned_start = NOW + dt.timedelta(hours=hour)
        task.planned_finish = task.planned_start + dt.timedelta(minutes=50)
        task.save(update_fields=["work_centre", "planned_start", "planned_finish"])
    tasks[0].status = TaskStatus.DONE  # done: out of the queue
    tasks[0].save(update_fields=["status"])
    page = load_for_head()
    queue = load_of(page, paint).queue
    assert [t.pk for t in queue] == [t.pk for t in tasks[1 : 1 + QUEUE_SIZE]]
    more = load_of(page, paint).more
    assert more is not None
    client.force_login(head_of_production)
    rest = client.get(reverse("production:load_queue", args=[paint.pk]), {"after": str(more)})
    assert [t.pk for t in rest.context["tasks"]] == [t.pk for t in tasks[1 + QUEUE_SIZE :]]
    assert rest.context["next_cursor"] is None
    whole = client.get(reverse("production:load_queue", args=[paint.pk]), {"after": "bad"})
    assert [t.pk for t in whole.context["tasks"]] == [t.pk for t in tasks[1:]]


def test_late_operations_are_past_their_deadline_or_their_planned_finish(staff, catalogue, centres):
    paint, _cnc = centres
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    table, chairs = production_tasks(order)
    on_time = production_tasks(order_in_production(manager=staff["manager"], catalogue=catalogue))
    Task.objects.filter(pk=table.pk).update(due_at=NOW - dt.timedelta(hours=2))
    Task.objects.filter(pk=chairs.pk).update(
        work_centre=paint,
        planned_start=NOW - dt.timedelta(hours=3),
        planned_finish=NOW - dt.timedelta(hours=1),
    )
    Task.objects.filter(pk=on_time[0].pk).update(planned_finish=NOW + dt.timedelta(hours=1))
    done = on_time[1]
    Task.objects.filter(pk=done.pk).update(
        status=TaskStatus.DONE, due_at=NOW - dt.timedelta(days=1)
    )
    page = load_for_head()
    assert [t.pk for t in page.overdue] == [table.pk, chairs.pk]


def test_only_the_head_of_production_sees_the_load(client, staff, head_of_production, centres):
    client.force_login(staff["production"])
    assert client.get(reverse("production:load")).status_code == 403
    assert client.get(reverse("production:load_queue", args=[centres[0].pk])).status_code == 403
    client.force_login(head_of_production)
    page = client.get(reverse("production:load"))
    assert page.status_code == 200
    assert reverse("production:load") in page.content.decode()  # in the production menu
    assert client.get(reverse("production:load_queue", args=[999999])).status_code == 404


@pytest.mark.parametrize("orders", [1, 6])
def test_the_load_view_runs_a_fixed_number_of_queries(
    client, staff, catalogue, head_of_production, centres, orders, django_assert_num_queries
):
    paint, cnc = centres
    for index in range(orders):
        for step, task in enumerate(
            production_tasks(order_in_production(manager=staff["manager"], catalogue=catalogue))
        ):
            task.work_centre = (paint, cnc)[step]
            task.planned_start = NOW + dt.timedelta(hours=index)
            task.planned_finish = NOW + dt.timedelta(hours=index + 1)
            task.due_at = NOW - dt.timedelta(hours=1)  # late as well
            task.save(update_fields=["work_centre", "planned_start", "planned_finish", "due_at"])
    for day in range(14):
        for centre in centres:
            WorkCentreLoad.objects.create(
                work_centre=centre,
                day=TODAY + dt.timedelta(days=day),
                capacity_hours=centre.hours_per_day,
                planned_hours=Decimal(day),
            )
    client.force_login(head_of_production)
    # Queries: the session, the user, the head check; the work centres, their load rows and
    # capacity exceptions, the calendar and its holidays, the queues' ids, the late
    # operations' ids, those operations with their orders, lines, people, operations and
    # work centres; the layout's permissions (user's and groups'), open-task count, unread
    # notifications, role.
    with django_assert_num_queries(16):
        page = client.get(reverse("production:load"))
    assert page.status_code == 200
    assert len(load_of(page.context["page"], paint).queue) == min(orders, QUEUE_SIZE)
    assert len(page.context["page"].overdue) == 2 * orders
    assert timezone.now() == NOW


def test_the_late_list_stops_at_its_limit_and_says_there_are_more(
    staff, catalogue, centres, monkeypatch
):
    paint, _cnc = centres
    monkeypatch.setattr("production.load.OVERDUE_LIMIT", 2)
    tasks = production_tasks(order_in_production(manager=staff["manager"], catalogue=catalogue))
    tasks += production_tasks(order_in_production(manager=staff["manager"], catalogue=catalogue))
    for hours, task in enumerate(tasks, start=1):
        Task.objects.filter(pk=task.pk).update(due_at=NOW - dt.timedelta(hours=hours))
    # Waiting for its turn, but its plan says it should have been done an hour ago.
    waiting = tasks[0]
    Task.objects.filter(pk=waiting.pk).update(
        status=TaskStatus.WAITING,
        due_at=NOW + dt.timedelta(days=2),
        work_centre=paint,
        planned_start=NOW - dt.timedelta(hours=3),
        planned_finish=NOW - dt.timedelta(hours=1),
    )
    page = load_for_head()
    assert [t.pk for t in page.overdue] == [tasks[3].pk, tasks[2].pk]  # the oldest deadlines
    assert page.overdue_more
    monkeypatch.setattr("production.load.OVERDUE_LIMIT", 10)
    page = load_for_head()
    assert [t.pk for t in page.overdue] == [tasks[3].pk, tasks[2].pk, tasks[1].pk, waiting.pk]
    assert not page.overdue_more


@given(after=st.text(max_size=80))
def test_any_queue_position_in_a_link_opens_a_page(client, head_of_production, centres, after):
    client.force_login(head_of_production)
    page = client.get(reverse("production:load_queue", args=[centres[0].pk]), {"after": after})
    assert page.status_code == (400 if "\x00" in after else 200)  # NUL: config/inputs.py
