"""My tasks: every open task of the signed-in person, soonest first, one-click completion."""

from __future__ import annotations

import pytest
from django.utils import timezone

from orders.models import Stage, Task, TaskKind, TaskStatus

pytestmark = pytest.mark.django_db


def test_it_lists_open_tasks_due_soonest_first_with_overdue_marked(client, staff, order_factory):
    order = order_factory(stage=Stage.PRODUCTION, lines=3)
    tasks = list(order.tasks.filter(kind=TaskKind.PRODUCE_LINE).order_by("id"))
    Task.objects.filter(pk=tasks[2].pk).update(due_at=timezone.now() - timezone.timedelta(hours=2))
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
