"""The board: columns with counts and sums, filters, keyset "more", moves and polling."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape as html_unescape
from urllib.parse import unquote

import pytest
from django.db import connection
from django.db.models import Count, F, Sum
from django.utils import timezone

from invoices.models import PaymentSource
from orders import rules
from orders.models import OPEN_STAGES, BoardCounter, Order, Stage
from orders.selectors.board import COLUMN_PAGE, BoardFilter, Cursor, order_list_for_board
from orders.selectors.customers import customers_matching
from pipeline.orders import (
    MOVE_AUTOMATIC,
    MOVE_IMPOSSIBLE,
    MOVE_NEEDS_REASON,
    QUALIFY_ELSEWHERE,
    order_cancel,
)
from pipeline.payments import payment_register
from tests.conftest import make_user
from tests.workspace.conftest import bulk_orders
from web.orders.views import CHANGE_REFUSED

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# The first cards of every column: one UNION ALL on PostgreSQL, one query per column where
# the database cannot limit each part of a union (SQLite).
CARD_QUERIES = 1 if connection.features.supports_slicing_ordering_in_compound else len(OPEN_STAGES)


def column(response, stage: str):
    return next(c for c in response.context["board"].columns if c.stage == stage)


def counters_match_orders() -> None:
    """The trigger-kept counters equal a full aggregate of the orders."""
    expected = {
        (row["stage"], row["manager_id"] or 0): (row["n"], row["total"], row["balance"])
        for row in Order.objects.values("stage", "manager_id").annotate(
            n=Count("id"),
            total=Sum("total_amount"),
            balance=Sum(F("total_amount") - F("paid_amount")),
        )
    }
    kept = {
        (c.stage, c.manager_key): (c.orders, c.total, c.balance)
        for c in BoardCounter.objects.exclude(orders=0)
    }
    assert kept == expected


# ----------------------------------------------------------------------------- columns


def test_it_shows_each_open_stage_with_its_count_sum_and_cards(client, staff, order_factory):
    first = order_factory(stage=Stage.PREPAYMENT, lines=2)
    second = order_factory(stage=Stage.PREPAYMENT, name="Boris Second")
    order_factory(stage=Stage.NEW, name="Vera New")
    client.force_login(staff["manager"])

    response = client.get("/board/")

    assert [c.stage for c in response.context["board"].columns] == list(OPEN_STAGES)
    prepayment = column(response, Stage.PREPAYMENT)
    assert prepayment.count == 2
    assert prepayment.total == first.total_amount + second.total_amount
    assert [o.number for o in prepayment.cards] == [second.number, first.number]
    assert column(response, Stage.NEW).count == 1
    html = response.content.decode()
    assert "23,000\xa0₽" in html  # a table and two chairs
    assert f'data-number="{first.number}"' in html


def test_counters_follow_every_change_of_an_order(staff, order_factory):
    order = order_factory(stage=Stage.PREPAYMENT, lines=2)
    counters_match_orders()
    invoice = order.invoices.get()
    payment_register(
        invoice=invoice,
        amount=Decimal("1000.00"),
        source=PaymentSource.MANUAL,
        actor=staff["manager"],
    )
    counters_match_orders()
    order_cancel(order=order, actor=staff["manager"], reason="Client changed their mind")
    counters_match_orders()
    Order.objects.filter(pk=order.pk).update(manager=None)
    counters_match_orders()
    fresh = order_factory(stage=Stage.NEW, name="Gone Soon")
    Order.objects.filter(pk=fresh.pk).delete()
    counters_match_orders()


def test_a_manager_sees_only_their_own_orders(client, staff, catalogue, order_factory):
    other = make_user("kolya", "Sales managers", first_name="Kolya")
    order_factory(stage=Stage.NEW)
    order_factory(stage=Stage.NEW, manager=other, name="Other Client")
    client.force_login(staff["manager"])

    response = client.get("/board/?who=all")  # not allowed: stays on their own

    assert column(response, Stage.NEW).count == 1
    assert "Other Client" not in response.content.decode()


def test_the_head_of_sales_sees_everyone_and_can_pick_a_manager(
    client, staff, head_of_sales, order_factory
):
    other = make_user("kolya", "Sales managers", first_name="Kolya")
    order_factory(stage=Stage.NEW)
    order_factory(stage=Stage.NEW, manager=other, name="Other Client")
    client.force_login(head_of_sales)

    assert column(client.get("/board/"), Stage.NEW).count == 2
    only_kolya = client.get(f"/board/?who={other.pk}")
    assert column(only_kolya, Stage.NEW).count == 1
    assert "Other Client" in only_kolya.content.decode()
    assert "Kolya" in client.get("/board/").content.decode()  # in the manager selector


@pytest.mark.postgres
def test_on_postgresql_the_search_finds_clients_through_its_indexes(staff, order_factory):
    """Each branch of the client search (name, company, e-mail, phone digits) matches a
    trigram index: change the search's expressions and this fails, not the board at 100k."""
    order_factory(stage=Stage.NEW, name="Zinaida Search", phone="+7 915 555-12-34")
    sql, params = customers_matching("915 555 1234").values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for index in (
        "customer_name_trgm",
        "customer_company_trgm",
        "customer_email_trgm",
        "customer_phone_digits_trgm",
    ):
        assert index in plan, plan


