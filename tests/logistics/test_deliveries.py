import datetime as dt
import re
from html import unescape

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from logistics.selectors import DELIVERY_PAGE
from orders.models import DeliveryMethod, Department, PaymentScheme, Stage, Task, TaskKind
from orders.selectors.tasks import COUNT_CAP
from pipeline.work import task_complete
from tests.factories import carrier, order_in_delivery, order_in_production, production_tasks

pytestmark = pytest.mark.django_db

PAGE_QUERIES = 1 if connection.features.supports_slicing_ordering_in_compound else 4


def delivery_task(order) -> Task:
    return order.tasks.get(kind=TaskKind.DELIVER)


def test_saving_delivery_details_gives_logistics_a_task_due_on_the_planned_date(staff, catalogue):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    assert order.stage == Stage.DELIVERY
    task = delivery_task(order)
    assert task.assignee == staff["logistics"]
    assert timezone.localdate(task.due_at) == order.planned_ship_date


def test_the_delivery_list_sorts_tasks_into_overdue_today_and_tomorrow(client, staff, catalogue):
    orders = [
        order_in_delivery(manager=staff["manager"], worker=staff["production"], catalogue=catalogue)
        for _ in range(3)
    ]
    now = timezone.now()
    Task.objects.filter(pk=delivery_task(orders[0]).pk).update(due_at=now - dt.timedelta(hours=1))
    Task.objects.filter(pk=delivery_task(orders[1]).pk).update(
        due_at=timezone.localtime(now).replace(hour=23, minute=59)
    )
    client.force_login(staff["logistics"])
    page = client.get(reverse("logistics:deliveries"))
    sections = {g.key: [t.order.number for t in g.tasks] for g, _label in page.context["sections"]}
    assert sections == {
        "overdue": [orders[0].number],
        "today": [orders[1].number],
        "tomorrow": [orders[2].number],
        "later": [],
    }


@pytest.mark.parametrize("orders", [1, 4])
def test_the_delivery_list_runs_a_fixed_number_of_queries(
    client, staff, catalogue, orders, django_assert_num_queries
):
    for _ in range(orders):
        order_in_delivery(manager=staff["manager"], worker=staff["production"], catalogue=catalogue)
    client.force_login(staff["logistics"])
    # Queries: the session, the user, the logistics group check, the groups' capped
    # counts, the four groups' first open delivery tasks with their orders, customers,
    # carriers and responsible people (one UNION ALL, or one query a group); the layout's
    # user and group permissions, open-task count, unread notifications and role.
    with django_assert_num_queries(9 + PAGE_QUERIES):
        page = client.get(reverse("logistics:deliveries"))
    assert sum(int(group.count) for group, _label in page.context["sections"]) == orders


def test_completing_with_a_tracking_number_wins_the_order_and_tells_the_client(
    client, staff, catalogue, django_capture_on_commit_callbacks
):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    client.force_login(staff["logistics"])
    mail.outbox.clear()
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("logistics:complete", args=[delivery_task(order).pk]),
            {"shipped_on": today.isoformat(), "tracking_number": " 10010 "},
        )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.stage, order.shipped_on, order.tracking_number) == (Stage.WON, today, "10010")
    # The same send run also takes the client's e-mails queued before (payment, made,
    # delivery details), which the factory left unsent.
    [message] = [m for m in mail.outbox if "track?n=" in m.body]
    assert message.to == ["client@example.com"]
    assert "https://cdek.example/track?n=10010" in message.body


