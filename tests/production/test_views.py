import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from orders import roles
from orders.models import Department, Stage, Task, TaskKind, TaskStatus
from orders.selectors.tasks import COUNT_CAP
from production.models import LineCost
from production.selectors import BOARD_PAGE, SHOP_FLOOR_PAGE
from tests.conftest import make_user
from tests.factories import customer, order_in_production, production_tasks

pytestmark = pytest.mark.django_db


def test_the_shop_floor_lists_my_tasks_soonest_first(client, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    client.force_login(staff["production"])
    page = client.get(reverse("production:shop_floor"))
    assert page.status_code == 200
    titles = [task.title for task in page.context["tasks"]]
    # The chairs (3 working days) are due before the table (5).
    assert titles == ["Make Oak chair × 4", "Make Oak table × 1"]
    assert order.number in page.content.decode()


def test_the_shop_floor_shows_nobody_elses_tasks(client, staff, catalogue):
    order_in_production(manager=staff["manager"], catalogue=catalogue)
    other = make_user("fedor", roles.PRODUCTION)
    client.force_login(other)
    page = client.get(reverse("production:shop_floor"))
    assert page.context["tasks"] == []
    assert "No open tasks" in page.content.decode()


def test_the_shop_floor_groups_tasks_under_their_order_most_urgent_order_first(
    client, staff, catalogue
):
    first, second, third = (
        order_in_production(manager=staff["manager"], catalogue=catalogue, client=customer(name=n))
        for n in ("Иван Петров", "ООО «Ромашка»", "Анна Смирнова")
    )
    now = timezone.now()
    due = {  # hours from now; the second order's table is due between the first's two tasks
        (first, 0): 30,
        (first, 1): 10,
        (second, 0): 20,
        (second, 1): 40,
        (third, 0): -5,  # overdue
        (third, 1): 50,
    }
    for (order, index), hours in due.items():
        task = production_tasks(order)[index]
        task.due_at = now + dt.timedelta(hours=hours)
        task.save(update_fields=["due_at"])
    client.force_login(staff["production"])
    page = client.get(reverse("production:shop_floor"))
    groups = [
        (group.order.number, [task.title for task in group.tasks], group.is_overdue)
        for group in page.context["groups"]
    ]
    assert groups == [
        (third.number, ["Make Oak table × 1", "Make Oak chair × 4"], True),
        (first.number, ["Make Oak chair × 4", "Make Oak table × 1"], False),
        (second.number, ["Make Oak table × 1", "Make Oak chair × 4"], False),
    ]
    html = page.content.decode()
    # Each order's number and client are written once, in its group's heading.
    for order in (first, second, third):
        assert html.count(f"Order {order.number}") == 1
        assert html.count(order.customer.name) == 1
    headings = [html.index(f"Order {order.number}") for order in (third, first, second)]
    assert headings == sorted(headings)


@pytest.mark.parametrize("orders", [1, 5])
def test_the_shop_floor_runs_a_fixed_number_of_queries(
    client, staff, catalogue, orders, django_assert_num_queries
):
    for _ in range(orders):
        order_in_production(manager=staff["manager"], catalogue=catalogue)
    client.force_login(staff["production"])
    # Queries: the session, the user, a page of open tasks with their orders, clients and
    # lines (grouped by order from the same rows); the layout's user and group permissions,
    # open-task count, unread notifications and role.
    with django_assert_num_queries(8):
        page = client.get(reverse("production:shop_floor"))
    assert len(page.context["tasks"]) == 2 * orders


def test_start_then_done_ticks_the_line_off_with_its_actual_cost(client, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    table = production_tasks(order)[0]
    client.force_login(staff["production"])
    started = client.post(reverse("production:task_start", args=[table.pk]))
    assert started.status_code == 302
    table.refresh_from_db()
    assert table.status == TaskStatus.IN_PROGRESS
    done = client.post(
        reverse("production:task_done", args=[table.pk]),
        {"materials_cost": "2000.00", "labour_minutes": "120", "note": "Knot in the top"},
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("production:shop_floor")
    table.refresh_from_db()
    assert table.status == TaskStatus.DONE
    assert LineCost.objects.get(line=table.line).total == Decimal("3200.00")
    order.refresh_from_db()
    assert order.lines_made == 1


def test_done_with_a_bad_number_shows_the_form_again_and_changes_nothing(client, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    table = production_tasks(order)[0]
    client.force_login(staff["production"])
    page = client.post(reverse("production:task_done", args=[table.pk]), {"materials_cost": "-5"})
    assert page.status_code == 400
    assert "Ensure this value is greater than or equal to 0." in page.content.decode()
    table.refresh_from_db()
    assert table.status == TaskStatus.OPEN


def test_done_twice_says_the_task_is_already_done(client, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    table = production_tasks(order)[0]
    client.force_login(staff["production"])
    client.post(reverse("production:task_done", args=[table.pk]))
    again = client.post(reverse("production:task_done", args=[table.pk]), follow=True)
    assert "This task is already Done." in again.content.decode()


def test_a_worker_cannot_tick_off_someone_elses_task(client, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    other = make_user("fedor", roles.PRODUCTION)
    client.force_login(other)
    table = production_tasks(order)[0]
    assert client.post(reverse("production:task_done", args=[table.pk])).status_code == 403
    assert client.get(reverse("production:task", args=[table.pk])).status_code == 403


def test_the_task_page_shows_lines_without_prices_to_production(client, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    client.force_login(staff["production"])
    page = client.get(reverse("production:task", args=[production_tasks(order)[0].pk]))
    html = page.content.decode()
    assert "Oak table" in html and "Oak chair" in html
    assert page.context["show_money"] is False
    assert "15000.00" not in html and "Price" not in html


def test_the_task_page_shows_prices_and_margin_to_whoever_sees_money(client, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    head = make_user("ivan", roles.HEAD_OF_PRODUCTION)
    head.user_permissions.add(Permission.objects.get(codename="view_money"))
    client.force_login(head)
    page = client.get(reverse("production:task", args=[production_tasks(order)[0].pk]))
    html = page.content.decode()
    assert page.context["show_money"] is True
    assert "15000.00" in html and "11750.00" in html  # the table's price and margin


def test_the_board_lists_tasks_by_worker_and_reassigns(
    client, staff, catalogue, head_of_production
):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    fedor = make_user("fedor", roles.PRODUCTION, first_name="Fedor")
    client.force_login(head_of_production)
    page = client.get(reverse("production:board"))
    assert [(w, len(t)) for w, t in page.context["page"].columns] == [(staff["production"], 2)]
    table = production_tasks(order)[0]
    moved = client.post(
        reverse("production:task_reassign", args=[table.pk]), {"assignee": fedor.pk}
    )
    assert moved.status_code == 302
    table.refresh_from_db()
    assert table.assignee == fedor
    assert fedor.notifications.filter(text__contains="Make Oak table").exists()


def test_the_board_is_only_for_the_head_of_production(client, staff, head_of_sales):
    client.force_login(staff["production"])
    assert client.get(reverse("production:board")).status_code == 403
    client.force_login(head_of_sales)
    assert client.get(reverse("production:board")).status_code == 403


def test_the_last_line_done_on_the_shop_floor_moves_the_order(client, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    client.force_login(staff["production"])
    for task in production_tasks(order):
        client.post(reverse("production:task_done", args=[task.pk]))
    order.refresh_from_db()
    assert order.stage == Stage.POSTPAYMENT


def _more_tasks(order, assignee, count: int) -> list[Task]:
    """Many open production tasks at once (no services), an hour apart, the first overdue."""
    line = order.lines.first()
    start = timezone.now() - dt.timedelta(hours=1, minutes=30)
    return Task.objects.bulk_create(
        Task(
            order=order,
            line=line,
            kind=TaskKind.PRODUCE_LINE,
            title=f"Make part #{i}",
            department=Department.PRODUCTION,
            assignee=assignee,
            due_at=start + dt.timedelta(hours=i),
        )
        for i in range(count)
    )


def _more_link(html: str) -> str:
    found = re.search(r'<p class="sf-next"><a class="[^"]*" href="([^"]+)"', html)
    assert found is not None
    return unescape(found.group(1))


def test_the_shop_floor_shows_a_page_and_more_continues_after_it(client, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    worker = staff["production"]
    made = _more_tasks(order, worker, SHOP_FLOOR_PAGE + 5)
    client.force_login(worker)

    first = client.get(reverse("production:shop_floor"))

    shown = [task.pk for task in first.context["tasks"]]
    assert len(shown) == SHOP_FLOOR_PAGE and shown[0] == made[0].pk
    second = client.get(_more_link(first.content.decode()))
    rest = [task.pk for task in second.context["tasks"]]
    assert len(rest) == 7 and not set(rest) & set(shown)  # 5 more and the order's own two
    assert 'class="sf-next"' not in second.content.decode()
    fragment = client.get(_more_link(first.content.decode()), headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert body.count("data-task=") == 7 and "<h1>" not in body


@pytest.mark.parametrize("extra", [1, 60])
def test_the_shop_floor_runs_the_same_queries_whatever_the_number_of_tasks(
    client, staff, catalogue, extra, django_assert_num_queries
):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    _more_tasks(order, staff["production"], extra)
    client.force_login(staff["production"])
    # The session, the user, a page of tasks; permissions (2), task count, notifications,
    # role.
    with django_assert_num_queries(8):
        page = client.get(reverse("production:shop_floor"))
    assert len(page.context["tasks"]) == min(extra + 2, SHOP_FLOOR_PAGE)


def test_the_board_shows_the_soonest_tasks_by_worker_a_page_at_a_time(
    client, staff, catalogue, head_of_production
):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    fedor = make_user("fedor", roles.PRODUCTION, first_name="Fedor")
    mine = _more_tasks(order, staff["production"], BOARD_PAGE)
    fedors = _more_tasks(order, fedor, 3)
    client.force_login(head_of_production)

    first = client.get(reverse("production:board"))

    page = first.context["page"]
    shown = {task.pk for _worker, tasks in page.columns for task in tasks}
    assert len(shown) == BOARD_PAGE
    # Each worker's soonest are on the first page: Fedor's three, and the rest of it.
    assert {t.pk for t in fedors} <= shown and mine[0].pk in shown
    assert [worker for worker, _tasks in page.columns] == [fedor, staff["production"]]
    assert str(page.count) == str(BOARD_PAGE + 5)
    second = client.get(_more_link(first.content.decode()))
    rest = {task.pk for _worker, tasks in second.context["page"].columns for task in tasks}
    assert len(rest) == 5 and not rest & shown


def test_the_board_counts_up_to_its_cap(client, staff, catalogue, head_of_production):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    _more_tasks(order, staff["production"], COUNT_CAP)
    client.force_login(head_of_production)
    page = client.get(reverse("production:board"))
    assert str(page.context["page"].count) == "1,000+"


@pytest.mark.parametrize("extra", [1, 70])
def test_the_board_runs_the_same_queries_whatever_the_number_of_tasks(
    client, staff, catalogue, head_of_production, extra, django_assert_num_queries
):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    _more_tasks(order, staff["production"], extra)
    _more_tasks(order, None, 2)
    client.force_login(head_of_production)
    # The session, the user, the head check, a page of tasks with orders, lines and
    # workers, their capped count, the workers; permissions (2), task count,
    # notifications, role.
    with django_assert_num_queries(11):
        client.get(reverse("production:board"))


def test_a_reassign_from_a_later_page_returns_to_it(client, staff, catalogue, head_of_production):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    task = production_tasks(order)[0]
    client.force_login(head_of_production)
    back = reverse("production:board") + "?after=2026-01-01T00:00:00%2B00:00~1"
    moved = client.post(
        reverse("production:task_reassign", args=[task.pk]),
        {"assignee": staff["production"].pk, "next": back},
    )
    assert moved.status_code == 302 and moved["Location"] == back
