"""Controls that show no text on a phone still have a name a screen reader reads."""

from __future__ import annotations

import importlib
import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The roles come from a data migration, which a transactional test's flush removes."""
    from django.apps import apps

    if not Group.objects.exists():
        importlib.import_module("orders.migrations.0002_roles_and_defaults").forwards(apps, None)


def test_the_user_menu_is_named_on_a_phone(new_page, staff):
    page = new_page(viewport=PHONE)
    sign_in(page, "masha")
    summary = page.locator(".usermenu summary")
    expect(summary.locator(".who")).not_to_be_in_viewport()  # the name is not shown…
    expect(summary).to_have_accessible_name(re.compile("Masha"))  # …but it is read