def test_it_refuses_a_shipping_date_in_the_future(client, staff, catalogue):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    client.force_login(staff["logistics"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page = client.post(
        reverse("logistics:complete", args=[delivery_task(order).pk]),
        {"shipped_on": tomorrow.isoformat()},
        follow=True,
    )
    assert "The shipping date cannot be in the future." in page.content.decode()
    order.refresh_from_db()
    assert order.stage == Stage.DELIVERY


def test_the_delivery_list_is_for_logistics(client, staff):
    client.force_login(staff["production"])
    assert client.get(reverse("logistics:deliveries")).status_code == 403


def test_the_manager_saves_carrier_delivery_details_with_a_comment(client, staff, catalogue):
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    for task in production_tasks(order):
        task_complete(task=task, actor=staff["production"])
    client.force_login(staff["manager"])
    url = reverse("logistics:delivery_details", args=[order.number])
    form = client.get(url)
    assert set(form.context["form"].fields) == {
        "carrier",
        "delivery_address",
        "planned_ship_date",
        "comment",
    }
    ship = timezone.localdate() + dt.timedelta(days=2)
    saved = client.post(
        url,
        {
            "carrier": carrier().pk,
            "delivery_address": "Kazan, Baumana 5",
            "planned_ship_date": ship.isoformat(),
            "comment": "Call before arrival",
        },
    )
    assert saved.status_code == 302
    order.refresh_from_db()
    assert (order.stage, order.delivery_address, order.planned_ship_date) == (
        Stage.DELIVERY,
        "Kazan, Baumana 5",
        ship,
    )
    assert order.events.filter(kind="delivery", text="Call before arrival").exists()


def test_missing_delivery_details_are_listed_and_nothing_moves(client, staff, catalogue):
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    for task in production_tasks(order):
        task_complete(task=task, actor=staff["production"])
    client.force_login(staff["manager"])
    page = client.post(
        reverse("logistics:delivery_details", args=[order.number]),
        {"delivery_address": "", "comment": "x"},
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "Choose the carrier." in html
    assert "Fill in the planned shipping date." in html
    order.refresh_from_db()
    assert order.stage == Stage.DELIVERY_DETAILS


def test_a_pickup_needs_only_its_date_and_logistics_hands_it_over(client, staff, catalogue):
    order = order_in_production(
        manager=staff["manager"],
        catalogue=catalogue,
        scheme=PaymentScheme.FULL_PREPAYMENT,
        delivery_method=DeliveryMethod.PICKUP,
    )
    for task in production_tasks(order):
        task_complete(task=task, actor=staff["production"])
    client.force_login(staff["manager"])
    url = reverse("logistics:delivery_details", args=[order.number])
    assert set(client.get(url).context["form"].fields) == {"pickup_date", "comment"}
    day = timezone.localdate() + dt.timedelta(days=1)
    assert client.post(url, {"pickup_date": day.isoformat()}).status_code == 302
    order.refresh_from_db()
    assert order.stage == Stage.DELIVERY
    task = delivery_task(order)
    assert task.title == f"Hand over order {order.number} (pickup)"
    client.force_login(staff["logistics"])
    client.post(
        reverse("logistics:complete", args=[task.pk]),
        {"shipped_on": timezone.localdate().isoformat()},
    )
    order.refresh_from_db()
    assert order.stage == Stage.WON


def test_delivery_details_are_for_the_orders_manager(client, staff, catalogue, logistics_worker):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    client.force_login(staff["logistics"])
    url = reverse("logistics:delivery_details", args=[order.number])
    assert client.get(url).status_code == 403


def test_the_form_says_when_the_order_is_not_ready_for_delivery_details(client, staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    client.force_login(staff["manager"])
    page = client.get(reverse("logistics:delivery_details", args=[order.number]))
    assert page.context["form"] is None
    assert "delivery details are entered when it is made and paid" in page.content.decode()


def test_a_delivery_task_in_my_tasks_leads_to_where_it_is_done(client, staff, catalogue):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    task = delivery_task(order)
    client.force_login(task.assignee)
    page = client.get("/tasks/").content.decode()
    where = f"/logistics/?task={task.pk}#task-{task.pk}"
    assert f'href="{where.replace("&", "&amp;")}"' in page
    assert f'id="task-{task.pk}"' in client.get(where).content.decode()
    # "Done" in one click cannot record a shipment: it sends the person to the form.
    response = client.post(f"/tasks/{task.pk}/done/")
    assert response.status_code == 302 and response["Location"] == where
    task.refresh_from_db()
    assert task.is_open


def _deliveries(order, count: int, *, start: dt.datetime, step: dt.timedelta) -> list[Task]:
    """Many open delivery tasks at once (no services), `step` apart from `start`."""
    return Task.objects.bulk_create(
        Task(
            order=order,
            kind=TaskKind.DELIVER,
            title=f"Ship #{i}",
            department=Department.LOGISTICS,
            due_at=start + i * step,
        )
        for i in range(count)
    )


def test_each_group_shows_its_soonest_and_more_continues_that_group(client, staff, catalogue):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    Task.objects.filter(kind=TaskKind.DELIVER).delete()
    now = timezone.now()
    overdue = _deliveries(
        order, DELIVERY_PAGE + 3, start=now - dt.timedelta(days=30), step=dt.timedelta(hours=1)
    )
    later = _deliveries(order, 2, start=now + dt.timedelta(days=5), step=dt.timedelta(hours=1))
    client.force_login(staff["logistics"])

    page = client.get(reverse("logistics:deliveries"))

    groups = {group.key: group for group, _label in page.context["sections"]}
    assert [t.pk for t in groups["overdue"].tasks] == [t.pk for t in overdue[:DELIVERY_PAGE]]
    assert [t.pk for t in groups["later"].tasks] == [t.pk for t in later]
    assert (str(groups["overdue"].count), str(groups["later"].count)) == (
        str(DELIVERY_PAGE + 3),
        "2",
    )
    html = page.content.decode()
    more = re.search(r'<li class="sf-next"><a class="[^"]*" href="([^"]+)"', html)
    assert more is not None and "group=overdue" in more.group(1)
    rest = client.get(unescape(more.group(1)))
    shown = [t.pk for group, _label in rest.context["sections"] for t in group.tasks]
    assert shown == [t.pk for t in overdue[DELIVERY_PAGE:]]
    appended = client.get(unescape(more.group(1)), headers={"HX-Request": "true"})
    assert appended.content.decode().count('class="sf-card') == 3
    assert "<h1>" not in appended.content.decode()


def test_a_link_to_one_delivery_opens_its_group_at_it_however_far_down(client, staff, catalogue):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    Task.objects.filter(kind=TaskKind.DELIVER).delete()
    now = timezone.now()
    overdue = _deliveries(
        order, DELIVERY_PAGE * 2, start=now - dt.timedelta(days=30), step=dt.timedelta(hours=1)
    )
    wanted = overdue[DELIVERY_PAGE + 4]
    client.force_login(staff["logistics"])

    page = client.get(wanted.get_work_url())

    (group, _label), *others = page.context["sections"]
    assert not others and group.key == "overdue"
    assert [t.pk for t in group.tasks] == [t.pk for t in overdue[DELIVERY_PAGE + 4 :]]
    assert f'id="task-{wanted.pk}"' in page.content.decode()
    # A task done meanwhile, or a mangled number: the whole list.
    for gone in (f"?task={overdue[0].pk + 10_000}", "?task=x", "?task=" + "9" * 40):
        sections = client.get(reverse("logistics:deliveries") + gone).context["sections"]
        assert len(sections) == 4


def test_the_groups_split_at_the_companys_midnights(client, staff, catalogue, time_machine):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    Task.objects.filter(kind=TaskKind.DELIVER).delete()
    # 22:00 in Moscow is 19:00 UTC: today ends at 21:00 UTC, tomorrow at 21:00 the next day.
    time_machine.move_to(dt.datetime(2026, 6, 10, 19, 0, tzinfo=dt.UTC), tick=False)
    utc = dt.UTC
    due = {
        "overdue": dt.datetime(2026, 6, 10, 18, 59, tzinfo=utc),
        "today": dt.datetime(2026, 6, 10, 20, 59, tzinfo=utc),
        "tomorrow": dt.datetime(2026, 6, 10, 21, 0, tzinfo=utc),
        "tomorrow late": dt.datetime(2026, 6, 11, 20, 59, tzinfo=utc),
        "later": dt.datetime(2026, 6, 11, 21, 0, tzinfo=utc),
    }
    tasks = {
        name: _deliveries(order, 1, start=moment, step=dt.timedelta(0))[0]
        for name, moment in due.items()
    }
    client.force_login(staff["logistics"])

    page = client.get(reverse("logistics:deliveries"))

    groups = {g.key: [t.pk for t in g.tasks] for g, _label in page.context["sections"]}
    assert groups == {
        "overdue": [tasks["overdue"].pk],
        "today": [tasks["today"].pk],
        "tomorrow": [tasks["tomorrow"].pk, tasks["tomorrow late"].pk],
        "later": [tasks["later"].pk],
    }


def test_a_group_counts_up_to_its_cap(client, staff, catalogue):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    _deliveries(
        order, COUNT_CAP + 1, start=timezone.now() + dt.timedelta(days=9), step=dt.timedelta(0)
    )
    client.force_login(staff["logistics"])
    html = client.get(reverse("logistics:deliveries")).content.decode()
    assert '<h2>Later <small class="sf-muted">1,000+</small></h2>' in html


@pytest.mark.parametrize("extra", [3, 60])
def test_the_delivery_list_reads_the_same_queries_and_rows_whatever_the_number_of_tasks(
    client, staff, catalogue, extra, django_assert_num_queries
):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue
    )
    now = timezone.now()
    for start in (now - dt.timedelta(days=9), now + dt.timedelta(days=9)):
        _deliveries(order, extra, start=start, step=dt.timedelta(minutes=1))
    client.force_login(staff["logistics"])
    # As above: 3 + counts + the groups' pages + 5 for the layout.
    with django_assert_num_queries(9 + PAGE_QUERIES):
        page = client.get(reverse("logistics:deliveries"))
    shown = sum(len(group.tasks) for group, _label in page.context["sections"])
    assert shown <= 4 * DELIVERY_PAGE