def test_it_filters_by_search_overdue_and_period(client, staff, order_factory):
    wanted = order_factory(stage=Stage.NEW, name="Zinaida Search", phone="+7 915 555-12-34")
    order_factory(stage=Stage.NEW, name="Other Person", phone="+7 916 000-00-01")
    client.force_login(staff["manager"])

    for q in [wanted.number, "zinaida", "zinaida@example.com", "915 555 1234"]:
        cards = column(client.get("/board/", {"q": q}), Stage.NEW).cards
        assert [o.number for o in cards] == [wanted.number], q
    assert column(client.get("/board/", {"q": "zinaida"}), Stage.NEW).count == 1

    Order.objects.filter(pk=wanted.pk).update(
        next_due_at=timezone.now() - timezone.timedelta(hours=1)
    )
    overdue = client.get("/board/", {"overdue": "1"})
    assert [o.number for o in column(overdue, Stage.NEW).cards] == [wanted.number]
    assert "is-overdue" in overdue.content.decode()

    Order.objects.filter(pk=wanted.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=40)
    )
    recent = client.get(
        "/board/", {"created_from": (timezone.localdate() - timezone.timedelta(days=7)).isoformat()}
    )
    assert wanted.number not in [o.number for o in column(recent, Stage.NEW).cards]


