"""Who gets work when two transactions pick at once, on PostgreSQL: each commits its own
connection, as two payments applied by two worker processes do."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

import production.services
from invoices.models import Invoice, PaymentSource
from orders import roles
from orders.assignment import pick_assignee
from orders.models import Department, Order, PaymentScheme, Stage, TaskKind
from pipeline.payments import payment_register
from production.models import Team, WorkCentre
from tests import factories as f
from tests.conftest import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _awaiting_payment(catalogue, products: list[str], manager) -> Invoice:
    order = f.take(f.new_order([(catalogue[p], 1) for p in products], manager=manager), manager)
    order = f.qualify(order, manager, payment_scheme=PaymentScheme.FULL_PREPAYMENT)
    return order.invoices.get()


def _closing(call):
    """Run in a thread of its own: its own connection, closed after."""
    try:
        return call()
    finally:
        connection.close()


def _in_threads(*calls) -> list[BaseException | None]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(_closing, call) for call in calls]
        return [future.exception() for future in futures]


@pytest.fixture
def two_teams(staff, catalogue):
    """Tables go to the joinery (the staff's production worker), chairs to the
    upholstery (Vasya)."""
    upholsterer = make_user("vasya", roles.PRODUCTION)
    joinery = Team.objects.create(name="Joinery")
    joinery.members.add(staff["production"])
    upholstery = Team.objects.create(name="Upholstery")
    upholstery.members.add(upholsterer)
    catalogue["table"].team = joinery
    catalogue["table"].save()
    catalogue["chair"].team = upholstery
    catalogue["chair"].save()
    return staff["production"], upholsterer


def test_two_payments_for_orders_of_the_same_teams_applied_at_once_both_start_production(
    staff, catalogue, two_teams, monkeypatch
):
    joiner, upholsterer = two_teams
    # Two managers, a bank payment and a manual one, two due dates: the totals each payment
    # keeps up to date (the board's counters, the day's payments, the receivables by due
    # date) are rows of its own, so the two transactions meet only at the workers they pick.
    other_manager = make_user("dima", roles.SALES_MANAGERS)
    first = _awaiting_payment(catalogue, ["table", "chair"], staff["manager"])
    second = _awaiting_payment(catalogue, ["chair", "table"], other_manager)
    Invoice.objects.filter(pk=second.pk).update(due_date=first.due_date + dt.timedelta(days=1))

    # Each transaction picks the worker for its first line, then both go on to their
    # second line: the worker the other has just picked. Locks held until commit made
    # each wait for the other, and PostgreSQL killed one as a deadlock.
    both_picked_once = threading.Barrier(2, timeout=5)
    picked = threading.local()
    pick = production.services.pick_assignee

    def pick_then_wait(department: str, *, team_id: int | None = None):
        worker = pick(department, team_id=team_id)
        if not getattr(picked, "once", False):
            picked.once = True
            # Were the two serialized elsewhere, the first would wait here in vain.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_picked_once.wait()
        return worker

    monkeypatch.setattr(production.services, "pick_assignee", pick_then_wait)

    def pay(invoice: Invoice, source: str):
        return lambda: payment_register(
            invoice=invoice, amount=invoice.amount, source=source, external_id=f"{invoice.pk}"
        )

    assert _in_threads(pay(first, PaymentSource.ACCOUNTING), pay(second, PaymentSource.MANUAL)) == [
        None,
        None,
    ]
    for invoice in (first, second):
        order = Order.objects.get(pk=invoice.order_id)
        assert order.stage == Stage.PRODUCTION
        assignees = {
            task.line.product.sku: task.assignee
            for task in order.tasks.filter(kind=TaskKind.PRODUCE_LINE).select_related(
                "line__product", "assignee"
            )
        }
        assert assignees == {"TBL-1": joiner, "CHR-1": upholsterer}


def test_two_picks_at_once_in_one_team_go_to_different_workers(staff, catalogue):
    second_worker = make_user("vasya", roles.PRODUCTION)
    both_picked = threading.Barrier(2, timeout=10)

    def pick_and_hold():
        with transaction.atomic():
            worker = pick_assignee(Department.PRODUCTION)
            both_picked.wait()  # neither has committed: the other's choice is unseen
            return worker

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_closing, pick_and_hold) for _ in range(2)]
        workers = {future.result() for future in futures}
    assert workers == {staff["production"], second_worker}


def test_two_picks_at_once_in_one_work_centre_go_to_its_two_members(staff, catalogue):
    painters = {make_user("vera", roles.PRODUCTION), make_user("gleb", roles.PRODUCTION)}
    centre = WorkCentre.objects.create(name="Покраска")
    centre.members.add(*painters)  # the staff's production worker paints nothing
    both_picked = threading.Barrier(2, timeout=10)

    def pick_and_hold():
        with transaction.atomic():
            worker = pick_assignee(Department.PRODUCTION, work_centre_id=centre.pk)
            both_picked.wait()  # neither has committed: the other's choice is unseen
            return worker

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_closing, pick_and_hold) for _ in range(2)]
        workers = {future.result() for future in futures}
    assert workers == painters


def test_a_pick_while_the_only_worker_is_being_given_work_waits_for_nothing(staff, catalogue):
    holding, done = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            pick_assignee(Department.PRODUCTION)
            holding.set()
            done.wait(timeout=10)

    def pick_meanwhile():
        holding.wait(timeout=10)
        with transaction.atomic():
            connection.cursor().execute("SET LOCAL lock_timeout = '2s'")
            worker = pick_assignee(Department.PRODUCTION)
        done.set()
        return worker

    with ThreadPoolExecutor(max_workers=2) as pool:
        holder = pool.submit(_closing, hold)
        meanwhile = pool.submit(_closing, pick_meanwhile)
        assert meanwhile.result() == staff["production"]
        holder.result()


def test_sequential_picks_stay_least_loaded_then_round_robin(staff, catalogue):
    second_worker = make_user("vasya", roles.PRODUCTION)
    order = f.order_in_production(
        manager=staff["manager"], catalogue=catalogue, lines=[("chair", "1")] * 3
    )
    assignees = [t.assignee for t in f.production_tasks(order)]
    assert assignees == [staff["production"], second_worker, staff["production"]]
    with transaction.atomic():
        # Two open tasks against one: the second worker is the less loaded.
        assert pick_assignee(Department.PRODUCTION) == second_worker
