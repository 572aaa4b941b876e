"""Named people, a small catalogue, and the rule that service-bound tests run on the
real PostgreSQL/Redis (a failure in CI when they are missing, a listed skip on a laptop)."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from orders import roles
from production.models import BillOfMaterialsItem, Material, Product
from tests.chromium import browser  # noqa: F401 (one Chromium for the whole run)

_NEEDED_SERVICES: list[str] = []

# Generated-input tests: "ci" (the default) is a few hundred examples across the suite and
# quick; HYPOTHESIS_PROFILE=deep digs far longer. Examples hit the database, hence no
# deadline; fixtures (the client, a key) are set up once per test, not per example.
_HYPOTHESIS_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
hypothesis_settings.register_profile("ci", max_examples=40, **_HYPOTHESIS_COMMON)
hypothesis_settings.register_profile("deep", max_examples=2000, **_HYPOTHESIS_COMMON)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Hashing test passwords with a million PBKDF2 rounds costs most of a test's setup.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _service_missing(marker: str) -> str | None:
    if marker == "postgres" and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return "PostgreSQL"
    if marker == "redis" and not settings.REDIS_URL:
        return "Redis"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "redis"):
        if item.get_closest_marker(marker) is None:
            continue
        missing = _service_missing(marker)
        if missing is None:
            continue
        if os.environ.get("CONVEYOR_REQUIRE_SERVICES"):
            pytest.fail(f"{missing} is required here (CI) and is not configured.")
        _NEEDED_SERVICES.append(f"{item.nodeid} (needs {missing})")
        pytest.skip(f"needs {missing}; run `make test` with it on localhost")


def pytest_terminal_summary(terminalreporter) -> None:
    if _NEEDED_SERVICES:
        terminalreporter.section("tests that needed the real services and did not run")
        for line in _NEEDED_SERVICES:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _site_language():
    """Every test starts in the site's language: a page requested in Russian leaves Russian
    active in the thread, which would change the next test's messages."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _roles_after_flush(request) -> None:
    """Transactional tests flush the database, data migrations included: put roles back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        roles.install(django_apps)


def make_user(username: str, *groups: str, password: str = "pass-12345", **extra) -> User:
    user = User.objects.create_user(
        username=username, password=password, email=f"{username}@conveyor.test", **extra
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def manager(db) -> User:
    return make_user("masha", roles.SALES_MANAGERS, first_name="Masha")


@pytest.fixture
def head_of_sales(db) -> User:
    return make_user("olga", roles.HEAD_OF_SALES, first_name="Olga")


@pytest.fixture
def production_worker(db) -> User:
    return make_user("petr", roles.PRODUCTION, first_name="Petr")


@pytest.fixture
def head_of_production(db) -> User:
    return make_user("ivan", roles.HEAD_OF_PRODUCTION, first_name="Ivan")


@pytest.fixture
def logistics_worker(db) -> User:
    return make_user("lena", roles.LOGISTICS, first_name="Lena")


@pytest.fixture
def accountant(db) -> User:
    return make_user("anna", roles.ACCOUNTANTS, first_name="Anna")


@pytest.fixture
def outsider(db) -> User:
    return make_user("oleg")


@pytest.fixture
def staff(manager, production_worker, logistics_worker) -> dict[str, User]:
    """One person per department, so every robot has someone to assign to."""
    return {"manager": manager, "production": production_worker, "logistics": logistics_worker}


@pytest.fixture
def catalogue(db) -> dict[str, Product]:
    """Two products with bills of materials: a table (cost 3,250) and a chair (cost 1,150)."""
    wood = Material.objects.create(name="Oak board", unit="m", unit_cost=Decimal("1000.00"))
    screws = Material.objects.create(name="Screws", unit="pcs", unit_cost=Decimal("2.50"))
    table = Product.objects.create(
        sku="TBL-1",
        name="Oak table",
        price=Decimal("15000.00"),
        lead_time_days=5,
        labour_minutes=120,
        labour_rate=Decimal("600.00"),
    )
    BillOfMaterialsItem.objects.create(product=table, material=wood, quantity=Decimal("2"))
    BillOfMaterialsItem.objects.create(product=table, material=screws, quantity=Decimal("20"))
    chair = Product.objects.create(
        sku="CHR-1",
        name="Oak chair",
        price=Decimal("4000.00"),
        lead_time_days=3,
        labour_minutes=60,
        labour_rate=Decimal("600.00"),
    )
    BillOfMaterialsItem.objects.create(product=chair, material=wood, quantity=Decimal("0.5"))
    BillOfMaterialsItem.objects.create(product=chair, material=screws, quantity=Decimal("20"))
    return {"table": table, "chair": chair}
