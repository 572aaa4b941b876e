"""Logistics keeps its carrier directory itself."""

from __future__ import annotations

import pytest

from logistics.models import Carrier
from web.logistics.forms import DeliveryDetailsForm

pytestmark = pytest.mark.django_db


def test_logistics_adds_a_carrier_the_managers_can_then_pick(client, staff):
    client.force_login(staff["logistics"])
    assert 'id="carrier-new"' in client.get("/logistics/carriers/").content.decode()

    response = client.post(
        "/logistics/carriers/new/",
        {
            "name": "СДЭК",
            "tracking_url": "https://www.cdek.ru/track?order_id={number}",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    carrier = Carrier.objects.get(name="СДЭК")
    assert carrier.tracking_link("123") == "https://www.cdek.ru/track?order_id=123"
    assert "СДЭК" in client.get("/logistics/carriers/").content.decode()
    assert carrier in DeliveryDetailsForm.base_fields["carrier"].queryset


def test_a_carrier_taken_out_of_use_is_no_longer_offered(client, staff):
    carrier = Carrier.objects.create(name="Деловые Линии", tracking_url="")
    client.force_login(staff["logistics"])

    response = client.post(f"/logistics/carriers/{carrier.pk}/", {"name": "Деловые Линии"})

    assert response.status_code == 302
    carrier.refresh_from_db()
    assert not carrier.is_active
    assert carrier not in DeliveryDetailsForm.base_fields["carrier"].queryset.all()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("www.cdek.ru/track", "Give a web address starting with https://."),
        ("https://www.cdek.ru/track", "Put {number} where the tracking number goes."),
    ],
)
def test_a_tracking_link_that_cannot_work_is_refused(client, staff, url, message):
    client.force_login(staff["logistics"])
    response = client.post("/logistics/carriers/new/", {"name": "X", "tracking_url": url})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Carrier.objects.exists()


def test_the_list_runs_a_fixed_number_of_queries(client, staff, django_assert_num_queries):
    client.force_login(staff["logistics"])
    Carrier.objects.create(name="A")
    # session, user, user's permissions, group permissions, the carriers; the layout's
    # open-task count, unread notifications and role.
    with django_assert_num_queries(8):
        client.get("/logistics/carriers/")
    for name in "BCD":
        Carrier.objects.create(name=name)
    with django_assert_num_queries(8):
        assert len(client.get("/logistics/carriers/").context["carriers"]) == 4


def test_production_cannot_change_carriers(client, staff):
    client.force_login(staff["production"])
    assert client.get("/logistics/carriers/").status_code == 403
    assert client.post("/logistics/carriers/new/", {"name": "X"}).status_code == 403
