"""Orders the schedule says will miss their promise: the card's badge with the reason, the
order page, and the board's "at risk" filter (bounded, by keyset, from order_at_risk_idx)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest
from django.db import connection
from django.utils import timezone

from core.texts import Msg
from orders.models import OPEN_STAGES, Order, Stage
from orders.selectors.board import COLUMN_PAGE, BoardFilter, _column_query
from production.planning import AT_RISK
from tests.workspace.conftest import bulk_orders
from tests.workspace.test_board import CARD_QUERIES

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def put_at_risk(order: Order, *, since: dt.datetime | None = None, hours: int = 6) -> None:
    """As the schedule's run marks it (production.planning)."""
    reason = Msg(AT_RISK, centre="Покраска", hours=hours).as_data()
    Order.objects.filter(pk=order.pk).update(
        at_risk_since=since or timezone.now(), at_risk_reason=reason
    )


def card(html: str, number: str) -> str:
    return re.search(rf'<li class="card[^"]*" data-number="{number}".*?</li>', html, re.S).group(0)


def test_the_card_shows_the_promise_and_the_risk_with_its_reason(client, staff, order_factory):
    risky = order_factory(stage=Stage.PRODUCTION, name="Boris Client")
    fine = order_factory(stage=Stage.PRODUCTION, name="Anna Client")
    put_at_risk(risky)
    client.force_login(staff["manager"])

    html = client.get("/board/").content.decode()

    shown = card(html, risky.number)
    assert 'class="badge badge-bad at-risk" title="Покраска: 6 h later than promised"' in shown
    assert f"by {risky.promised_date.day} {risky.promised_date:%B}" in shown
    assert "at-risk" not in card(html, fine.number)


def test_the_order_page_shows_the_risk_and_its_reason(client, staff, order_factory):
    risky = order_factory(stage=Stage.PRODUCTION)
    put_at_risk(risky, hours=3)
    client.force_login(staff["manager"])
    html = client.get(risky.get_absolute_url()).content.decode()
    assert 'data-testid="at-risk"' in html
    assert "Покраска: 3 h later than promised" in html


def test_the_at_risk_filter_shows_only_orders_at_risk(client, staff, order_factory):
    risky = order_factory(stage=Stage.PRODUCTION, name="Boris Client")
    order_factory(stage=Stage.PRODUCTION, name="Anna Client")
    put_at_risk(risky)
    client.force_login(staff["manager"])

    response = client.get("/board/", {"at_risk": "1"})

    columns = {c.stage: c for c in response.context["board"].columns}
    assert [c.number for c in columns[Stage.PRODUCTION].cards] == [risky.number]
    assert columns[Stage.PRODUCTION].count == 1
    assert sum(c.count for c in columns.values()) == 1
    assert 'name="at_risk" value="1" checked' in response.content.decode()


def test_the_at_risk_board_lists_the_longest_at_risk_first_and_pages_by_keyset(client, staff):
    made = bulk_orders(count=COLUMN_PAGE + 4, manager=staff["manager"], stage=Stage.PRODUCTION)
    now = timezone.now()
    since = {}
    for i, order in enumerate(made[1:]):
        # Two orders share each moment: ties are broken by id.
        since[order.pk] = now - dt.timedelta(hours=1 + (i * 7) % len(made) // 2)
        put_at_risk(order, since=since[order.pk])
    risky = sorted(made[1:], key=lambda o: (since[o.pk], o.pk))
    client.force_login(staff["manager"])

    first = client.get("/board/", {"at_risk": "1"}).context["board"].columns[3]
    assert first.stage == Stage.PRODUCTION
    seen = [c.number for c in first.cards]
    after = first.next_cursor
    while after is not None:
        response = client.get(
            "/board/column/production/", {"at_risk": "1", "after": str(after)}, **HTMX
        )
        html = response.content.decode()
        seen += re.findall(r'data-number="([^"]+)"', html)
        following = re.search(r'href="[^"]*after=([^"&]+)"', html)
        after = unquote(following.group(1)) if following else None
    assert seen == [o.number for o in risky]


@pytest.mark.parametrize("orders", [1, 40])
def test_the_at_risk_board_runs_a_fixed_number_of_queries(
    client, staff, django_assert_num_queries, orders
):
    for stage in OPEN_STAGES:
        for order in bulk_orders(
            count=orders,
            manager=staff["manager"],
            stage=stage,
            start=1000 * (OPEN_STAGES.index(stage) + 1),
        ):
            put_at_risk(order)
    client.force_login(staff["manager"])
    # session, user, user's and groups' permissions, counters (the fingerprint), the
    # capped count of every column (won and lost included), the first cards of every
    # column (CARD_QUERIES), open task count, unread notifications, role (groups).
    with django_assert_num_queries(9 + CARD_QUERIES):
        response = client.get("/board/", {"at_risk": "1"})
    assert response.status_code == 200
    assert len(response.context["board"].columns[0].cards) == min(orders, COLUMN_PAGE)


def test_a_column_of_the_at_risk_board_reads_order_at_risk_idx(staff):
    # Many orders in the column, a few of them at risk: the partial index holds those few.
    made = bulk_orders(count=200, manager=staff["manager"], stage=Stage.PRODUCTION)
    for order in made[:3]:
        put_at_risk(order)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
    query = _column_query(Stage.PRODUCTION, BoardFilter(at_risk=True), None)[: COLUMN_PAGE + 1]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "order_at_risk_idx" in plan, plan
