import csv
import datetime as dt
import io
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from orders.models import LineStatus, Order, OrderLine, Stage
from pipeline.orders import order_cancel
from pipeline.work import production_task_done
from production.models import BillOfMaterialsItem, MarginDay, MarginMonth, Material, Product
from production.selectors import margin_by_product, margin_spans
from production.summaries import SUMMARIES_CHECK, margin_days_rebuild
from tests.factories import order_in_production, production_tasks

pytestmark = pytest.mark.django_db


def test_order_margin_uses_the_standard_cost_until_an_actual_one_is_recorded(staff, catalogue):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    # Lines 15,000 + 4 × 4,000; standard cost 3,250 + 4 × 1,150.
    assert order.margin == Decimal("31000.00") - Decimal("7850.00")
    table_task = production_tasks(order)[0]
    production_task_done(
        task=table_task,
        actor=staff["production"],
        materials_cost=Decimal("2100.00"),
        labour_minutes=150,
    )
    order.refresh_from_db()
    # The table now costs 2,100 + 2.5 h × 600 = 3,600; the chairs stay standard.
    assert order.cost_amount == Decimal("3600.00") + Decimal("4600.00")
    assert order.margin == Decimal("31000.00") - Decimal("8200.00")


@pytest.fixture
def period_of_work(staff, catalogue):
    """Orders made this period with partial actual costs, one made last year, one lost."""
    worker, manager = staff["production"], staff["manager"]
    first = order_in_production(manager=manager, catalogue=catalogue)
    table, chairs = production_tasks(first)
    production_task_done(
        task=table, actor=worker, materials_cost=Decimal("2100.00"), labour_minutes=150
    )  # 3,600.00
    production_task_done(task=chairs, actor=worker)  # standard 4 × 1,150.00
    second = order_in_production(manager=manager, catalogue=catalogue, lines=[("chair", "3")])
    production_task_done(
        task=production_tasks(second)[0], actor=worker, materials_cost=Decimal("1500.00")
    )  # 1,500.00 + standard labour 3 × 600.00
    old = order_in_production(manager=manager, catalogue=catalogue, lines=[("table", "1")])
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        production_task_done(task=production_tasks(old)[0], actor=worker)
    lost = order_in_production(manager=manager, catalogue=catalogue)
    production_task_done(task=production_tasks(lost)[0], actor=worker)
    order_cancel(order=lost, actor=manager, reason="Client changed their mind")
    today = timezone.localdate()
    return today - dt.timedelta(days=30), today


def test_margin_per_product_over_a_period_matches_the_hand_computed_figures(period_of_work):
    start, end = period_of_work
    rows, total = margin_by_product(start=start, end=end)
    figures = [(r.sku, r.quantity, r.revenue, r.cost, r.margin, r.margin_percent) for r in rows]
    assert figures == [
        # chairs: 7 × 4,000; cost 4,600 (standard) + 3,300 (partly actual)
        ("CHR-1", Decimal("7"), Decimal("28000.00"), Decimal("7900.00"), Decimal("20100.00"),
         Decimal("71.8")),
        # the table: 15,000; actual 3,600
        ("TBL-1", Decimal("1"), Decimal("15000.00"), Decimal("3600.00"), Decimal("11400.00"),
         Decimal("76.0")),
    ]  # fmt: skip
    assert (total.revenue, total.cost, total.margin, total.margin_percent) == (
        Decimal("43000.00"),
        Decimal("11500.00"),
        Decimal("31500.00"),
        Decimal("73.3"),
    )


def test_the_report_page_and_its_csv_show_the_same_figures(client, period_of_work, head_of_sales):
    start, end = period_of_work
    client.force_login(head_of_sales)
    query = {"start": start.isoformat(), "end": end.isoformat()}
    page = client.get(reverse("production:margin_report"), query)
    assert page.status_code == 200
    assert [r.sku for r in page.context["rows"]] == ["CHR-1", "TBL-1"]
    export = client.get(reverse("production:margin_report_csv"), query)
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[1] == ["CHR-1", "Oak chair", "7", "28000.00", "7900.00", "20100.00", "71.8"]
    assert rows[2] == ["TBL-1", "Oak table", "1", "15000.00", "3600.00", "11400.00", "76.0"]
    assert rows[3] == ["", "Total", "8", "43000.00", "11500.00", "31500.00", "73.3"]


