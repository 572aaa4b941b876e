import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from pipeline.orders import order_cancel
from pipeline.work import production_task_done
from production.selectors import margin_by_product
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
