from decimal import Decimal

import pytest

from orders import roles
from orders.models import LineStatus, PaymentScheme, Stage, TaskStatus
from orders.rules import OrderError
from pipeline.work import production_task_done, task_complete
from production.models import LineCost, Team
from tests.conftest import make_user
from tests.factories import order_in_production, production_tasks

pytestmark = pytest.mark.django_db


def test_entering_production_snapshots_the_standard_cost_of_each_line(staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    table, chairs = order.lines.all()
    assert table.unit_cost == Decimal("3250.00")  # 2 m oak + 20 screws + 2 h at 600
    assert chairs.unit_cost == Decimal("1150.00")
    assert order.cost_amount == Decimal("3250.00") + 4 * Decimal("1150.00")


def test_each_line_gets_a_task_due_after_the_products_lead_time(staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    tasks = production_tasks(order)
    assert [t.line.sku for t in tasks] == ["TBL-1", "CHR-1"]
    assert all(t.assignee == staff["production"] for t in tasks)
    # The table takes 5 working days, the chairs 3.
    assert tasks[0].due_at > tasks[1].due_at


def test_it_gives_the_task_to_the_worker_with_fewest_open_tasks(staff, catalogue):
    busy = staff["production"]
    idle = make_user("fedor", roles.PRODUCTION)
    first = order_in_production(manager=staff["manager"], catalogue=catalogue)
    second = order_in_production(manager=staff["manager"], catalogue=catalogue)
    owners = [t.assignee for t in production_tasks(first) + production_tasks(second)]
    assert owners.count(busy) == 2
    assert owners.count(idle) == 2


def test_a_product_of_a_team_goes_only_to_that_teams_members(staff, catalogue):
    joiner = make_user("fedor", roles.PRODUCTION)
    team = Team.objects.create(name="Joinery")
    team.members.add(joiner)
    catalogue["table"].team = team
    catalogue["table"].save()
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, lines=[("table", "1"), ("table", "2")]
    )
    assert {t.assignee for t in production_tasks(order)} == {joiner}


def test_a_team_with_nobody_present_falls_back_to_the_whole_department(staff, catalogue):
    joiner = make_user("fedor", roles.PRODUCTION)
    joiner.profile.is_present = False
    joiner.profile.save()
    team = Team.objects.create(name="Joinery")
    team.members.add(joiner)
    catalogue["table"].team = team
    catalogue["table"].save()
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, lines=[("table", "1")]
    )
    assert production_tasks(order)[0].assignee == staff["production"]


def test_done_with_nothing_recorded_keeps_the_standard_cost(staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    task = production_tasks(order)[0]
    production_task_done(task=task, actor=staff["production"])
    task.line.refresh_from_db()
    assert task.line.status == LineStatus.MADE
    assert task.line.actual_cost is None
    assert task.line.cost == Decimal("3250.00")
    assert not LineCost.objects.exists()


def test_done_with_materials_and_minutes_records_the_actual_cost(staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    task = production_tasks(order)[1]  # four chairs, standard 4 × 1,150.00
    production_task_done(
        task=task,
        actor=staff["production"],
        materials_cost=Decimal("2500.00"),
        labour_minutes=300,
        note="Glue ran out",
    )
    line = task.line
    line.refresh_from_db()
    # 2,500.00 materials + 5 h at 600.00
    assert line.actual_cost == Decimal("5500.00")
    recorded = LineCost.objects.get(line=line)
    assert (recorded.materials_cost, recorded.labour_minutes, recorded.total) == (
        Decimal("2500.00"),
        300,
        Decimal("5500.00"),
    )
    order.refresh_from_db()
    assert order.cost_amount == Decimal("3250.00") + Decimal("5500.00")
    task.refresh_from_db()
    assert task.note == "Glue ran out"


def test_a_blank_part_of_the_actual_cost_comes_from_the_standard(staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    task = production_tasks(order)[1]  # four chairs: materials 4 × 550.00, labour 4 × 600.00
    production_task_done(task=task, actor=staff["production"], labour_minutes=180)
    task.line.refresh_from_db()
    assert task.line.actual_cost == Decimal("2200.00") + Decimal("1800.00")


def test_it_refuses_a_negative_materials_cost(staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    task = production_tasks(order)[0]
    with pytest.raises(OrderError) as error:
        production_task_done(task=task, actor=staff["production"], materials_cost=Decimal(-1))
    assert error.value.errors == {"materials_cost": ["The amount cannot be negative."]}
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_the_last_line_made_moves_an_unpaid_order_to_postpayment(staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    first, last = production_tasks(order)
    production_task_done(task=first, actor=staff["production"])
    order.refresh_from_db()
    assert order.stage == Stage.PRODUCTION
    assert order.events.filter(text__startswith="Line made: Oak table").exists()
    production_task_done(task=last, actor=staff["production"])
    order.refresh_from_db()
    assert order.stage == Stage.POSTPAYMENT
    assert order.invoices.filter(kind="postpayment", amount=order.total_amount).exists()


def test_the_last_line_made_moves_a_paid_order_to_delivery_details(staff, catalogue):
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    for task in production_tasks(order):
        production_task_done(task=task, actor=staff["production"])
    order.refresh_from_db()
    assert order.stage == Stage.DELIVERY_DETAILS


def test_it_refuses_to_tick_off_a_line_twice(staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    task = production_tasks(order)[0]
    production_task_done(task=task, actor=staff["production"])
    with pytest.raises(OrderError) as error:
        task_complete(task=task, actor=staff["production"])
    assert error.value.message == "This task is already Done."
