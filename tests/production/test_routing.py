"""Routings: a line of a product with operations is made in one task per operation, each
opening when the previous one is done, at the least loaded member of its work centre."""

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from orders import roles
from orders.models import LineStatus, Notification, PaymentScheme, Stage, TaskStatus
from orders.rules import OrderError
from pipeline.orders import order_cancel
from pipeline.work import production_task_done, task_complete
from production.models import LineCost, Operation, WorkCentre
from tests.conftest import make_user
from tests.factories import order_in_production, production_tasks, refreshed

pytestmark = pytest.mark.django_db


@pytest.fixture
def centres(staff):
    """Cutting (the staff's production worker) and painting (Vera and Gleb)."""
    cutting = WorkCentre.objects.create(name="Раскрой", hours_per_day=Decimal("8"))
    cutting.members.add(staff["production"])
    painting = WorkCentre.objects.create(name="Покраска", hours_per_day=Decimal("16"))
    vera = make_user("vera", roles.PRODUCTION, first_name="Vera")
    gleb = make_user("gleb", roles.PRODUCTION, first_name="Gleb")
    painting.members.add(vera, gleb)
    return {"cutting": cutting, "painting": painting, "vera": vera, "gleb": gleb}


@pytest.fixture
def routed_table(catalogue, centres):
    """The table: cut (30 min set-up + 60 a unit), assemble in the cutting shop (45 a
    unit), paint (20 a unit)."""
    table = catalogue["table"]
    Operation.objects.create(
        product=table,
        position=1,
        name="Раскрой",
        work_centre=centres["cutting"],
        setup_minutes=30,
        minutes_per_unit=Decimal("60"),
    )
    Operation.objects.create(
        product=table,
        position=2,
        name="Сборка",
        work_centre=centres["cutting"],
        minutes_per_unit=Decimal("45"),
    )
    Operation.objects.create(
        product=table,
        position=3,
        name="Покраска",
        work_centre=centres["painting"],
        minutes_per_unit=Decimal("20"),
    )
    return table


def _in_production(staff, catalogue, lines=None):
    return order_in_production(
        manager=staff["manager"], catalogue=catalogue, lines=lines or [("table", "2")]
    )


def test_a_routed_line_gets_a_task_per_operation_the_first_open_the_rest_waiting(
    staff, catalogue, routed_table, centres
):
    order = _in_production(staff, catalogue)
    tasks = production_tasks(order)
    assert [(t.step, t.status, t.planned_minutes) for t in tasks] == [
        (1, TaskStatus.OPEN, 150),  # 30 + 2 × 60
        (2, TaskStatus.WAITING, 90),
        (3, TaskStatus.WAITING, 40),
    ]
    assert [t.display_title for t in tasks] == [
        "Раскрой: Oak table × 2",
        "Сборка: Oak table × 2",
        "Покраска: Oak table × 2",
    ]
    assert [t.work_centre for t in tasks] == [
        centres["cutting"],
        centres["cutting"],
        centres["painting"],
    ]
    assert tasks[0].assignee == staff["production"]
    assert tasks[1].assignee is None and tasks[2].assignee is None
    # Each operation is due no sooner than the one before it; the last at the lead time.
    assert tasks[0].due_at < tasks[1].due_at < tasks[2].due_at
    # Only the open operation is somebody's: the worker was told, the order's next
    # deadline is the first operation's.
    assert Notification.objects.filter(user=staff["production"]).count() == 1
    assert refreshed(order).next_due_at == tasks[0].due_at


def test_finishing_an_operation_opens_the_next_to_the_least_loaded_member_of_its_centre(
    staff, catalogue, routed_table, centres
):
    vera, gleb = centres["vera"], centres["gleb"]
    busy = _in_production(staff, catalogue)
    for task in production_tasks(busy)[:2]:
        task_complete(task=task, actor=staff["production"])
    assert production_tasks(busy)[2].assignee == vera  # tie: first by name, never given work

    order = _in_production(staff, catalogue)
    cut, assemble, paint = production_tasks(order)
    task_complete(task=cut, actor=staff["production"])
    assemble.refresh_from_db()
    assert (assemble.status, assemble.assignee) == (TaskStatus.OPEN, staff["production"])
    line = assemble.line
    line.refresh_from_db()
    assert line.status == LineStatus.IN_PROGRESS

    task_complete(task=assemble, actor=staff["production"])
    paint.refresh_from_db()
    # Vera has the first order's painting open; Gleb has nothing.
    assert (paint.status, paint.assignee) == (TaskStatus.OPEN, gleb)
    assert Notification.objects.filter(user=gleb, text__contains="Покраска").count() == 1


