"""The head of sales hands an order over to another manager."""

from __future__ import annotations

import pytest

from orders import roles
from orders.models import BoardCounter, Notification, Stage, TaskKind
from pipeline.orders import order_cancel
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def dima(db):
    return make_user("dima", roles.SALES_MANAGERS, first_name="Dima")


def test_the_head_hands_a_new_order_and_its_task_to_another_manager(
    client, staff, head_of_sales, dima, order_factory
):
    order = order_factory(stage=Stage.NEW)
    client.force_login(head_of_sales)
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="hand-over"' in page and "Dima" in page

    response = client.post(f"/orders/{order.number}/hand-over/", {"manager": dima.pk})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.manager == dima
    assert order.tasks.get(kind=TaskKind.TAKE_INTO_WORK).assignee == dima
    assert order.events.filter(text="Order handed over from Masha to Dima").exists()
    assert Notification.objects.filter(
        user=dima, text=f"Order {order.number} was handed over to you"
    ).exists()
    assert Notification.objects.filter(
        user=staff["manager"], text=f"Order {order.number} was handed over to Dima"
    ).exists()
    # The board's counters moved with it.
    assert BoardCounter.objects.get(stage=Stage.NEW, manager_key=dima.pk).orders == 1
    assert BoardCounter.objects.get(stage=Stage.NEW, manager_key=staff["manager"].pk).orders == 0


def test_a_manager_cannot_hand_over_and_sees_no_form(client, staff, dima, order_factory):
    order = order_factory(stage=Stage.NEW)
    client.force_login(staff["manager"])
    assert 'data-testid="hand-over"' not in client.get(order.get_absolute_url()).content.decode()
    response = client.post(f"/orders/{order.number}/hand-over/", {"manager": dima.pk})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.manager == staff["manager"]


def test_only_to_an_active_sales_manager_and_only_while_open(
    client, staff, head_of_sales, dima, order_factory
):
    order = order_factory(stage=Stage.NEW)
    client.force_login(head_of_sales)
    response = client.post(
        f"/orders/{order.number}/hand-over/", {"manager": staff["production"].pk}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    order_cancel(order=order, actor=staff["manager"], reason="Передумал")
    response = client.post(f"/orders/{order.number}/hand-over/", {"manager": dima.pk})
    assert response.status_code == 422
    order.refresh_from_db()
    assert order.manager == staff["manager"]


def test_the_head_of_sales_reassigns_one_sales_task_from_the_order_page(
    client, staff, head_of_sales, dima, order_factory
):
    order = order_factory(stage=Stage.NEW)
    task = order.tasks.get()
    client.force_login(head_of_sales)
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="task-reassign"' in page
    response = client.post(f"/tasks/{task.pk}/reassign/", {"assignee": dima.pk})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.assignee == dima
    assert Notification.objects.filter(user=dima, text__startswith="Task assigned to you").exists()
    # Only to someone of the department.
    client.post(f"/tasks/{task.pk}/reassign/", {"assignee": staff["production"].pk})
    task.refresh_from_db()
    assert task.assignee == dima


def test_a_manager_cannot_reassign_tasks(client, staff, dima, order_factory):
    order = order_factory(stage=Stage.NEW)
    task = order.tasks.get()
    client.force_login(staff["manager"])
    assert (
        'data-testid="task-reassign"' not in client.get(order.get_absolute_url()).content.decode()
    )
    assert client.post(f"/tasks/{task.pk}/reassign/", {"assignee": dima.pk}).status_code == 403
    task.refresh_from_db()
    assert task.assignee == staff["manager"]


def test_the_head_of_production_reassigns_production_but_not_sales_tasks(
    client, staff, head_of_production, catalogue
):
    from tests.factories import order_in_production, production_tasks

    other = make_user("fedor", roles.PRODUCTION, first_name="Fedor")
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    line_task = production_tasks(order)[0]
    client.force_login(head_of_production)
    response = client.post(f"/tasks/{line_task.pk}/reassign/", {"assignee": other.pk})
    assert response.status_code == 302
    line_task.refresh_from_db()
    assert line_task.assignee == other
    sales_task = order.tasks.get(kind=TaskKind.TAKE_INTO_WORK)
    response = client.post(f"/tasks/{sales_task.pk}/reassign/", {"assignee": other.pk})
    assert response.status_code == 403


@pytest.mark.parametrize("lines", [1, 6])
def test_the_heads_order_page_runs_a_fixed_number_of_queries(
    client, staff, head_of_production, order_factory, django_assert_num_queries, lines
):
    order = order_factory(stage=Stage.PRODUCTION, lines=lines)
    client.force_login(head_of_production)
    # The manager's 16 (see test_order_page), plus: may they see it (a task of their
    # department), their groups, and the people who could take each department's tasks.
    with django_assert_num_queries(19):
        response = client.get(order.get_absolute_url())
    assert response.content.decode().count('data-testid="task-reassign"') == lines