def test_the_report_refuses_a_period_that_ends_before_it_starts(client, head_of_sales):
    client.force_login(head_of_sales)
    query = {"start": "2026-05-01", "end": "2026-04-01"}
    page = client.get(reverse("production:margin_report"), query)
    assert page.status_code == 400
    assert "The start of the period is after its end." in page.content.decode()
    export = client.get(reverse("production:margin_report_csv"), query)
    assert export.status_code == 400
    assert export.content.decode() == "The start of the period is after its end."


def test_the_report_is_only_for_people_who_see_money(client, production_worker):
    client.force_login(production_worker)
    assert client.get(reverse("production:margin_report")).status_code == 403
    assert client.get(reverse("production:margin_report_csv")).status_code == 403


def test_the_order_costing_fragment_shows_standard_and_actual_costs(staff, catalogue):
    from django.template.loader import render_to_string

    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    production_task_done(
        task=production_tasks(order)[0], actor=staff["production"], materials_cost=Decimal(2000)
    )  # 2,000 + standard labour 1,200
    order.refresh_from_db()
    html = render_to_string("production/partials/order_costing.html", {"order": order})
    assert "3200.00 (actual)" in html
    assert "4600.00 (standard)" in html
    assert f'<th class="num">{order.margin}</th>' in html
    assert order.margin == Decimal("31000.00") - Decimal("7800.00")


