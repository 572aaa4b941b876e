"""The won order's page in a browser, in Russian: the closing documents' block passes axe,
and an accountant regenerates the documents from it."""

from __future__ import annotations

import importlib

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group
from django.utils import timezone

from documents.models import ClosingDocument
from orders.models import TaskKind
from pipeline.work import task_complete
from tests.browser import conftest as browser
from tests.browser.conftest import screenshot, sign_in
from tests.documents.conftest import company
from tests.factories import order_in_delivery

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

new_page = browser.new_page


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """Roles and the documents' grants come from data migrations, which a transactional
    test's flush removes."""
    from django.apps import apps

    if not Group.objects.filter(name="Accountants").exists():
        importlib.import_module("orders.migrations.0002_roles_and_defaults").forwards(apps, None)
    importlib.import_module("documents.migrations.0002_roles").forwards(apps, None)


def test_an_accountant_regenerates_the_upd_from_the_order_page(
    new_page, staff, accountant, catalogue, seller
):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue, client=company()
    )
    task_complete(
        task=order.tasks.get(kind=TaskKind.DELIVER),
        actor=staff["logistics"],
        shipped_on=timezone.localdate(),
    )
    page = new_page(locale="ru-RU")
    sign_in(page, accountant.username)
    page.goto(order.get_absolute_url())
    block = page.get_by_test_id("closing-documents")
    assert block.get_by_role("heading", name="Закрывающие документы").is_visible()
    assert block.get_by_text("УПД № 1 от").is_visible()
    results = Axe().run(page, context="[data-testid=closing-documents]")
    blocking = [v for v in results.response["violations"] if v["impact"] in {"critical", "serious"}]
    assert blocking == []
    screenshot(page, "closing-documents-ru")

    block.get_by_role("button", name="Сформировать заново").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Закрывающие документы формируются заново").is_visible()
    document = ClosingDocument.objects.get(order=order)
    assert (document.number, document.version) == (1, 2)
    assert page.get_by_test_id("closing-documents").get_by_text("версия 2").is_visible()