def test_the_line_is_made_only_after_its_last_operation_then_the_order_moves_on(
    staff, catalogue, routed_table, centres
):
    order = _in_production(staff, catalogue, lines=[("table", "1"), ("chair", "2")])
    cut, assemble, paint, chairs = production_tasks(order)
    assert (chairs.step, chairs.status, chairs.planned_minutes) == (0, TaskStatus.OPEN, 120)
    task_complete(task=chairs, actor=staff["production"])
    task_complete(task=cut, actor=staff["production"])
    task_complete(task=assemble, actor=staff["production"])
    order = refreshed(order)
    assert (order.stage, order.lines_made, order.lines_count) == (Stage.PRODUCTION, 1, 2)
    paint.refresh_from_db()
    task_complete(task=paint, actor=paint.assignee)
    order = refreshed(order)
    assert order.lines_made == 2
    assert order.stage == Stage.POSTPAYMENT  # made, the balance is due, as before


def test_a_waiting_operation_cannot_be_done_before_its_turn(
    staff, catalogue, routed_table, centres
):
    order = _in_production(staff, catalogue)
    paint = production_tasks(order)[2]
    with pytest.raises(OrderError):
        task_complete(task=paint, actor=staff["production"])
    paint.refresh_from_db()
    assert paint.status == TaskStatus.WAITING


def test_a_work_centre_with_nobody_in_falls_back_to_the_department(
    staff, catalogue, routed_table, centres
):
    centres["cutting"].members.clear()
    order = _in_production(staff, catalogue)
    first = production_tasks(order)[0]
    assert first.status == TaskStatus.OPEN
    assert first.assignee is not None


def test_a_product_without_routing_keeps_one_task_per_line(staff, catalogue, centres):
    order = _in_production(staff, catalogue, lines=[("table", "1"), ("chair", "4")])
    tasks = production_tasks(order)
    assert [(t.step, t.status, t.operation, t.planned_minutes) for t in tasks] == [
        (0, TaskStatus.OPEN, None, 120),
        (0, TaskStatus.OPEN, None, 240),
    ]
    assert [t.display_title for t in tasks] == ["Make Oak table × 1", "Make Oak chair × 4"]
    for task in tasks:
        task_complete(task=task, actor=staff["production"])
    assert refreshed(order).stage == Stage.POSTPAYMENT


def test_cancelling_the_order_cancels_the_waiting_operations_too(
    staff, catalogue, routed_table, centres
):
    order = _in_production(staff, catalogue)
    order_cancel(order=order, actor=staff["manager"], reason="Client changed their mind")
    assert {t.status for t in production_tasks(order)} == {TaskStatus.CANCELLED}


def test_the_operations_minutes_add_up_to_the_lines_actual_cost(
    staff, catalogue, routed_table, centres
):
    order = _in_production(staff, catalogue, lines=[("table", "1")])
    cut, assemble, paint = production_tasks(order)
    production_task_done(task=cut, actor=staff["production"], labour_minutes=100)
    production_task_done(task=assemble, actor=staff["production"])
    line = cut.line
    line.refresh_from_db()
    assert line.actual_cost is None  # not made yet
    paint.refresh_from_db()
    production_task_done(
        task=paint, actor=paint.assignee, labour_minutes=20, materials_cost=Decimal("1500")
    )
    line.refresh_from_db()
    # 1,500.00 materials + (100 + 20) minutes at 600.00 an hour
    assert line.actual_cost == Decimal("2700.00")
    recorded = LineCost.objects.get(line=line)
    assert (recorded.labour_minutes, recorded.materials_cost) == (120, Decimal("1500.00"))


def test_a_prepayment_order_with_routing_starts_production_when_paid(
    staff, catalogue, routed_table, centres
):
    order = order_in_production(
        manager=staff["manager"],
        catalogue=catalogue,
        scheme=PaymentScheme.FULL_PREPAYMENT,
        lines=[("table", "1")],
    )
    assert order.stage == Stage.PRODUCTION
    assert [t.status for t in production_tasks(order)] == [
        TaskStatus.OPEN,
        TaskStatus.WAITING,
        TaskStatus.WAITING,
    ]