def test_the_csv_writes_a_round_quantity_as_a_spreadsheet_reads_it(
    client, staff, catalogue, head_of_sales
):
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, lines=[("chair", "100")]
    )
    production_task_done(task=production_tasks(order)[0], actor=staff["production"])
    client.force_login(head_of_sales)
    today = timezone.localdate().isoformat()
    export = client.get(reverse("production:margin_report_csv"), {"start": today, "end": today})
    rows = list(
        csv.reader(
            io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert rows[1][:3] == ["CHR-1", "Oak chair", "100"]  # not 1E+2


# ------------------------------------------------------------------ the roll-up vs the lines


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def margin_from_lines(start: dt.date, end: dt.date) -> dict[str, tuple]:
    """The report recomputed from every line, as it was before the roll-up: per product,
    quantity, revenue and cost of the lines made in the period (local days), lost orders
    left out, each line rounded to kopecks half away from zero."""
    totals: dict[str, list] = {}
    for line in OrderLine.objects.filter(status=LineStatus.MADE).select_related("order"):
        if line.order.stage == Stage.LOST or not start <= timezone.localdate(line.made_at) <= end:
            continue
        cost = line.actual_cost
        if cost is None:
            cost = _cents(line.unit_cost * line.quantity)
        row = totals.setdefault(line.sku, [Decimal(0), Decimal(0), Decimal(0)])
        row[0] += line.quantity
        row[1] += _cents(line.quantity * line.price - line.discount)
        row[2] += cost
    return {sku: tuple(row) for sku, row in totals.items()}


def margin_from_report(start: dt.date, end: dt.date) -> dict[str, tuple]:
    rows, _total = margin_by_product(start=start, end=end)
    return {row.sku: (row.quantity, row.revenue, row.cost) for row in rows}


@pytest.fixture
def cord(catalogue) -> Product:
    """Sold by the metre at a price and a cost whose kopecks round half up: 1.5 m is 15.015
    and 4.995."""
    product = Product.objects.create(sku="CRD-1", name="Cord", price=Decimal("10.01"))
    thread = Material.objects.create(name="Thread", unit="m", unit_cost=Decimal("3.33"))
    BillOfMaterialsItem.objects.create(product=product, material=thread, quantity=Decimal(1))
    catalogue["cord"] = product
    return product


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_report_from_the_roll_up_equals_the_lines_whatever_is_made_costed_or_lost(
    staff, catalogue, cord, seed
):
    """Random orders made line by line at moments around local midnights, some with actual
    costs, some lost before, during or after production: after every event the report of
    each day and of the whole period equals the recomputation from the lines."""
    rng = random.Random(seed)
    worker, manager = staff["production"], staff["manager"]
    # 21:30 UTC is 00:30 in Moscow: the line belongs to the next local day.
    base = timezone.now().replace(hour=21, minute=30, second=0, microsecond=0)
    moments = [
        base - dt.timedelta(days=d, hours=h) for d in (0, 1, 2, 33, 34, 64) for h in (0, 1, 12)
    ]
    orders = [
        order_in_production(
            manager=manager,
            catalogue=catalogue,
            lines=[
                (rng.choice(["table", "chair", "cord"]), rng.choice(["1", "1.5", "2.25", "3"]))
                for _ in range(rng.randint(1, 3))
            ],
        )
        for _ in range(4)
    ]
    events = [("make", task) for order in orders for task in production_tasks(order)]
    events += [("lose", order) for order in rng.sample(orders, 2)]
    rng.shuffle(events)
    days = sorted({timezone.localdate(moment) for moment in moments})
    first, last = days[0], days[-1]
    month_before = (last.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    periods = [(day, day) for day in days] + [
        (first, last),
        (first.replace(day=1), last),
        (first + dt.timedelta(days=1), last - dt.timedelta(days=1)),
        (month_before, last.replace(day=1) - dt.timedelta(days=1)),  # one whole month
    ]
    for kind, target in events:
        if kind == "lose":
            order_cancel(order=target, actor=manager, reason="Client changed their mind")
        elif Order.objects.get(pk=target.order_id).stage != Stage.LOST:
            costs = rng.choice([{}, {"materials_cost": Decimal("2100.50")}, {"labour_minutes": 7}])
            with time_machine.travel(rng.choice(moments), tick=False):
                production_task_done(task=target, actor=worker, **costs)
        for start, end in periods:
            assert margin_from_report(start, end) == margin_from_lines(start, end), (start, end)
    if connection.vendor == "postgresql":
        stored = sorted(row[1:] for row in MarginDay.objects.filter(lines__gt=0).values_list())
        with connection.cursor() as cursor:
            for sql in SUMMARIES_CHECK.values():
                cursor.execute(sql)
                assert cursor.fetchone()[0] == 0
        months = sorted(row[1:] for row in MarginMonth.objects.filter(lines__gt=0).values_list())
        margin_days_rebuild()
        assert sorted(row[1:] for row in MarginDay.objects.values_list()) == stored
        assert sorted(row[1:] for row in MarginMonth.objects.values_list()) == months


def test_a_line_is_counted_on_the_local_day_it_was_made(staff, catalogue, cord):
    order = order_in_production(
        manager=staff["manager"], catalogue=catalogue, lines=[("cord", "1.5")]
    )
    moment = dt.datetime(2026, 3, 9, 22, 15, tzinfo=dt.UTC)  # 01:15 on 10 March in Moscow
    with time_machine.travel(moment, tick=False):
        production_task_done(task=production_tasks(order)[0], actor=staff["production"])

    assert margin_from_report(dt.date(2026, 3, 9), dt.date(2026, 3, 9)) == {}
    assert margin_from_report(dt.date(2026, 3, 10), dt.date(2026, 3, 10)) == {
        "CRD-1": (Decimal("1.5"), Decimal("15.02"), Decimal("5.00"))
    }


def test_two_lines_of_one_day_and_product_add_up_in_one_row(staff, catalogue):
    worker = staff["production"]
    for quantity in ("2", "3"):
        order = order_in_production(
            manager=staff["manager"], catalogue=catalogue, lines=[("chair", quantity)]
        )
        production_task_done(task=production_tasks(order)[0], actor=worker)

    row = MarginDay.objects.get()
    assert (row.quantity, row.revenue, row.cost, row.lines) == (
        Decimal("5"),
        Decimal("20000.00"),
        Decimal("5750.00"),
        2,
    )


@pytest.mark.parametrize("days", [1, 60])
def test_the_report_runs_one_query_whatever_the_number_of_days_and_lines(
    client, head_of_sales, catalogue, django_assert_num_queries, days
):
    today = timezone.localdate()
    months: dict[tuple, MarginMonth] = {}
    for i in range(days):
        day = today - dt.timedelta(days=i)
        for product in catalogue.values():
            figures = {"quantity": 2, "revenue": Decimal("100.00"), "cost": Decimal(40), "lines": 1}
            MarginDay.objects.create(day=day, product=product, **figures)
            month = months.setdefault(
                (day.replace(day=1), product.pk),
                MarginMonth(month=day.replace(day=1), product=product, quantity=0, lines=0),
            )
            month.quantity += 2
            month.lines += 1
    MarginMonth.objects.bulk_create(months.values())
    client.force_login(head_of_sales)
    query = {"start": (today - dt.timedelta(days=90)).isoformat(), "end": today.isoformat()}
    # session, user, the permission check (the user's and the groups' permissions), the
    # roll-up's rows of the period summed per product; the navigation: the task count,
    # unread notifications, role.
    with django_assert_num_queries(8):
        page = client.get(reverse("production:margin_report"), query)
    assert [row.quantity for row in page.context["rows"]] == [Decimal(2 * days)] * 2
    # The CSV: session, user, permissions (2), the same roll-up rows.
    with django_assert_num_queries(5):
        export = client.get(reverse("production:margin_report_csv"), query)
        content = b"".join(export.streaming_content).decode("utf-8-sig")
    assert content.count("\n") == 4  # the header, two products, the total


D = dt.date


@pytest.mark.parametrize(
    ("start", "end", "days", "months"),
    [
        (D(2026, 1, 2), D(2026, 4, 1), [(D(2026, 1, 2), D(2026, 1, 31)), (D(2026, 4, 1),) * 2],
         (D(2026, 2, 1), D(2026, 3, 1))),
        (D(2026, 1, 1), D(2026, 3, 31), [], (D(2026, 1, 1), D(2026, 3, 1))),
        (D(2026, 1, 1), D(2026, 1, 31), [], (D(2026, 1, 1), D(2026, 1, 1))),
        (D(2026, 1, 5), D(2026, 1, 20), [(D(2026, 1, 5), D(2026, 1, 20))], None),
        (D(2026, 1, 5), D(2026, 2, 20), [(D(2026, 1, 5), D(2026, 2, 20))], None),
        (D(2025, 12, 1), D(2026, 2, 27), [(D(2026, 2, 1), D(2026, 2, 27))],
         (D(2025, 12, 1), D(2026, 1, 1))),
        (D(2024, 2, 2), D(2024, 2, 29), [(D(2024, 2, 2), D(2024, 2, 29))], None),
    ],
)  # fmt: skip
def test_a_period_reads_whole_months_and_the_days_at_its_ends(start, end, days, months):
    assert margin_spans(start, end) == (days, months)


@pytest.mark.parametrize("lost_first", [False, True])
def test_an_order_deleted_in_the_admin_leaves_the_report_once(
    admin_client, staff, catalogue, lost_first
):
    # A line of two made: the order has no invoice yet, so the admin may delete it.
    kept, deleted = (
        order_in_production(
            manager=staff["manager"], catalogue=catalogue, lines=[("chair", q), ("table", "1")]
        )
        for q in ("2", "3")
    )
    for order in (kept, deleted):
        production_task_done(task=production_tasks(order)[0], actor=staff["production"])
    if lost_first:
        order_cancel(order=deleted, actor=staff["manager"], reason="Client changed their mind")

    response = admin_client.post(f"/admin/orders/order/{deleted.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302 and not Order.objects.filter(pk=deleted.pk).exists()
    today = timezone.localdate()
    assert margin_from_report(today, today) == margin_from_lines(today, today)
    assert margin_from_report(today, today)["CHR-1"][0] == Decimal("2")