def test_won_and_lost_are_counted_for_the_chosen_period(staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    order_cancel(order=order, actor=staff["manager"], reason="Too expensive")
    board = order_list_for_board(filters=BoardFilter(manager_id=staff["manager"].pk))
    lost = next(c for c in board.closed if c.stage == Stage.LOST)
    assert lost.count == 1
    Order.objects.filter(pk=order.pk).update(
        stage_changed_at=timezone.now() - timezone.timedelta(days=45)
    )
    board = order_list_for_board(filters=BoardFilter(manager_id=staff["manager"].pk))
    assert next(c for c in board.closed if c.stage == Stage.LOST).count == 0
    board = order_list_for_board(
        filters=BoardFilter(manager_id=staff["manager"].pk, closed_days=90)
    )
    assert next(c for c in board.closed if c.stage == Stage.LOST).count == 1


# ----------------------------------------------------------------------------- pinned queries


@pytest.mark.parametrize("orders", [1, 40])
def test_the_board_runs_a_fixed_number_of_queries(
    client, staff, order_factory, django_assert_num_queries, orders
):
    order_factory(stage=Stage.PRODUCTION, lines=2)
    for stage in OPEN_STAGES:
        bulk_orders(
            count=orders,
            manager=staff["manager"],
            stage=stage,
            start=1000 * (OPEN_STAGES.index(stage) + 1),
        )
    client.force_login(staff["manager"])
    # session, user, user's and groups' permissions, counters, the first cards of every
    # column (CARD_QUERIES), won/lost of the period, open task count, unread
    # notifications, role (groups).
    with django_assert_num_queries(9 + CARD_QUERIES):
        response = client.get("/board/")
    assert response.status_code == 200


@pytest.mark.parametrize("orders", [1, 40])
def test_the_board_of_all_managers_runs_a_fixed_number_of_queries(
    client, staff, head_of_sales, django_assert_num_queries, orders
):
    for stage in OPEN_STAGES:
        bulk_orders(
            count=orders,
            manager=staff["manager"],
            stage=stage,
            start=1000 * (OPEN_STAGES.index(stage) + 1),
        )
    client.force_login(head_of_sales)
    # As for one manager, plus the managers of the "whose orders" selector.
    with django_assert_num_queries(10 + CARD_QUERIES):
        client.get("/board/")
    # A narrowed board counts its own orders, won and lost included, in one capped count
    # instead of reading the closed-day counters; a search looks its clients (and order
    # numbers) up once: one query more.
    with django_assert_num_queries(11 + CARD_QUERIES):
        client.get("/board/", {"q": "Bulk", "overdue": "1"})


@pytest.mark.parametrize("orders", [1, 40])
def test_a_move_runs_a_fixed_number_of_queries(
    client, staff, order_factory, django_assert_num_queries, orders
):
    moved = order_factory(stage=Stage.NEW)
    for stage in OPEN_STAGES:
        bulk_orders(
            count=orders,
            manager=staff["manager"],
            stage=stage,
            start=1000 * (OPEN_STAGES.index(stage) + 1),
        )
    client.force_login(staff["manager"])
    # session, user, the order, user's and groups' permissions; the move: savepoint, the
    # order locked, its open tasks, the task done, the stage, the timeline event, the
    # order's lines, payments and next due date, its totals, release; the two columns:
    # counters and the first cards of those two columns (one UNION on PostgreSQL).
    with django_assert_num_queries(17 + (1 if CARD_QUERIES == 1 else 2)):
        response = client.post(
            f"/orders/{moved.number}/move/",
            {"to": "qualification", "from": "new"},
            **HTMX,
            **BOARD_PAGE,
        )
    assert response.status_code == 200
    assert list(oob_columns(response.content.decode())) == ["new", "qualification"]


@pytest.mark.parametrize("orders", [COLUMN_PAGE + 2, 5 * COLUMN_PAGE])
def test_more_pages_a_column_by_keyset_with_one_query(
    client, staff, django_assert_num_queries, orders
):
    made = bulk_orders(count=orders, manager=staff["manager"], stage=Stage.PRODUCTION)
    client.force_login(staff["manager"])
    first = column(client.get("/board/"), Stage.PRODUCTION)
    assert len(first.cards) == COLUMN_PAGE and first.next_cursor is not None

    seen = [o.number for o in first.cards]
    cursor: str | None = str(first.next_cursor)
    while cursor is not None:
        # session, user, user's and groups' permissions, the next cards.
        with django_assert_num_queries(5):
            response = client.get("/board/column/production/", {"after": cursor}, **HTMX)
        html = response.content.decode()
        assert "<html" not in html
        seen += re.findall(r'data-number="([^"]+)"', html)
        following = re.search(r'href="[^"]*after=([^"&]+)"', html)
        cursor = unquote(following.group(1)) if following else None
    expected = [o.number for o in sorted(made, key=lambda o: (o.created_at, o.id), reverse=True)]
    assert seen == expected


def test_more_breaks_ties_of_the_same_moment_by_id(staff):
    made = bulk_orders(count=5, manager=staff["manager"], stage=Stage.NEW)
    Order.objects.filter(pk__in=[o.pk for o in made]).update(created_at=timezone.now())
    from orders.selectors.board import column_cards

    filters = BoardFilter(manager_id=staff["manager"].pk)
    first, cursor = column_cards(stage=Stage.NEW, filters=filters, limit=2)
    second, cursor = column_cards(stage=Stage.NEW, filters=filters, after=cursor, limit=2)
    third, cursor = column_cards(stage=Stage.NEW, filters=filters, after=cursor, limit=2)
    ids = [o.id for o in first + second + third]
    assert ids == sorted((o.id for o in made), reverse=True) and cursor is None


def test_it_refuses_a_malformed_cursor(client, staff):
    client.force_login(staff["manager"])
    assert client.get("/board/column/new/", {"after": "yesterday"}).status_code == 400
    assert (
        client.get("/board/column/won/", {"after": str(Cursor(timezone.now(), 1))}).status_code
        == 404
    )


# ----------------------------------------------------------------------------- live refresh


def test_polling_answers_204_until_an_order_changes(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    client.force_login(staff["manager"])
    fingerprint = client.get("/board/").context["board"].fingerprint

    assert client.get("/board/", {"v": fingerprint}, **HTMX).status_code == 204

    Order.objects.filter(pk=order.pk).update(next_due_at=timezone.now())  # someone else's edit
    changed = client.get("/board/", {"v": fingerprint}, **HTMX)
    assert changed.status_code == 200
    assert 'id="board"' in changed.content.decode()
    assert "<html" not in changed.content.decode()  # the fragment only


# ----------------------------------------------------------------------------- moves


def test_dragging_a_new_order_to_qualification_takes_it_into_work(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    client.force_login(staff["manager"])

    response = client.post(
        f"/orders/{order.number}/move/", {"to": "qualification", "from": "new"}, **HTMX
    )

    assert response.status_code == 200
    # Not the whole board: the answer carries the two columns (see the tests below).
    assert "HX-Trigger" not in response
    order.refresh_from_db()
    assert order.stage == Stage.QUALIFICATION
    assert not order.tasks.filter(status="open").exists()


BOARD_PAGE = {"HTTP_HX_CURRENT_URL": "http://testserver/board/"}


def oob_columns(html: str) -> dict[str, str]:
    """The columns an answer carries out of band, in order: stage → the column's HTML."""
    return dict(
        re.findall(
            r'<section class="column" id="column-(\w+)"[^>]* hx-swap-oob="true">(.*?)</section>',
            html,
            re.S,
        )
    )


def card_numbers(html: str) -> list[str]:
    return re.findall(r'<li class="card[^"]*" data-number="([^"]+)"', html)


def column_head(html: str, stage: str) -> str:
    return re.search(rf'<h2 id="col-{stage}">.*?</header>', html, re.S).group(0)


def test_a_move_answers_with_the_two_columns_out_of_band(client, staff, order_factory):
    moved = order_factory(stage=Stage.NEW, name="Anna Moved")
    stays = order_factory(stage=Stage.NEW, name="Boris Stays")
    there = order_factory(stage=Stage.QUALIFICATION, name="Vera There")
    order_factory(stage=Stage.PRODUCTION, name="Gleb Elsewhere")
    client.force_login(staff["manager"])

    response = client.post(
        f"/orders/{moved.number}/move/",
        {"to": "qualification", "from": "new"},
        **HTMX,
        **BOARD_PAGE,
    )

    html = response.content.decode()
    # The notice goes where notices go; the columns replace their namesakes by id.
    assert response["HX-Retarget"] == "#notices"
    assert response["HX-Reswap"] == "beforeend"
    assert html.startswith('<div class="notice notice-success" role="status">')
    assert f"Order {moved.number} moved to “Qualification”." in html
    columns = oob_columns(html)
    assert list(columns) == ["new", "qualification"]
    # Nothing else is swapped but those two columns and their stage chips.
    assert html.count("hx-swap-oob") == 4
    assert re.search(r'<a id="jump-new" [^>]*hx-swap-oob="true">New <b>1</b></a>', html)
    assert re.search(
        r'<a id="jump-qualification" [^>]*hx-swap-oob="true">Qualification <b>2</b></a>', html
    )
    assert card_numbers(columns["new"]) == [stays.number]
    assert card_numbers(columns["qualification"]) == [there.number, moved.number]  # newest first
    assert 'data-testid="count-new">1<' in columns["new"]
    assert 'data-testid="count-qualification">2<' in columns["qualification"]
    # Counted and summed as the whole board now shows them.
    board = client.get("/board/")
    assert column(board, Stage.NEW).count == 1
    assert column(board, Stage.QUALIFICATION).total == moved.total_amount + there.total_amount
    for stage in ("new", "qualification"):
        assert column_head(columns[stage], stage) == column_head(board.content.decode(), stage)


def test_a_move_answers_with_the_columns_of_the_board_it_was_made_on(client, staff, order_factory):
    moved = order_factory(stage=Stage.NEW, name="Anna Moved")
    order_factory(stage=Stage.NEW, name="Boris Unseen")
    order_factory(stage=Stage.QUALIFICATION, name="Vera Unseen")
    client.force_login(staff["manager"])

    response = client.post(
        f"/orders/{moved.number}/move/",
        {"to": "qualification", "from": "new"},
        HTTP_HX_CURRENT_URL="http://testserver/board/?q=Anna&v=12",
        **HTMX,
    )

    columns = oob_columns(response.content.decode())
    assert card_numbers(columns["new"]) == []
    assert 'data-testid="count-new">0<' in columns["new"]
    assert card_numbers(columns["qualification"]) == [moved.number]
    assert 'data-testid="count-qualification">1<' in columns["qualification"]


def test_a_move_by_the_menu_without_javascript_still_redirects_back(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    client.force_login(staff["manager"])

    response = client.post(
        f"/orders/{order.number}/move/",
        {"to": "qualification", "from": "new", "next": "/board/?q=Anna"},
        follow=True,
    )

    assert response.redirect_chain == [("/board/?q=Anna", 302)]
    assert f"Order {order.number} moved to “Qualification”." in response.content.decode()


@pytest.mark.parametrize(
    ("stage", "target", "message"),
    [
        (
            Stage.NEW,
            Stage.PRODUCTION,
            str(MOVE_IMPOSSIBLE) % {"source": "New", "target": "Production"},
        ),
        (
            Stage.PREPAYMENT,
            Stage.PRODUCTION,
            str(MOVE_AUTOMATIC)
            % {"source": "Prepayment", "target": "Production", "event": "Prepayment received"},
        ),
        (Stage.NEW, Stage.LOST, str(MOVE_NEEDS_REASON)),
    ],
)
def test_it_refuses_a_move_that_has_no_manual_transition(
    client, staff, order_factory, stage, target, message
):
    order = order_factory(stage=stage)
    client.force_login(staff["manager"])

    response = client.post(f"/orders/{order.number}/move/", {"to": target, "from": stage}, **HTMX)

    assert response.status_code == 409
    assert message in response.content.decode()
    assert response["HX-Retarget"] == "#notices"
    order.refresh_from_db()
    assert order.stage == stage


def test_qualifying_from_the_board_says_exactly_what_is_missing(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION, delivery="carrier")
    Order.objects.filter(pk=order.pk).update(delivery_cost=None)
    client.force_login(staff["manager"])

    response = client.post(f"/orders/{order.number}/move/", {"to": "production"}, **HTMX)

    assert response.status_code == 409
    body = response.content.decode()
    assert str(rules.SCHEME_MISSING) in body
    assert str(rules.DELIVERY_COST_MISSING) in body


def test_qualifying_to_the_wrong_column_names_the_right_one(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    order.payment_scheme = "postpayment"
    order.save()
    client.force_login(staff["manager"])

    response = client.post(f"/orders/{order.number}/move/", {"to": "prepayment"}, **HTMX)

    assert response.status_code == 409
    assert str(QUALIFY_ELSEWHERE) % {"target": "Production"} in response.content.decode()


def test_a_move_of_an_order_someone_already_moved_refreshes_the_board(client, staff, order_factory):
    order = order_factory(stage=Stage.QUALIFICATION)
    client.force_login(staff["manager"])

    response = client.post(
        f"/orders/{order.number}/move/", {"to": "qualification", "from": "new"}, **HTMX
    )

    assert response.status_code == 409
    assert json.loads(response["HX-Trigger"]) == {"board-refresh": {}}
    assert "already in “Qualification”" in response.content.decode()


def test_it_refuses_moving_another_managers_order(client, staff, order_factory):
    other = make_user("kolya", "Sales managers")
    order = order_factory(stage=Stage.NEW, manager=other)
    client.force_login(staff["manager"])

    assert client.post(f"/orders/{order.number}/move/", {"to": "qualification"}).status_code == 403
    order.refresh_from_db()
    assert order.stage == Stage.NEW


def test_without_javascript_a_move_redirects_back_with_the_reason(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    client.force_login(staff["manager"])

    response = client.post(f"/orders/{order.number}/move/", {"to": "delivery"}, follow=True)

    assert response.redirect_chain[-1][0] == "/board/"
    assert (
        str(MOVE_IMPOSSIBLE) % {"source": "New", "target": "Delivery"} in response.content.decode()
    )


def test_only_manual_moves_are_offered_in_the_menu(client, staff, order_factory):
    new = order_factory(stage=Stage.NEW)
    prepayment = order_factory(stage=Stage.PREPAYMENT, name="Boris Prepaying")
    client.force_login(staff["manager"])
    html = client.get("/board/").content.decode()

    new_card = html.split(f'data-number="{new.number}"')[1].split("</li>")[0]
    assert 'value="qualification"' in new_card and 'value="lost"' not in new_card
    prepayment_card = html.split(f'data-number="{prepayment.number}"')[1].split("</li>")[0]
    assert "Move to…" not in prepayment_card


def test_an_accountant_reads_every_board_but_gets_no_move_menu(
    client, staff, accountant, order_factory
):
    order = order_factory(stage=Stage.NEW)
    client.force_login(accountant)
    html = client.get("/board/").content.decode()
    assert f'data-number="{order.number}"' in html
    assert "Move to…" not in html
    refused = client.post(f"/orders/{order.number}/move/", {"to": "qualification"}, **HTMX)
    assert refused.status_code == 403
    assert str(CHANGE_REFUSED) in html_unescape(refused.content.decode())


def test_card_values_are_escaped(client, staff, order_factory):
    order_factory(stage=Stage.NEW, name="<script>alert(1)</script> & Co")
    client.force_login(staff["manager"])
    html = client.get("/board/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
