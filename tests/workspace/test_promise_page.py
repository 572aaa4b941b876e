"""The promise on the order page and in the qualification form; the head of production's
priority with its preview."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from orders import rules
from orders.models import EventKind, Order, PaymentScheme, Stage
from orders.services.orders import order_update
from pipeline.promise import promise_offer
from production.planning import PreviewRow, schedule_preview_store
from tests.conftest import make_user
from tests.workspace.test_qualification import form_data

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(MONDAY_10, tick=False):
        yield


@pytest.fixture
def in_qualification(order_factory, staff):
    """Fully prepaid, picked up: its promise counts from the pay-by date (28 November)."""
    order = order_factory(stage=Stage.QUALIFICATION)
    return order_update(
        order=order, actor=staff["manager"], payment_scheme=PaymentScheme.FULL_PREPAYMENT
    )


def words(date: dt.date) -> str:
    return f"{date.day} {date:%B}"  # this year's date, as the page writes it


def test_the_order_page_proposes_the_earliest_date_counted_from_the_pay_by_date(
    client, staff, in_qualification
):
    client.force_login(staff["manager"])
    offer = promise_offer(in_qualification)  # full prepayment, pickup
    html = client.get(in_qualification.get_absolute_url()).content.decode()
    assert f"Paid by 28 November, can be ready for pickup by {words(offer.earliest)}" in html
    assert 'data-testid="accept-promise"' in html


def test_accepting_in_one_click_promises_the_proposed_date(client, staff, in_qualification):
    client.force_login(staff["manager"])
    offer = promise_offer(in_qualification)
    response = client.post(f"/orders/{in_qualification.number}/promise/", {"promise": "earliest"})
    assert response.status_code == 302
    order = Order.objects.get(pk=in_qualification.pk)
    assert order.promised_date == offer.earliest
    assert order.promise_days is not None
    html = client.get(order.get_absolute_url()).content.decode()
    assert f"Pay by 28 November — ready by {words(offer.earliest)}" in html
    assert 'data-testid="accept-promise"' not in html  # promised as proposed


def test_a_later_date_is_promised(client, staff, in_qualification):
    client.force_login(staff["manager"])
    later = promise_offer(in_qualification).earliest + dt.timedelta(days=7)
    response = client.post(
        f"/orders/{in_qualification.number}/promise/",
        {"promise": "date", "promised_date": later.isoformat()},
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=in_qualification.pk).promised_date == later


def test_an_earlier_date_is_refused_next_to_the_date_naming_the_earliest(
    client, staff, in_qualification
):
    client.force_login(staff["manager"])
    earliest = promise_offer(in_qualification).earliest
    response = client.post(
        f"/orders/{in_qualification.number}/promise/",
        {"promise": "date", "promised_date": (earliest - dt.timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 422
    message = str(rules.PROMISE_TOO_EARLY) % {"date": words(earliest)}
    assert message in response.content.decode()
    assert Order.objects.get(pk=in_qualification.pk).promised_date is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"promise": "date"}, "Choose the date to promise."),
        ({"promise": "date", "promised_date": "2026-02-30"}, "Enter a valid date."),
        ({"promise": "date", "promised_date": "9999-12-31"}, "within a year and a half"),
        ({"promise": "soon"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_a_message(client, staff, in_qualification, data, message):
    client.force_login(staff["manager"])
    response = client.post(f"/orders/{in_qualification.number}/promise/", data)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_only_the_orders_manager_promises(client, in_qualification):
    client.force_login(make_user("other", "Sales managers"))
    response = client.post(f"/orders/{in_qualification.number}/promise/", {"promise": "earliest"})
    assert response.status_code == 403


def test_the_qualification_form_promises_the_earliest_date_by_default(
    client, staff, in_qualification
):
    client.force_login(staff["manager"])
    html = client.get(f"/orders/{in_qualification.number}/edit/").content.decode()
    earliest = promise_offer(in_qualification).earliest
    assert f"The earliest possible: {words(earliest)}" in html
    assert 'name="promise" value="earliest"' in html and "checked" in html

    data = form_data([("TBL-1", "1", "")], promise="earliest", qualify="1")
    response = client.post(f"/orders/{in_qualification.number}/edit/", data)
    assert response.status_code == 302
    order = Order.objects.get(pk=in_qualification.pk)
    assert (order.stage, order.promised_date) == (Stage.PREPAYMENT, earliest)


def test_the_qualification_form_refuses_an_earlier_date_and_keeps_the_terms(
    client, staff, in_qualification
):
    client.force_login(staff["manager"])
    earliest = promise_offer(in_qualification).earliest
    data = form_data(
        [("TBL-1", "2", "")],
        promise="date",
        promised_date=(earliest - dt.timedelta(days=2)).isoformat(),
        qualify="1",
    )
    response = client.post(f"/orders/{in_qualification.number}/edit/", data)
    assert response.status_code == 422
    html = response.content.decode()
    assert str(rules.PROMISE_TOO_EARLY) % {"date": words(earliest)} in html
    assert 'id="error-summary"' in html
    order = Order.objects.get(pk=in_qualification.pk)
    assert (order.stage, order.lines_count, order.promised_date) == (
        Stage.QUALIFICATION,
        1,
        None,
    )
    assert order.lines.get().quantity == 2  # the terms saved, only not qualified


# ----------------------------------------------------------------------------- priority


@pytest.fixture
def head_of_production(db):
    return make_user("ivan", "Head of production", first_name="Ivan")


@pytest.fixture
def in_production(order_factory):
    return order_factory(stage=Stage.PRODUCTION)


def test_the_head_of_production_sees_the_priority_form(
    client, staff, head_of_production, in_production
):
    client.force_login(head_of_production)
    html = client.get(in_production.get_absolute_url()).content.decode()
    assert 'data-testid="priority-form"' in html
    client.force_login(staff["manager"])
    assert (
        'data-testid="priority-form"'
        not in client.get(in_production.get_absolute_url()).content.decode()
    )


def test_a_manager_cannot_set_a_priority(client, staff, in_production):
    client.force_login(staff["manager"])
    response = client.post(f"/orders/{in_production.number}/priority/", {"priority": "5"})
    assert response.status_code == 403
    assert Order.objects.get(pk=in_production.pk).priority == 0


@pytest.mark.parametrize("value", ["", "abc", "101", "-101", "1e9", "5.5"])
def test_a_bad_priority_is_refused(client, head_of_production, in_production, value):
    client.force_login(head_of_production)
    response = client.post(f"/orders/{in_production.number}/priority/", {"priority": value})
    assert response.status_code == 422
    assert Order.objects.get(pk=in_production.pk).priority == 0


def test_saving_a_priority_records_it_and_asks_for_the_schedule(
    client, head_of_production, in_production, django_capture_on_commit_callbacks
):
    client.force_login(head_of_production)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            f"/orders/{in_production.number}/priority/", {"priority": "7", "save": "1"}
        )
    assert response.status_code == 302
    order = Order.objects.get(pk=in_production.pk)
    assert order.priority == 7
    event = order.events.get(kind=EventKind.PRIORITY)
    assert (event.actor, event.display_text) == (
        head_of_production,
        "Production priority changed from 0 to 7",
    )
    assert callbacks  # the schedule's run queued after the commit


def test_preview_shows_the_effect_before_anything_is_saved(
    client, head_of_production, in_production
):
    client.force_login(head_of_production)
    response = client.post(
        f"/orders/{in_production.number}/priority/", {"priority": "9", "preview": "1"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Working out the plan with this priority" in html
    assert Order.objects.get(pk=in_production.pk).priority == 0  # nothing saved

    # The preview is computed by the worker (eager here): its fragment asks for it.
    url = html.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert url.startswith(f"/orders/{in_production.number}/priority/preview/")
    result = client.get(url).content.decode()
    assert f'data-order="{in_production.number}"' in result  # the order whose priority moves
    assert "hx-get" not in result  # done: it stops asking


def test_preview_names_orders_that_become_or_stop_being_at_risk(
    client, head_of_production, in_production, order_factory, monkeypatch
):
    other = order_factory(stage=Stage.PRODUCTION, name="Boris Client")
    now = dt.datetime(2026, 11, 25, 18, 0, tzinfo=MSK)
    rows = [
        PreviewRow(in_production, now, now - dt.timedelta(days=1), True, False),
        PreviewRow(other, now - dt.timedelta(days=2), now, False, True),
    ]
    # The plans the schedule would make (production/planning.py), as its preview gives them.
    monkeypatch.setattr("production.planning.schedule_preview", lambda priorities: rows)
    schedule_preview_store("tok-1", {in_production.pk: 9})
    client.force_login(head_of_production)
    html = client.get(f"/orders/{in_production.number}/priority/preview/tok-1/").content.decode()
    assert "No longer at risk" in html and "Becomes at risk" in html
    assert f'data-order="{other.number}"' in html


def test_a_preview_that_never_comes_gives_up(client, head_of_production, in_production):
    client.force_login(head_of_production)
    url = f"/orders/{in_production.number}/priority/preview/nothing/?try=60"
    html = client.get(url).content.decode()
    assert "did not come in time" in html and "hx-get" not in html