def test_the_order_page_shows_each_lines_operation_and_how_many_are_done(
    client, staff, catalogue, routed_table, centres
):
    order = _in_production(staff, catalogue, lines=[("table", "1"), ("chair", "2")])
    cut, assemble, _paint, _chairs = production_tasks(order)
    task_complete(task=cut, actor=staff["production"])
    task_complete(task=assemble, actor=staff["production"])
    client.force_login(staff["manager"])
    html = client.get(order.get_absolute_url()).content.decode()
    shown = re.findall(r'data-testid="line-progress"[^>]*>([^<]*)<', html)
    assert shown == ["Покраска 2/3"]  # the chairs are made in one task: no operations


def test_the_shop_floor_card_shows_the_operation_and_how_many_of_its_line_are_done(
    client, staff, catalogue, routed_table, centres, django_assert_num_queries
):
    order = _in_production(staff, catalogue)
    task_complete(task=production_tasks(order)[0], actor=staff["production"])
    _in_production(staff, catalogue)
    client.force_login(staff["production"])
    page = client.get(reverse("production:shop_floor"))
    html = page.content.decode()
    assert sorted(re.findall(r'data-testid="operation-progress"[^>]*>([^<]*)<', html)) == [
        "Раскрой 0/3",
        "Сборка 1/3",
    ]


def _admin(client):
    root = User.objects.create_superuser("root", "root@example.com", "pass-12345")
    client.force_login(root)
    return root


def _centre_form(**overrides):
    data = {
        "name": "Фрезеровка",
        "hours_per_day": "8",
        "exceptions-TOTAL_FORMS": "1",
        "exceptions-INITIAL_FORMS": "0",
        "exceptions-MIN_NUM_FORMS": "0",
        "exceptions-MAX_NUM_FORMS": "1000",
        "exceptions-0-date": "2026-12-08",
        "exceptions-0-hours": "0",
        "exceptions-0-reason": "Станок в ремонте",
    }
    return {**data, **overrides}


def test_the_admin_saves_a_work_centre_with_a_day_off(client, db):
    _admin(client)
    response = client.post(reverse("admin:production_workcentre_add"), _centre_form())
    assert response.status_code == 302
    centre = WorkCentre.objects.get(name="Фрезеровка")
    assert [(e.date.isoformat(), e.hours) for e in centre.exceptions.all()] == [
        ("2026-12-08", Decimal("0.00"))
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours_per_day", "1201", "Enter a number of hours from 0 to 1200."),
        ("hours_per_day", "-1", "Enter a number of hours from 0 to 1200."),
        ("exceptions-0-hours", "1500", "Enter a number of hours from 0 to 1200."),
        ("exceptions-0-date", "2205-01-01", "Enter a date between 2000 and 2100."),
        ("exceptions-0-date", "2026-02-30", "Enter a valid date."),
    ],
)
def test_the_admin_refuses_a_work_centre_with_bad_hours_or_dates(client, db, field, value, message):
    _admin(client)
    response = client.post(
        reverse("admin:production_workcentre_add"), _centre_form(**{field: value})
    )
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not WorkCentre.objects.exists()


def _routing_form(product, centre, *rows):
    data = {
        "sku": product.sku,
        "name": product.name,
        "unit": product.unit,
        "price": str(product.price),
        "lead_time_days": str(product.lead_time_days),
        "labour_minutes": str(product.labour_minutes),
        "labour_rate": str(product.labour_rate),
        "is_active": "on",
        "bom-TOTAL_FORMS": "0",
        "bom-INITIAL_FORMS": "0",
        "bom-MIN_NUM_FORMS": "0",
        "bom-MAX_NUM_FORMS": "1000",
        "operations-TOTAL_FORMS": str(len(rows)),
        "operations-INITIAL_FORMS": "0",
        "operations-MIN_NUM_FORMS": "0",
        "operations-MAX_NUM_FORMS": "1000",
    }
    for n, (position, name, minutes) in enumerate(rows):
        data |= {
            f"operations-{n}-position": str(position),
            f"operations-{n}-name": name,
            f"operations-{n}-work_centre": str(centre.pk),
            f"operations-{n}-minutes_per_unit": minutes,
            f"operations-{n}-setup_minutes": "0",
        }
    return data


