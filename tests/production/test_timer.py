"""The shop floor's timer: start, pause, resume and finish an operation; the minutes it
recorded become the line's labour in its actual cost and margin."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from orders import roles
from orders.models import Task, TaskStatus
from production.models import LineCost, Operation, WorkCentre
from tests.conftest import make_user
from tests.factories import order_in_production, production_tasks

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def post(client, name: str, task: Task, data: dict | None = None, **headers):
    return client.post(reverse(f"production:{name}", args=[task.pk]), data or {}, **headers)


def refreshed(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


@pytest.fixture
def table_task(staff, catalogue) -> Task:
    """The table's task of a fresh order: 2,050.00 of materials and 120 standard minutes at
    600.00 an hour (1,200.00) make its standard cost 3,250.00."""
    with time_machine.travel(START - dt.timedelta(days=1), tick=False):
        order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    return production_tasks(order)[0]


def test_start_pause_resume_and_finish_add_up_the_spells(client, staff, table_task):
    client.force_login(staff["production"])
    with time_machine.travel(START, tick=False) as clock:
        assert post(client, "task_start", table_task).status_code == 302
        task = refreshed(table_task)
        assert (task.status, task.timer_started_at, task.worked_seconds) == (
            TaskStatus.IN_PROGRESS,
            START,
            0,
        )
        assert task.started_at == START
        clock.shift(dt.timedelta(minutes=25, seconds=10))
        post(client, "task_pause", table_task)
        task = refreshed(table_task)
        assert (task.timer_started_at, task.worked_seconds) == (None, 25 * 60 + 10)
        clock.shift(dt.timedelta(hours=1))  # lunch: not counted
        post(client, "task_start", table_task)
        assert refreshed(table_task).timer_started_at == START + dt.timedelta(
            hours=1, minutes=25, seconds=10
        )
        clock.shift(dt.timedelta(minutes=64, seconds=50))
        done = post(client, "task_done", table_task)
    assert done.status_code == 302
    task = refreshed(table_task)
    assert task.status == TaskStatus.DONE
    assert (task.timer_started_at, task.worked_seconds) == (None, 90 * 60)
    # The first start is kept: a resume does not move it.
    assert task.started_at == START


def test_finishing_puts_the_timers_minutes_into_the_lines_actual_cost_and_margin(
    client, staff, table_task
):
    client.force_login(staff["production"])
    with time_machine.travel(START, tick=False) as clock:
        post(client, "task_start", table_task)
        clock.shift(dt.timedelta(minutes=89, seconds=40))  # 89:40 → 90 minutes
        post(client, "task_done", table_task)
    cost = LineCost.objects.get(line=table_task.line)
    assert cost.labour_minutes == 90
    line = table_task.line
    line.refresh_from_db()
    # Materials at standard (2,050.00) + 90 minutes at 600.00 an hour (900.00).
    assert line.actual_cost == Decimal("2950.00")
    assert line.margin == line.amount - Decimal("2950.00")


def test_minutes_typed_in_win_over_the_timer(client, staff, table_task):
    client.force_login(staff["production"])
    with time_machine.travel(START, tick=False) as clock:
        post(client, "task_start", table_task)
        clock.shift(dt.timedelta(hours=5))  # forgot to pause over lunch
        post(client, "task_done", table_task, {"labour_minutes": "150"})
    assert LineCost.objects.get(line=table_task.line).labour_minutes == 150
    assert refreshed(table_task).worked_seconds == 5 * 3600


def test_a_task_finished_without_the_timer_keeps_its_standard_labour(client, staff, table_task):
    client.force_login(staff["production"])
    post(client, "task_done", table_task)
    table_task.line.refresh_from_db()
    assert table_task.line.actual_cost is None
    assert table_task.line.cost == Decimal("3250.00")


def test_starting_a_second_timer_pauses_the_first_and_says_so(client, staff, catalogue):
    with time_machine.travel(START - dt.timedelta(days=1), tick=False):
        order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    table, chairs = production_tasks(order)
    client.force_login(staff["production"])
    with time_machine.travel(START, tick=False) as clock:
        post(client, "task_start", table)
        clock.shift(dt.timedelta(minutes=10))
        page = post(client, "task_start", chairs, follow=True)
    assert "Paused: Make Oak table × 1" in page.content.decode()
    table, chairs = refreshed(table), refreshed(chairs)
    assert (table.timer_started_at, table.worked_seconds) == (None, 600)
    assert table.status == TaskStatus.IN_PROGRESS
    assert chairs.timer_started_at == START + dt.timedelta(minutes=10)


def test_pressing_start_twice_keeps_the_running_spell(client, staff, table_task):
    client.force_login(staff["production"])
    with time_machine.travel(START, tick=False) as clock:
        post(client, "task_start", table_task)
        clock.shift(dt.timedelta(minutes=3))
        post(client, "task_start", table_task)
    task = refreshed(table_task)
    assert (task.timer_started_at, task.worked_seconds) == (START, 0)


def test_pausing_a_timer_that_does_not_run_says_so(client, staff, table_task):
    client.force_login(staff["production"])
    post(client, "task_start", table_task)
    post(client, "task_pause", table_task)
    page = post(client, "task_pause", table_task, follow=True)
    assert "The timer of this task is not running." in page.content.decode()
    refused = post(client, "task_pause", table_task, HTTP_HX_REQUEST="true")
    assert refused.status_code == 409
    assert "The timer of this task is not running." in refused.content.decode()


def test_only_the_assignee_or_the_head_of_production_runs_a_timer(
    client, staff, table_task, head_of_production
):
    colleague = make_user("fedor", roles.PRODUCTION)
    client.force_login(colleague)
    for name in ("task_start", "task_pause", "task_done"):
        assert post(client, name, table_task).status_code == 403
    assert refreshed(table_task).status == TaskStatus.OPEN
    client.force_login(staff["manager"])
    assert post(client, "task_start", table_task).status_code == 403
    client.force_login(head_of_production)
    assert post(client, "task_start", table_task).status_code == 302
    assert refreshed(table_task).timer_started_at is not None


def test_a_timer_action_is_a_post(client, staff, table_task):
    client.force_login(staff["production"])
    assert client.get(reverse("production:task_start", args=[table_task.pk])).status_code == 405
    assert client.get(reverse("production:task_pause", args=[table_task.pk])).status_code == 405


def test_a_done_task_cannot_be_started_again(client, staff, table_task):
    client.force_login(staff["production"])
    post(client, "task_done", table_task)
    page = post(client, "task_start", table_task, follow=True)
    assert "This task is already Done." in page.content.decode()
    assert refreshed(table_task).timer_started_at is None


def test_htmx_gets_the_card_back_with_the_running_clock(client, staff, table_task):
    client.force_login(staff["production"])
    with time_machine.travel(START, tick=False):
        answer = post(
            client,
            "task_start",
            table_task,
            {"next": "/production/"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET=f"task-{table_task.pk}",
            HTTP_HX_CURRENT_URL="http://testserver/production/",
        )
    html = answer.content.decode()
    assert answer.status_code == 200
    assert html.startswith(f'<li id="task-{table_task.pk}"')
    assert 'data-action="pause"' in html
    assert 'data-action="start"' not in html
    assert 'data-running datetime="PT0S"' in html or "data-running" in html
    local = timezone.localtime(START).strftime("%H:%M")
    assert f"running since {local}" in html


def test_htmx_on_the_task_page_gets_its_timer_section(client, staff, table_task):
    client.force_login(staff["production"])
    with time_machine.travel(START, tick=False) as clock:
        post(client, "task_start", table_task)
        clock.shift(dt.timedelta(minutes=12, seconds=5))
        answer = post(
            client,
            "task_pause",
            table_task,
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET=f"timer-{table_task.pk}",
        )
    html = answer.content.decode()
    assert html.startswith(f'<section id="timer-{table_task.pk}"')
    assert ">0:12:05</time>" in html
    assert 'data-action="resume"' in html
    # The status above, out of band: the start made it "in progress".
    assert f'<span id="task-status-{table_task.pk}" hx-swap-oob="true">In progress</span>' in html


def test_htmx_finish_removes_the_card_and_tells_what_was_done(client, staff, table_task):
    client.force_login(staff["production"])
    answer = post(
        client,
        "task_done",
        table_task,
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"task-{table_task.pk}",
    )
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "<li" not in html.split('<div id="notices"')[0]
    assert 'hx-swap-oob="beforeend"' in html
    assert "Done: Make Oak table × 1" in html


def test_the_task_page_reads_since_when_the_timer_runs_without_scripts(client, staff, table_task):
    client.force_login(staff["production"])
    with time_machine.travel(START, tick=False) as clock:
        post(client, "task_start", table_task)
        clock.shift(dt.timedelta(minutes=7))
        page = client.get(reverse("production:task", args=[table_task.pk]))
    html = page.content.decode()
    local = timezone.localtime(START).strftime("%H:%M")
    assert f"running since {local}" in html
    assert 'data-elapsed="420"' in html
    assert ">0:07:00</time>" in html


def test_an_operations_card_keeps_its_place_in_the_line_after_a_timer_action(
    client, staff, catalogue
):
    shop = WorkCentre.objects.create(name="Joinery")
    shop.members.add(staff["production"])
    for position, name in enumerate(["Cut", "Assemble"], start=1):
        Operation.objects.create(
            product=catalogue["table"], position=position, name=name, work_centre=shop
        )
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    cut = Task.objects.get(order=order, line__product=catalogue["table"], step=1)
    client.force_login(staff["production"])
    answer = post(
        client, "task_start", cut, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"task-{cut.pk}"
    )
    assert 'data-testid="operation-progress"' in answer.content.decode()
    assert ">Cut 0/2</span>" in answer.content.decode()


def test_each_operations_timer_adds_to_the_lines_labour(client, staff, catalogue):
    shop = WorkCentre.objects.create(name="Joinery")
    shop.members.add(staff["production"])
    for position, name in enumerate(["Cut", "Assemble"], start=1):
        Operation.objects.create(
            product=catalogue["table"], position=position, name=name, work_centre=shop
        )
    with time_machine.travel(START - dt.timedelta(days=1), tick=False):
        order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    client.force_login(staff["production"])
    with time_machine.travel(START, tick=False) as clock:
        for step, minutes in ((1, 30), (2, 45)):
            task = Task.objects.get(order=order, line__product=catalogue["table"], step=step)
            post(client, "task_start", task)
            clock.shift(dt.timedelta(minutes=minutes))
            post(client, "task_done", task)
    line = task.line
    line.refresh_from_db()
    assert LineCost.objects.get(line=line).labour_minutes == 75
    # Materials at standard (2,050.00) + 75 minutes at 600.00 an hour (750.00).
    assert line.actual_cost == Decimal("2800.00")


@given(
    minutes=st.one_of(st.text(max_size=12), st.integers(-(10**9), 10**9).map(str)),
    materials=st.one_of(st.text(max_size=12), st.decimals(allow_nan=True).map(str)),
)
def test_any_minutes_or_cost_typed_in_is_taken_or_refused_with_a_message(
    client, staff, catalogue, minutes, materials
):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    table = production_tasks(order)[0]
    client.force_login(staff["production"])
    data = {"labour_minutes": minutes, "materials_cost": materials}
    answer = post(client, "task_done", table, data, HTTP_HX_REQUEST="true")
    assert answer.status_code in (200, 400)
    if answer.status_code == 400:
        assert refreshed(table).status == TaskStatus.OPEN
        assert answer.content.decode().strip()  # the reason, shown as a notice


def test_starting_an_operation_asks_for_a_new_plan_and_resuming_does_not(
    client, staff, table_task, django_capture_on_commit_callbacks
):
    # In progress, the operation is planned from now on: the schedule runs again after
    # the start commits. A pause and a resume move nothing the schedule reads.
    from production import planning

    client.force_login(staff["production"])
    with django_capture_on_commit_callbacks() as started:
        post(client, "task_start", table_task)
    post(client, "task_pause", table_task)
    with django_capture_on_commit_callbacks() as resumed:
        post(client, "task_start", table_task)
    assert planning._queue_run in started
    assert planning._queue_run not in resumed
