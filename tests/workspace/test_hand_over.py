"""The head of sales hands an order over to another manager."""

from __future__ import annotations

import pytest

from orders import roles
from orders.models import BoardCounter, Notification, Stage, TaskKind
from orders.services import order_cancel
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