def test_the_admin_saves_a_routing_and_asks_for_a_new_schedule(
    client, catalogue, centres, monkeypatch
):
    import web.admin.production

    asked = []
    monkeypatch.setattr(web.admin.production, "schedule_request", lambda: asked.append(1))
    _admin(client)
    chair = catalogue["chair"]
    url = reverse("admin:production_product_change", args=[chair.pk])
    response = client.post(
        url,
        _routing_form(chair, centres["painting"], (1, "Шлифовка", "10"), (2, "Лак", "5.5")),
    )
    assert response.status_code == 302
    assert [(o.position, o.name) for o in chair.operations.all()] == [
        (1, "Шлифовка"),
        (2, "Лак"),
    ]
    assert asked == [1]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [(1, "Шлифовка", "10"), (1, "Лак", "5")],
            "Each operation needs a position of its own: 1 is used twice.",
        ),
        ([(1, "Шлифовка", "-1")], "Enter a number of minutes from 0 to 44640."),
    ],
)
def test_the_admin_refuses_a_routing_with_a_repeated_position_or_negative_minutes(
    client, catalogue, centres, rows, message
):
    _admin(client)
    chair = catalogue["chair"]
    response = client.post(
        reverse("admin:production_product_change", args=[chair.pk]),
        _routing_form(chair, centres["painting"], *rows),
    )
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not chair.operations.exists()


def test_the_admin_swaps_two_operations_positions(client, catalogue, routed_table, centres):
    _admin(client)
    table = routed_table
    operations = list(table.operations.order_by("position"))
    data = _routing_form(table, centres["cutting"])
    data |= {"operations-TOTAL_FORMS": "3", "operations-INITIAL_FORMS": "3"}
    for n, operation in enumerate(operations):
        data |= {
            f"operations-{n}-id": str(operation.pk),
            f"operations-{n}-product": str(table.pk),
            f"operations-{n}-position": str({1: 2, 2: 1}.get(operation.position, 3)),
            f"operations-{n}-name": operation.name,
            f"operations-{n}-work_centre": str(operation.work_centre_id),
            f"operations-{n}-minutes_per_unit": str(operation.minutes_per_unit),
            f"operations-{n}-setup_minutes": str(operation.setup_minutes),
        }
    response = client.post(reverse("admin:production_product_change", args=[table.pk]), data)
    assert response.status_code == 302
    assert [o.name for o in table.operations.order_by("position")] == [
        "Сборка",
        "Раскрой",
        "Покраска",
    ]


@pytest.mark.parametrize("orders", [1, 5])
def test_the_board_card_shows_operations_done_of_all_with_the_same_queries(
    client, staff, catalogue, routed_table, centres, django_assert_num_queries, orders
):
    made = []
    for _ in range(orders):
        order = _in_production(staff, catalogue, lines=[("table", "1"), ("chair", "2")])
        task_complete(task=production_tasks(order)[0], actor=staff["production"])
        made.append(order)
    client.force_login(staff["manager"])
    # session, user, user's and groups' permissions, counters, the first cards of every
    # column (one UNION on PostgreSQL), won/lost of the period, open task count, unread
    # notifications, role: as many as without operations
    # (tests/workspace/test_board.py).
    with django_assert_num_queries(10):
        html = client.get("/board/").content.decode()
    # The table's cutting is done; its assembly, painting and the chairs are not.
    cards = re.findall(r'<span class="progress" title="([^"]*)">([^<]*)<', html)
    assert cards == [("Operations done", "1/4")] * orders


def test_a_huge_quantity_starts_production_with_deadlines_within_a_year(
    staff, catalogue, routed_table, centres
):
    order = _in_production(staff, catalogue, lines=[("table", "100000")])
    tasks = production_tasks(order)
    assert tasks[0].planned_minutes == 30 + 100000 * 60
    assert all(task.due_at < order.created_at + dt.timedelta(days=400) for task in tasks)


@pytest.mark.parametrize("orders", [1, 4])
def test_the_production_board_shows_each_operations_place_with_the_same_queries(
    client,
    staff,
    catalogue,
    routed_table,
    centres,
    head_of_production,
    orders,
    django_assert_num_queries,
):
    for _ in range(orders):
        order = _in_production(staff, catalogue)
        task_complete(task=production_tasks(order)[0], actor=staff["production"])
    client.force_login(head_of_production)
    # As without operations (tests/production/test_views.py): the session, the user, the
    # head check, a page of tasks (with their lines' operations counted), their capped
    # count, the workers; permissions (2), task count, notifications, role.
    with django_assert_num_queries(11):
        html = client.get(reverse("production:board")).content.decode()
    shown = re.findall(r'data-testid="operation-progress"[^>]*>([^<]*)<', html)
    assert shown == ["Сборка 1/3"] * orders
