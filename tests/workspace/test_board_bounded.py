"""The board at any size: won and lost from the closed-day counters, narrowed boards counted
up to a cap, and searches that read a bounded, ranked list of clients."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.db import connection
from django.utils import timezone

from core.phones import phone_prefixes
from orders.models import ClosedDayCounter, Customer, Order, Stage
from orders.selectors import board as board_selectors
from orders.selectors import customers as customer_selectors
from orders.selectors.board import COLUMN_PAGE, BoardFilter, order_list_for_board
from orders.selectors.customers import customers_ranked
from pipeline.orders import order_cancel
from tests.conftest import make_user
from tests.workspace.conftest import bulk_orders

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}

CARD_QUERIES = 1 if connection.features.supports_slicing_ordering_in_compound else 7


def closed(board, stage: str):
    return next(c for c in board.closed if c.stage == stage)


def won_lost(manager_id: int | None = None, days: int = 30) -> dict[str, tuple[int, Decimal]]:
    board = order_list_for_board(filters=BoardFilter(manager_id=manager_id, closed_days=days))
    return {c.stage: (c.count, c.total) for c in board.closed}


def closed_days_match_orders() -> None:
    """The trigger-kept closed-day counters equal a full aggregate of the closed orders."""
    expected = {}
    for order in Order.objects.filter(stage__in=[Stage.WON, Stage.LOST]):
        key = (timezone.localdate(order.stage_changed_at), order.stage, order.manager_id or 0)
        count, total = expected.get(key, (0, Decimal(0)))
        expected[key] = (count + 1, total + order.total_amount)
    kept = {
        (row.day, row.stage, row.manager_key): (row.orders, row.total)
        for row in ClosedDayCounter.objects.exclude(orders=0)
    }
    assert kept == expected


# ----------------------------------------------------------------------------- won and lost


def test_won_and_lost_follow_stage_manager_money_day_and_delete(staff, order_factory):
    manager = staff["manager"]
    other = make_user("kolya", "Sales managers", first_name="Kolya")
    order = order_factory(stage=Stage.NEW)
    assert won_lost(manager.pk) == {Stage.WON: (0, 0), Stage.LOST: (0, 0)}

    order_cancel(order=order, actor=manager, reason="Too expensive")
    order.refresh_from_db()
    assert won_lost(manager.pk)[Stage.LOST] == (1, order.total_amount)
    closed_days_match_orders()

    Order.objects.filter(pk=order.pk).update(manager=other)  # handed over
    assert won_lost(manager.pk)[Stage.LOST] == (0, 0)
    assert won_lost(other.pk)[Stage.LOST] == (1, order.total_amount)
    assert won_lost()[Stage.LOST] == (1, order.total_amount)

    Order.objects.filter(pk=order.pk).update(total_amount=Decimal("123.45"))
    assert won_lost(other.pk)[Stage.LOST] == (1, Decimal("123.45"))

    Order.objects.filter(pk=order.pk).update(stage=Stage.WON)
    assert won_lost(other.pk) == {Stage.WON: (1, Decimal("123.45")), Stage.LOST: (0, 0)}
    closed_days_match_orders()

    Order.objects.filter(pk=order.pk).update(
        stage_changed_at=timezone.now() - timezone.timedelta(days=40)
    )
    assert won_lost(other.pk)[Stage.WON] == (0, 0)
    assert won_lost(other.pk, days=90)[Stage.WON] == (1, Decimal("123.45"))
    closed_days_match_orders()

    Order.objects.filter(pk=order.pk).update(stage=Stage.QUALIFICATION)  # reopened
    assert won_lost(other.pk, days=90)[Stage.WON] == (0, 0)
    closed_days_match_orders()

    won = bulk_orders(count=3, manager=manager, stage=Stage.WON)
    assert won_lost(manager.pk)[Stage.WON] == (3, Decimal("3000.00"))
    Order.objects.filter(pk=won[0].pk).delete()
    assert won_lost(manager.pk)[Stage.WON] == (2, Decimal("2000.00"))
    Order.objects.filter(pk__in=[o.pk for o in won[1:]]).update(manager=None)
    assert won_lost(manager.pk)[Stage.WON] == (0, 0)
    assert won_lost()[Stage.WON] == (2, Decimal("2000.00"))
    closed_days_match_orders()


def test_the_period_is_today_and_the_days_before_it_in_the_company_time_zone(staff):
    [order] = bulk_orders(count=1, manager=staff["manager"], stage=Stage.WON)
    today = timezone.localtime().replace(hour=0, minute=30, second=0, microsecond=0)
    for days_ago, in_7_days in ((0, True), (6, True), (7, False)):
        Order.objects.filter(pk=order.pk).update(
            stage_changed_at=today - timezone.timedelta(days=days_ago)
        )
        assert won_lost(days=7)[Stage.WON][0] == (1 if in_7_days else 0), days_ago


@pytest.mark.postgres
def test_the_summary_statements_rebuild_what_the_trigger_keeps(staff):
    from orders.summaries import SUMMARIES_CHECK, SUMMARIES_REBUILD

    bulk_orders(count=3, manager=staff["manager"], stage=Stage.WON)
    bulk_orders(count=2, manager=staff["manager"], stage=Stage.LOST, start=2000)
    kept = list(ClosedDayCounter.objects.values_list("day", "stage", "orders", "total"))
    with connection.cursor() as cursor:
        for statement in SUMMARIES_REBUILD:
            cursor.execute(statement)
        for sql in SUMMARIES_CHECK.values():
            cursor.execute(sql)
            assert cursor.fetchone()[0] == 0
    assert sorted(ClosedDayCounter.objects.values_list("day", "stage", "orders", "total")) == (
        sorted(kept)
    )


# ----------------------------------------------------------------------------- capped counts


def test_a_narrowed_board_counts_up_to_the_cap_and_then_says_more(client, staff, monkeypatch):
    monkeypatch.setattr(board_selectors, "COUNT_CAP", 3)
    bulk_orders(count=5, manager=staff["manager"], stage=Stage.PRODUCTION)  # all overdue
    bulk_orders(count=2, manager=staff["manager"], stage=Stage.NEW, start=2000)
    client.force_login(staff["manager"])

    response = client.get("/board/", {"overdue": "1"})

    columns = {c.stage: c for c in response.context["board"].columns}
    assert (columns[Stage.PRODUCTION].count, columns[Stage.PRODUCTION].more) == (3, True)
    assert (columns[Stage.NEW].count, columns[Stage.NEW].more) == (2, False)
    assert columns[Stage.NEW].total == Decimal("2000.00")
    html = response.content.decode()
    assert 'data-testid="count-production" title="Counted up to 3 orders: there are more.">3+<' in (
        html
    )
    assert 'data-testid="sum-production"' not in html  # a sum of a part would mislead
    assert 'data-testid="sum-new"' in html
    board = response.context["board"]
    assert closed(board, Stage.WON).count == 0 and closed(board, Stage.LOST).count == 0


def test_a_board_narrowed_by_period_counts_won_and_lost_of_those_orders(staff):
    won = bulk_orders(count=2, manager=staff["manager"], stage=Stage.WON)
    Order.objects.filter(pk=won[0].pk).update(
        created_at=timezone.now() - timezone.timedelta(days=20)
    )
    since = timezone.localdate() - timezone.timedelta(days=5)
    board = order_list_for_board(
        filters=BoardFilter(manager_id=staff["manager"].pk, created_from=since)
    )
    assert (closed(board, Stage.WON).count, closed(board, Stage.WON).total) == (
        1,
        Decimal("1000.00"),
    )


# ----------------------------------------------------------------------------- search


def make_clients(*names: str) -> list[Customer]:
    return [
        Customer.objects.create(name=name, phone=f"+7900555{i:04d}", email=f"c{i}@example.com")
        for i, name in enumerate(names)
    ]


def test_the_client_search_lists_exact_then_starting_then_containing(client, staff):
    make_clients("Petrov Ivan", "Ivanova Anna", "Ivan", "Ivan Sidorov", "Anna Ivanenko")
    client.force_login(staff["manager"])

    found = [c.name for c in customers_ranked("ivan").customers]

    # The whole name, then the names starting with it alphabetically (each client once),
    # then those containing it.
    assert found[:3] == ["Ivan", "Ivan Sidorov", "Ivanova Anna"]
    assert sorted(found[3:]) == ["Anna Ivanenko", "Petrov Ivan"]
    html = client.get("/customers/search/", {"q": "ivan"}).content.decode()
    assert html.index("Ivan Sidorov") < html.index("Ivanova Anna") < html.index("Petrov Ivan")


def test_the_client_search_is_limited_and_finds_by_phone_email_and_symbols(client, staff):
    make_clients(*(f"Ivan {i:02d}" for i in range(12)), "100% Cotton_Ltd")
    client.force_login(staff["manager"])

    found = customers_ranked("ivan")
    assert len(found.customers) == customer_selectors.PICKER_CLIENTS and found.more
    assert [c.name for c in found.customers] == [f"Ivan {i:02d}" for i in range(8)]
    # LIKE's wildcards typed by a person are letters to find, not patterns.
    assert [c.name for c in customers_ranked("100%").customers] == ["100% Cotton_Ltd"]
    assert customers_ranked("1_0").customers == []
    assert [c.name for c in customers_ranked("8 900 555-00-03").customers] == ["Ivan 03"]
    assert [c.name for c in customers_ranked("C5@EXAMPLE.COM").customers] == ["Ivan 05"]
    assert sorted(c.name for c in customers_ranked("c1").customers) == [  # e-mails' starts
        "100% Cotton_Ltd",
        "Ivan 01",
        "Ivan 10",
        "Ivan 11",
    ]
    assert [c.name for c in customers_ranked("5550007").customers] == ["Ivan 07"]
    # The start of a phone as people type it, with the trunk prefix or without.
    assert sorted(c.name for c in customers_ranked("8 900 555-00-1").customers) == [
        "100% Cotton_Ltd",  # +7 900 555-00-12
        "Ivan 10",
        "Ivan 11",
    ]
    assert len(customers_ranked("900 555").customers) == 8


@pytest.mark.parametrize(
    ("typed", "starts"),
    [
        ("912-34", ["+791234", "+91234"]),
        ("8 912 34", ["+7891234", "+791234", "+891234"]),
        ("+44 20 7", ["+44207"]),
        ("9123", []),  # too short to be worth an index range
        ("Client 91234", []),
    ],
)
def test_the_start_of_a_phone_is_read_as_the_stored_phones_can_start(typed, starts):
    assert phone_prefixes(typed) == starts


def test_the_client_search_runs_one_query(client, staff, django_assert_num_queries):
    make_clients(*(f"Ivan {i:02d}" for i in range(12)))
    client.force_login(staff["manager"])
    client.get("/customers/search/", {"q": "Ivan"})
    # session, user, user's and groups' permissions, the ranked clients.
    with django_assert_num_queries(5):
        response = client.get("/customers/search/", {"q": "Ivan"})
    assert response.content.decode().count('name="customer"') == 8


def test_a_board_search_matching_many_clients_shows_the_best_and_says_so(
    client, staff, head_of_sales, monkeypatch
):
    monkeypatch.setattr(customer_selectors, "SEARCH_CLIENTS", 3)
    bulk_orders(count=5, manager=staff["manager"], stage=Stage.NEW)  # "Bulk client 1000"…
    client.force_login(head_of_sales)

    response = client.get("/board/", {"q": "Bulk client"})

    board = response.context["board"]
    assert board.search_capped_at == 3
    new = next(c for c in board.columns if c.stage == Stage.NEW)
    assert new.count == 3 and len(new.cards) == 3
    assert "Many clients match: the board shows the orders of the 3 closest." in (
        response.content.decode()
    )
    exact = client.get("/board/", {"q": "Bulk client 1002"}).context["board"]
    assert exact.search_capped_at is None
    assert [c.customer_name for c in exact.columns[0].cards] == ["Bulk client 1002"]


def test_a_search_with_marks_finds_the_whole_of_it_not_its_longest_word(staff):
    # The index is asked for "nt123"; the rows it finds must still hold all of "nt123@ex".
    for email in ("anT123@Example.com", "nt123x@example.com", "nt123@other.org"):
        Customer.objects.create(name=email.split("@")[0], email=email)

    found = customers_ranked("nt123@ex").customers

    assert [c.email for c in found] == ["anT123@Example.com"]
    at = {c.email for c in customers_ranked("NT123@").customers}
    assert at == {"anT123@Example.com", "nt123@other.org"}


def test_a_board_search_that_finds_no_client_shows_empty_columns(client, staff, head_of_sales):
    bulk_orders(count=3, manager=staff["manager"], stage=Stage.NEW)
    client.force_login(head_of_sales)
    for params in ({"q": "стол"}, {"q": "стол", "overdue": "1"}, {"q": "стол", "who": "all"}):
        response = client.get("/board/", params)

        assert response.status_code == 200, params
        board = response.context["board"]
        assert [(c.count, c.cards) for c in board.columns] == [(0, [])] * len(board.columns)
        assert all(c.count == 0 for c in board.closed)


def test_a_board_search_finds_orders_by_the_start_of_their_number(client, staff):
    bulk_orders(count=3, manager=staff["manager"], stage=Stage.NEW)  # B-1000, B-1001, …
    Order.objects.filter(number="B-1001").update(number="2026-00042")
    client.force_login(staff["manager"])
    for q in ("2026-000", "2026-00042"):
        new = client.get("/board/", {"q": q}).context["board"].columns[0]
        assert [c.number for c in new.cards] == ["2026-00042"], q


@pytest.mark.postgres
def test_on_postgresql_names_starting_with_the_query_are_read_in_index_order(staff):
    """customer_name_upper_c serves the LIKE on the start and the order, so the LIMIT stops
    the scan after the names listed, however many start so."""
    make_clients("Zinaida Search")
    sql, params = (
        customer_selectors._starting("zin", "name")
        .order_by(customer_selectors.NAME_C)
        .values("pk")[:9]
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_name_upper_c" in plan and "Sort" not in plan, plan


def test_the_overdue_board_lists_the_most_overdue_first_and_pages_by_deadline(client, staff):
    made = bulk_orders(count=COLUMN_PAGE + 4, manager=staff["manager"], stage=Stage.PRODUCTION)
    now = timezone.now()
    for i, order in enumerate(made):
        # Two orders share each deadline: ties are broken by id.
        order.next_due_at = now - timezone.timedelta(hours=1 + (i * 7) % len(made) // 2)
        Order.objects.filter(pk=order.pk).update(next_due_at=order.next_due_at)
    Order.objects.filter(pk=made[0].pk).update(next_due_at=now + timezone.timedelta(hours=1))
    late = sorted(made[1:], key=lambda o: (o.next_due_at, o.pk))
    client.force_login(staff["manager"])

    first = client.get("/board/", {"overdue": "1"}).context["board"].columns[3]
    assert first.stage == Stage.PRODUCTION
    seen = [card.number for card in first.cards]
    after = first.next_cursor
    while after is not None:
        response = client.get(
            "/board/column/production/", {"overdue": "1", "after": str(after)}, **HTMX
        )
        seen += re.findall(r'data-number="([^"]+)"', response.content.decode())
        following = re.search(r'href="[^"]*after=([^"&]+)"', response.content.decode())
        after = unquote(following.group(1)) if following else None
    assert seen == [o.number for o in late]
