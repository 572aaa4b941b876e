"""axe-core (bundled with axe-playwright-python, nothing fetched at run time) over every main
page, each opened by the person who works there: no critical or serious violation; the
moderate and minor ones are printed."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group

from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.invoices import conftest as money
from tests.security.pages import main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

seller = money.seller
media_in_tmp = money.media_in_tmp

BLOCKING = {"critical", "serious"}


@dataclass(frozen=True)
class Visit:
    name: str
    viewport: dict = field(default_factory=lambda: DESKTOP)
    # Rules switched off on this page, each for a reason given where it is listed.
    skip_rules: tuple[str, ...] = ()


# The pages of tests/security/pages.py that the people of each role spend their day on.
VISITS = [
    Visit("board"),
    Visit("board", PHONE),
    Visit("order"),
    Visit("qualification"),
    Visit("new order"),
    Visit("my tasks"),
    Visit("shop floor", PHONE),
    Visit("production task", PHONE),
    Visit("deliveries"),
    Visit("receivables"),
    Visit("payments journal"),
    Visit("margin report"),
    Visit("production board"),
    Visit("client's invoice", PHONE),
    Visit("sign-in"),
    Visit("admin order"),
]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The roles come from a data migration, which a transactional test's flush removes."""
    from django.apps import apps

    if not Group.objects.exists():
        importlib.import_module("orders.migrations.0002_roles_and_defaults").forwards(apps, None)


def _describe(violation: dict) -> str:
    targets = "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
    return f"  {violation['id']} ({violation['impact']}): {targets}\n    {violation['help']}"


def test_no_page_has_a_critical_or_serious_violation(
    new_page, manager, head_of_sales, head_of_production, accountant, staff, catalogue, seller
):
    pages = main_pages(
        manager=manager,
        head_of_sales=head_of_sales,
        head_of_production=head_of_production,
        accountant=accountant,
        staff=staff,
        catalogue=catalogue,
    )
    by_name = {page.name: page for page in pages}
    axe = Axe()
    blocking: list[str] = []
    for visit in VISITS:
        target = by_name[visit.name]
        page = new_page(viewport=visit.viewport)
        if target.username:
            sign_in(page, target.username)
        response = page.goto(target.url)
        page.wait_for_load_state("networkidle")
        assert response is not None and response.status == 200, (visit.name, target.url)
        # No preload: it re-reads stylesheets through inline <style> elements, which the
        # Content-Security-Policy refuses, and only the experimental rules need it.
        options: dict = {"resultTypes": ["violations"], "preload": False}
        if visit.skip_rules:
            options["rules"] = {rule: {"enabled": False} for rule in visit.skip_rules}
        violations = axe.run(page, options=options).response["violations"]
        size = "phone" if visit.viewport == PHONE else "desktop"
        title = f"{visit.name} ({size}, {target.username or 'anonymous'})"
        for violation in violations:
            line = f"{title}\n{_describe(violation)}"
            print(line)
            if violation["impact"] in BLOCKING:
                blocking.append(line)
    assert not blocking, "critical or serious axe violations:\n" + "\n".join(blocking)
