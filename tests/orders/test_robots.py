"""The robots: who gets work, and the query cost of the busiest services."""

from __future__ import annotations

from decimal import Decimal

from invoices.models import PaymentSource
from orders import roles
from orders.assignment import pick_assignee
from orders.models import Department, Notification, PaymentScheme, StaffProfile, TaskKind
from orders.services.orders import order_update
from pipeline.orders import order_qualify
from pipeline.payments import payment_register
from pipeline.promise import order_promise
from tests import factories as f
from tests.conftest import make_user


def test_new_orders_go_to_the_manager_with_fewest_open_orders(staff, catalogue):
    other = make_user("dima", roles.SALES_MANAGERS)
    busy = f.new_order([(catalogue["chair"], 1)], manager=staff["manager"])
    assert busy.manager == staff["manager"]
    assert f.new_order([(catalogue["chair"], 1)]).manager == other


def test_ties_go_round_robin(staff, catalogue):
    other = make_user("dima", roles.SALES_MANAGERS)
    third = make_user("kostya", roles.SALES_MANAGERS)
    managers = [f.new_order([(catalogue["chair"], 1)]).manager for _ in range(6)]
    assert managers[:3] == [staff["manager"], other, third]
    assert managers[3:] == managers[:3]


def test_absent_and_inactive_managers_get_nothing(staff, catalogue):
    away = make_user("dima", roles.SALES_MANAGERS)
    StaffProfile.objects.filter(user=away).update(is_present=False)
    gone = make_user("kostya", roles.SALES_MANAGERS, is_active=False)
    managers = {f.new_order([(catalogue["chair"], 1)]).manager for _ in range(3)}
    assert managers == {staff["manager"]}
    assert away not in managers and gone not in managers


def test_closed_orders_do_not_count_as_load(staff, catalogue):
    other = make_user("dima", roles.SALES_MANAGERS)
    from pipeline.orders import order_cancel

    for _ in range(2):
        order_cancel(
            order=f.new_order([(catalogue["chair"], 1)], manager=staff["manager"]),
            actor=staff["manager"],
            reason="Test",
        )
    f.new_order([(catalogue["chair"], 1)], manager=other)
    assert f.new_order([(catalogue["chair"], 1)]).manager == staff["manager"]


def test_production_tasks_are_spread_over_present_workers(staff, catalogue):
    second = make_user("vasya", roles.PRODUCTION)
    order = f.take(
        f.new_order([(catalogue["table"], 1), (catalogue["chair"], 1), (catalogue["chair"], 3)]),
        staff["manager"],
    )
    order = f.qualify(order, staff["manager"], payment_scheme=PaymentScheme.POSTPAYMENT)
    assignees = list(
        order.tasks.filter(kind=TaskKind.PRODUCE_LINE)
        .order_by("line__position")
        .values_list("assignee", flat=True)
    )
    assert assignees == [staff["production"].pk, second.pk, staff["production"].pk]
    assert Notification.objects.filter(user=second, order=order).count() == 1


def test_nobody_present_leaves_the_task_unassigned_and_the_head_is_told(
    manager, head_of_sales, catalogue
):
    StaffProfile.objects.filter(user=manager).update(is_present=False)
    order = f.new_order([(catalogue["chair"], 1)])
    assert order.manager is None
    assert order.tasks.get().assignee is None
    assert pick_assignee(Department.LOGISTICS) is None
    assert list(Notification.objects.filter(user=head_of_sales).values_list("text", flat=True)) == [
        f"Nobody in Sales is present to take “Take order {order.number} into work” "
        f"(order {order.number}): assign it."
    ]


def test_qualification_runs_a_fixed_number_of_queries(staff, catalogue, django_assert_num_queries):
    def qualified(lines: int) -> int:
        order = f.take(f.new_order([(catalogue["chair"], 1)] * lines), staff["manager"])
        order_update(
            order=order, actor=staff["manager"], payment_scheme=PaymentScheme.FULL_PREPAYMENT
        )
        order_promise(order=order, actor=staff["manager"])
        return order

    order_qualify(order=qualified(1), actor=staff["manager"])  # the year's invoice counter
    small, large = qualified(1), qualified(12)
    # savepoint; lock order; recalculate (lines, payments, next deadline, update); stage
    # save + event; invoice counter (lock, update); lines for the snapshot; invoice insert;
    # invoice event; notification event + status; PDF queued mark; the promise counted from
    # the invoice's due date (the due date, the calendar and its holidays); recalculate (4);
    # release.
    with django_assert_num_queries(24):
        order_qualify(order=small, actor=staff["manager"])
    with django_assert_num_queries(24):
        order_qualify(order=large, actor=staff["manager"])


def test_payment_registration_runs_a_fixed_number_of_queries(
    staff, catalogue, django_assert_num_queries
):
    def awaiting(lines: int):
        order = f.take(f.new_order([(catalogue["chair"], 1)] * lines), staff["manager"])
        return f.qualify(
            order,
            staff["manager"],
            payment_scheme=PaymentScheme.PARTIAL_PREPAYMENT,
            prepayment_amount=Decimal("1000"),
        ).invoices.get()

    small, large = awaiting(1), awaiting(12)
    # savepoint; lock order; lock invoice; duplicate check; payment insert; invoice update
    # (paid kept under the lock); payment event; receipt event + status; the manager's
    # bell (their language, the insert); recalculate (lines, payments, next deadline,
    # update); release. (A part payment: it stays in prepayment.)
    for invoice in (small, large):
        with django_assert_num_queries(16):
            payment_register(
                invoice=invoice,
                amount=Decimal("100"),
                source=PaymentSource.ACCOUNTING,
                external_id=f"ref-{invoice.pk}",
            )
