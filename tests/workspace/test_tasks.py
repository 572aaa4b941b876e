"""My tasks: every open task of the signed-in person, soonest first, one-click completion."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from orders.models import Department, Stage, Task, TaskKind, TaskStatus
from orders.selectors.tasks import NAV_COUNT_CAP, TASK_PAGE

pytestmark = pytest.mark.django_db


def test_it_lists_open_tasks_due_soonest_first_with_overdue_marked(client, staff, order_factory):
    order = order_factory(stage=Stage.PRODUCTION, lines=3)
    tasks = list(order.tasks.filter(kind=TaskKind.PRODUCE_LINE).order_by("id"))
    Task.objects.filter(pk=tasks[2].pk).update(due_at=timezone.now() - dt.timedelta(hours=2))
    client.force_login(staff["production"])

    response = client.get("/tasks/")

    listed = [task.pk for task in response.context["tasks"]]
    assert listed[0] == tasks[2].pk
    assert sorted(listed) == sorted(t.pk for t in tasks)
    html = response.content.decode()
    assert html.count("is-overdue") == 1
    assert 'data-testid="task-count">3<' in html


@pytest.mark.parametrize("lines", [1, 8])
def test_my_tasks_runs_a_fixed_number_of_queries(
    client, staff, order_factory, django_assert_num_queries, lines
):
    order_factory(stage=Stage.PRODUCTION, lines=lines)
    client.force_login(staff["production"])
    # session, user, the tasks with their orders, clients and lines, user's and groups'
    # permissions (navigation), open task count, unread notifications, role.
    with django_assert_num_queries(8):
        client.get("/tasks/")


def test_a_production_task_is_done_in_one_click_and_the_line_is_made(client, staff, order_factory):
    order = order_factory(stage=Stage.PRODUCTION, lines=2)
    task = order.tasks.filter(kind=TaskKind.PRODUCE_LINE).first()
    client.force_login(task.assignee)

    response = client.post(f"/tasks/{task.pk}/done/")

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    order.refresh_from_db()
    assert order.lines_made == 1


def test_it_refuses_completing_someone_elses_task(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    task = order.tasks.get()
    client.force_login(staff["production"])
    assert client.post(f"/tasks/{task.pk}/done/").status_code == 403


def test_a_done_task_again_says_it_is_done(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    task = order.tasks.get()
    client.force_login(staff["manager"])
    client.post(f"/tasks/{task.pk}/done/")
    again = client.post(f"/tasks/{task.pk}/done/", follow=True)
    assert "This task is already Done." in again.content.decode()


def _open_tasks(order, assignee, count: int, *, kind=TaskKind.CUSTOM) -> list[Task]:
    """Many open tasks at once (no services), an hour apart, the first one overdue."""
    start = timezone.now() - dt.timedelta(hours=1, minutes=30)
    return Task.objects.bulk_create(
        [
            Task(
                order=order,
                kind=kind,
                title=f"Call back #{i}",
                department=Department.SALES,
                assignee=assignee,
                due_at=start + dt.timedelta(hours=i),
            )
            for i in range(count)
        ]
    )


def test_it_shows_a_page_of_the_soonest_tasks_and_more_continues_after_the_last(
    client, staff, order_factory
):
    order = order_factory(stage=Stage.NEW)
    manager = staff["manager"]
    made = _open_tasks(order, manager, TASK_PAGE + 7)
    client.force_login(manager)

    first = client.get("/tasks/")

    shown = [task.pk for task in first.context["tasks"]]
    assert len(shown) == TASK_PAGE
    assert shown[0] == made[0].pk  # the overdue one leads
    more = re.search(r'<li class="more"><a href="([^"]+)"', first.content.decode())
    assert more is not None
    second = client.get(html.unescape(more.group(1)))
    rest = [task.pk for task in second.context["tasks"]]
    # The take-into-work task of the order and the 7 left, nothing twice, still in order.
    assert len(rest) == 8 and not set(rest) & set(shown)
    assert [t.due_at for t in second.context["tasks"]] == sorted(
        t.due_at for t in second.context["tasks"]
    )
    assert '<li class="more">' not in second.content.decode()


def test_more_by_htmx_answers_the_next_rows_only(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    manager = staff["manager"]
    _open_tasks(order, manager, TASK_PAGE + 2)
    client.force_login(manager)
    cursor = client.get("/tasks/").context["next_cursor"]

    response = client.get("/tasks/", {"after": str(cursor)}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert body.lstrip().startswith('<li class="task')
    assert body.count("data-task=") == 3 and "<h1>" not in body


def test_a_broken_cursor_shows_the_first_page(client, staff, order_factory):
    order_factory(stage=Stage.NEW)
    client.force_login(staff["manager"])
    for raw in ("", "nonsense", "2026-13-01T00:00:00+00:00~5", "2026-01-01T00:00:00~x"):
        response = client.get("/tasks/", {"after": raw})
        assert response.status_code == 200
        assert len(response.context["tasks"]) == 1


def test_the_task_counter_stops_counting_past_its_cap(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    manager = staff["manager"]
    _open_tasks(order, manager, NAV_COUNT_CAP + 5)
    client.force_login(manager)

    body = client.get("/tasks/").content.decode()

    assert f'data-testid="task-count">{NAV_COUNT_CAP}+<' in body
    assert f"({NAV_COUNT_CAP}+)" in body


@pytest.mark.parametrize("extra", [2, 60])
def test_a_page_of_many_tasks_runs_the_same_queries(
    client, staff, order_factory, django_assert_num_queries, extra
):
    order = order_factory(stage=Stage.PRODUCTION, lines=2)
    worker = order.tasks.filter(kind=TaskKind.PRODUCE_LINE).first().assignee
    _open_tasks(order, worker, extra, kind=TaskKind.PRODUCE_LINE)
    total = Task.objects.open().filter(assignee=worker).count()
    client.force_login(worker)
    # session, user, a page of tasks with orders, clients and lines, the user's and the
    # groups' permissions (navigation), the capped task count (heading and navigation),
    # unread notifications, role.
    with django_assert_num_queries(8):
        response = client.get("/tasks/")
    assert len(response.context["tasks"]) == min(total, TASK_PAGE)
