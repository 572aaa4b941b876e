import datetime as dt
import threading
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone, translation

from core.texts import msg_text
from notifications.deadlines import deadlines_run
from notifications.tasks import deadlines_check
from orders.calendar import WorkingTime
from orders.models import (
    Department,
    Holiday,
    Notification,
    Order,
    Stage,
    StageLimit,
    Task,
    TaskKind,
    TaskStatus,
)
from orders.services.orders import LineInput
from pipeline.orders import order_create
from tests.factories import customer

pytestmark = pytest.mark.django_db

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
# 25 November 2026 is a Wednesday; 27th a Friday; 30th a Monday.
WEDNESDAY = dt.date(2026, 11, 25)
FRIDAY = dt.date(2026, 11, 27)
MONDAY = dt.date(2026, 11, 30)
TUESDAY = dt.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def no_stage_limits(db) -> None:
    """The defaults from the data migration; each test here sets the limits it needs."""
    StageLimit.objects.all().delete()


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK)


def make_order(manager, catalogue) -> Order:
    order = order_create(
        customer=customer(),
        lines=[LineInput(product=catalogue["chair"], quantity=Decimal(1))],
        source="manager",
        manager=manager,
    )
    # The order's own "take into work" task would take part in every pass; keep it out.
    order.tasks.update(status=TaskStatus.DONE)
    Notification.objects.filter(order=order).delete()
    return order


def make_task(order, assignee, due_at, department=Department.PRODUCTION) -> Task:
    return Task.objects.create(
        order=order,
        kind=TaskKind.CUSTOM,
        title="Glue the legs",
        department=department,
        assignee=assignee,
        due_at=due_at,
    )


def texts(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("id").values_list("text", flat=True)
    )


@pytest.fixture
def task(db, staff, catalogue, head_of_production):
    order = make_order(staff["manager"], catalogue)
    return make_task(order, staff["production"], at(WEDNESDAY, 15))


def run_at(moment: dt.datetime):
    with time_machine.travel(moment, tick=False):
        return deadlines_run()


def test_nothing_happens_while_the_deadline_is_far(task, staff):
    report = run_at(at(WEDNESDAY, 12, 30))  # 2.5 working hours before
    assert report.as_dict() == {
        "reminded": 0,
        "overdue": 0,
        "escalated_orders": 0,
        "notifications": 0,
    }
    assert texts(staff["production"]) == []


def test_the_assignee_is_reminded_two_working_hours_before_once(task, staff, head_of_production):
    for minute in (30, 40, 50):  # the job runs three times
        run_at(at(WEDNESDAY, 13, minute))
    assert texts(staff["production"]) == [
        f"Deadline soon: “Glue the legs” (order {task.order.number}) is due 11/25/2026 3 p.m."
    ]
    assert texts(head_of_production) == []
    task.refresh_from_db()
    assert task.reminded_at == at(WEDNESDAY, 13, 30)


def test_an_overdue_task_is_escalated_to_the_assignee_the_head_and_the_manager_once(
    task, staff, head_of_production
):
    run_at(at(WEDNESDAY, 13, 30))
    for minute in (1, 5, 10):
        run_at(at(WEDNESDAY, 15, minute))
    number = task.order.number
    assert texts(staff["production"])[1:] == [
        f"Overdue: “Glue the legs” (order {number}) was due 11/25/2026 3 p.m."
    ]
    assert texts(head_of_production) == [
        f"Overdue: “Glue the legs” (order {number}, Petr) was due 11/25/2026 3 p.m."
    ]
    # The manager who promised the client the date hears it before the client asks.
    assert texts(staff["manager"]) == [
        f"Overdue: “Glue the legs” (order {number}, Petr) was due 11/25/2026 3 p.m."
    ]
    task.refresh_from_db()
    assert task.overdue_notified_at == at(WEDNESDAY, 15, 1)
    assert task.order.events.filter(text__startswith="Task overdue: Glue the legs").count() == 1


