"""Whatever a person or a mangled link puts in a list page's address (a search, a cursor,
a group, a period, a filter), the page answers with the list or a 400 naming what is
wrong, never a server error: generated inputs over every bounded list."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from orders import roles
from orders.models import Order
from tests.conftest import make_user
from tests.factories import order_in_delivery

pytestmark = pytest.mark.django_db

LISTS = [
    "/board/",
    "/board/column/new/",
    "/board/column/production/",
    "/customers/search/",
    "/tasks/",
    "/production/",
    "/production/board/",
    "/production/margin/",
    "/production/margin.csv",
    "/logistics/",
    "/invoices/",
    "/invoices/payments/",
]
PARAMETERS = [
    *("q", "after", "group", "task", "overdue", "who", "closed", "created_from", "created_to"),
    *("start", "end", "source", "days", "export"),
]

# What fits in an address: anything but a NUL (refused before any view, config/inputs.py)
# and lone surrogates (not UTF-8); the usual suspects weighted in.
TYPED = st.one_of(
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(
        [
            "",
            "%",
            "_",
            "\\",
            "'",
            "стол",
            "2026-",
            "+7 (900",
            "9" * 40,
            "²",
            "٣",
            "-1",
            "2026-13-45T99:00:00~1",
            "2026-01-01T00:00:00+03:00~" + "9" * 30,
            "2026-01-01T00:00:00~5",
            "1970-01-01",
            "9999-12-31",
            "overdue",
            "all",
            "csv",
        ]
    ),
)


@pytest.fixture
def everyone(db):
    return make_user(
        "everyone",
        roles.HEAD_OF_SALES,
        roles.ACCOUNTANTS,
        roles.HEAD_OF_PRODUCTION,
        roles.PRODUCTION,
        roles.LOGISTICS,
    )


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    page=st.sampled_from(LISTS),
    params=st.dictionaries(st.sampled_from(PARAMETERS), TYPED, max_size=4),
)
def test_any_address_of_a_list_is_the_list_or_a_400(
    client, everyone, staff, catalogue, page, params
):
    if not Order.objects.exists():  # the examples share the test's database
        # Rows on every list: an order made, paid and waiting for its delivery.
        order_in_delivery(manager=staff["manager"], worker=staff["production"], catalogue=catalogue)
    client.force_login(everyone)

    response = client.get(page, params)

    assert response.status_code in (200, 400), (page, params, response.status_code)
