"""The admin's list filters name staff as its columns do: by full name, not by login."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from orders.models import Stage

pytestmark = pytest.mark.django_db


def _filters(client, path: str) -> str:
    root = User.objects.create_superuser("root", "root@example.com", "pass-12345")
    client.force_login(root)
    response = client.get(path)
    assert response.status_code == 200, path
    found = re.search(r'<nav id="changelist-filter".*?</nav>', response.content.decode(), re.S)
    assert found, "the changelist has no filters"
    return found.group(0)


@pytest.fixture
def sokolova(staff, order_factory):
    """Masha (login "masha") with a last name, managing an order whose tasks are hers."""
    staff["manager"].last_name = "Sokolova"
    staff["manager"].save()
    order_factory(stage=Stage.QUALIFICATION)
    return staff["manager"]


def test_the_order_list_filters_by_manager_by_full_name(client, sokolova):
    filters = _filters(client, "/admin/orders/order/")
    assert f"manager__id__exact={sokolova.pk}" in filters
    assert ">Masha Sokolova<" in filters
    assert ">masha<" not in filters


def test_the_task_list_filters_by_assignee_by_full_name(client, sokolova, staff):
    filters = _filters(client, "/admin/orders/task/")
    assert f"assignee__id__exact={sokolova.pk}" in filters
    assert ">Masha Sokolova<" in filters
    assert ">Petr<" in filters  # first name only: still not the login "petr"
    assert ">masha<" not in filters and ">petr<" not in filters