def test_staff_get_the_same_messages_by_e_mail(
    task, staff, head_of_production, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with (
        time_machine.travel(at(WEDNESDAY, 15, 1), tick=False),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        deadlines_check.delay()
    assert len(callbacks) == 1  # the e-mails go out only once the claims are committed
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ivan@conveyor.test",
        "masha@conveyor.test",
        "petr@conveyor.test",
    ]
    assert all("/orders/" in m.body for m in mail.outbox)


def test_a_staff_member_reads_the_message_in_their_language(task, staff):
    staff["production"].profile.language = "ru"
    staff["production"].profile.save()
    run_at(at(WEDNESDAY, 13, 30))
    [text] = texts(staff["production"])
    assert text.startswith("Скоро срок: «Glue the legs»")


def test_the_reminder_counts_working_hours_across_the_weekend(staff, catalogue):
    order = make_order(staff["manager"], catalogue)
    make_task(order, staff["production"], at(MONDAY, 10))
    run_at(at(FRIDAY, 15))  # Fri 15–18 is already three working hours
    run_at(at(dt.date(2026, 11, 28), 12))  # Saturday: Mon 9–10 is one working hour away
    assert len(texts(staff["production"])) == 1
    assert Task.objects.get(order=order, kind=TaskKind.CUSTOM).reminded_at == at(
        dt.date(2026, 11, 28), 12
    )


def test_a_friday_evening_run_reminds_a_monday_morning_deadline(staff, catalogue):
    order = make_order(staff["manager"], catalogue)
    make_task(order, staff["production"], at(MONDAY, 10))
    run_at(at(FRIDAY, 17, 30))  # half an hour on Friday + one on Monday
    assert len(texts(staff["production"])) == 1


def test_a_holiday_does_not_count_as_working_time(staff, catalogue):
    order = make_order(staff["manager"], catalogue)
    make_task(order, staff["production"], at(TUESDAY, 10))
    run_at(at(FRIDAY, 17, 30))
    assert texts(staff["production"]) == []  # Monday's hours still lie between
    Holiday.objects.create(date=MONDAY, name="Bridge day")
    run_at(at(FRIDAY, 17, 31))
    assert len(texts(staff["production"])) == 1


@pytest.fixture
def order_in_production_since_friday(staff, catalogue, head_of_sales):
    StageLimit.objects.create(stage=Stage.PRODUCTION, working_hours=Decimal(18))
    order = make_order(staff["manager"], catalogue)
    Order.objects.filter(pk=order.pk).update(
        stage=Stage.PRODUCTION, stage_changed_at=at(FRIDAY, 10)
    )
    return order


def test_an_order_over_its_stage_limit_is_escalated_once(
    order_in_production_since_friday, staff, head_of_sales
):
    order = order_in_production_since_friday
    run_at(at(MONDAY, 10))  # 72 hours later, but only 9 working hours
    assert texts(staff["manager"]) == []
    run_at(at(TUESDAY, 9, 59))  # 8 + 9 + 0.98 working hours
    assert texts(staff["manager"]) == []
    for minute in (0, 10, 20):
        run_at(at(TUESDAY, 10, minute))
    message = f"Order {order.number} has been in “Production” longer than 18 working hours."
    assert texts(staff["manager"]) == [message]
    assert texts(head_of_sales) == [message]
    order.refresh_from_db()
    assert order.stage_escalated_at == at(TUESDAY, 10)


def test_the_stage_in_a_stage_limit_message_is_in_each_readers_language(
    order_in_production_since_friday, staff, head_of_sales
):
    """The job runs in the site's language; a Russian head of sales still reads the stage
    in Russian, in the bell and in the order's timeline."""
    head_of_sales.profile.language = "ru"
    head_of_sales.profile.save()
    order = order_in_production_since_friday
    run_at(at(TUESDAY, 10))
    [text] = texts(head_of_sales)
    assert text == (
        f"Заказ {order.number} находится на этапе «Производство» дольше 18 рабочих часов."
    )
    event = order.events.get(data__stage_limit=True)
    with translation.override("ru"):
        assert "«Производство»" in msg_text(event.text, event.data)


def test_an_order_with_no_limit_for_its_stage_is_left_alone(staff, catalogue):
    StageLimit.objects.create(stage=Stage.QUALIFICATION, working_hours=Decimal(1))
    make_order(staff["manager"], catalogue)  # in "new"
    report = run_at(timezone.now() + dt.timedelta(days=30))
    assert report.escalated_orders == []


def test_the_moment_before_walks_back_over_weekends_and_holidays(db):
    Holiday.objects.create(date=MONDAY, name="Bridge day")
    working_time = WorkingTime.load(around=at(WEDNESDAY, 12))
    assert working_time.subtract_hours(at(TUESDAY, 10), 3) == at(FRIDAY, 16)
    assert working_time.subtract_hours(at(dt.date(2026, 11, 29), 23), 1) == at(FRIDAY, 17)


@pytest.mark.parametrize("count", [1, 8])
def test_the_job_runs_a_fixed_number_of_queries(
    count, staff, catalogue, head_of_production, head_of_sales, django_assert_num_queries
):
    StageLimit.objects.create(stage=Stage.NEW, working_hours=Decimal(1))
    for _ in range(count):
        order = make_order(staff["manager"], catalogue)
        Order.objects.filter(pk=order.pk).update(stage_changed_at=at(WEDNESDAY, 9))
        make_task(order, staff["production"], at(WEDNESDAY, 15))  # to remind
        make_task(order, staff["production"], at(WEDNESDAY, 11))  # overdue
    # Queries: the calendar and its holidays; savepoint; the reminder and overdue claims;
    # the stage limits and their claim; the heads; the claimed tasks; the claimed orders;
    # the notifications and the timeline rows (bulk inserts); the Work row that keeps their
    # e-mail copies pending until sent (one upsert); release.
    with django_assert_num_queries(14):
        report = run_at(at(WEDNESDAY, 13, 30))
    assert report.as_dict() == {
        "reminded": count,
        "overdue": count,
        "escalated_orders": count,
        "notifications": count * 6,  # reminder; overdue ×3; stage ×2
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_running_at_once_send_each_message_once(transactional_db, staff, catalogue):
    order = make_order(staff["manager"], catalogue)
    for _ in range(40):
        make_task(order, staff["production"], at(WEDNESDAY, 14))
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run() -> None:
        try:
            barrier.wait()
            reports.append(deadlines_run(now=at(WEDNESDAY, 13, 30)))
        except Exception as error:  # surfaced below: a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(len(r.reminded) for r in reports) == 40
    assert set(reports[0].reminded).isdisjoint(reports[1].reminded)
    assert Notification.objects.filter(user=staff["production"]).count() == 40


def test_beat_runs_the_deadline_job_every_minute(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["deadlines"]
    assert entry == {"task": "orders.tasks.deadlines_check", "schedule": 60}
    assert entry["task"] in app.tasks


def test_the_reminder_lead_is_configurable_in_working_hours(task, staff, settings):
    settings.DEADLINE_REMINDER_WORKING_HOURS = Decimal(4)
    run_at(at(WEDNESDAY, 10, 59))
    assert texts(staff["production"]) == []
    run_at(at(WEDNESDAY, 11))
    assert len(texts(staff["production"])) == 1
