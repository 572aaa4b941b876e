"""The schedule's runs in a real Celery worker on a real Redis: a burst of changes, each
asking for a new schedule after its commit, is planned by one run or two, never one per
change and never in the request."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction

from orders.models import DeliveryMethod, Task
from production.models import Operation, Product, WorkCentre, WorkCentreLoad
from production.planning import QUEUED_KEY, schedule_request
from tests.factories import order_in_production
from tests.invoices.conftest import redis_server  # noqa: F401 (the fixture)
from tests.invoices.harness import Worker, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

RUN_LINE = "production schedule: RunResult"


@pytest.fixture
def worker(redis_server, settings, tmp_path):  # noqa: F811 (the fixture above)
    # The coalescing key lives in the cache, which is the worker's Redis too.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
        }
    }
    w = Worker(
        broker_url=redis_server.url, media_root=settings.MEDIA_ROOT, log=tmp_path / "worker.log"
    ).start()
    wait_for(lambda: "ready." in w.log_text(), timeout=90, what="the worker to start")
    yield w
    w.stop()


@pytest.fixture
def cabinets(staff, manager):
    cutting = WorkCentre.objects.create(name="Раскрой", hours_per_day=Decimal("8"))
    cabinet = Product.objects.create(sku="CAB-1", name="Шкаф", price=Decimal("100.00"))
    Operation.objects.create(
        product=cabinet, position=1, name="Раскрой", work_centre=cutting, minutes_per_unit=90
    )
    return [
        order_in_production(
            manager=manager,
            catalogue={"cabinet": cabinet},
            lines=[("cabinet", "2")],
            delivery_method=DeliveryMethod.PICKUP,
        )
        for _ in range(3)
    ]


def test_a_burst_of_changes_is_planned_by_one_or_two_runs(worker, cabinets):
    # Let any run the orders' own start queued finish first.
    wait_for(
        lambda: not Task.objects.filter(planned_start__isnull=True, step=1).exists(),
        timeout=60,
        what="the first plan",
    )
    time.sleep(1)
    before = worker.log_text().count(RUN_LINE)
    # A hundred changes, each committed on its own, each asking for a new schedule.
    started = time.monotonic()
    for _ in range(100):
        with transaction.atomic():
            schedule_request()
    asked_in = time.monotonic() - started
    assert asked_in < 5  # asking never waits for a run
    wait_for(lambda: worker.log_text().count(RUN_LINE) > before, timeout=60, what="a schedule run")
    time.sleep(3)  # time for any further run to show up
    runs = worker.log_text().count(RUN_LINE) - before
    assert 1 <= runs <= 2
    assert WorkCentreLoad.objects.exists()


def test_changes_while_a_run_is_queued_add_nothing_to_the_queue(worker, cabinets):
    wait_for(
        lambda: not Task.objects.filter(planned_start__isnull=True, step=1).exists(),
        timeout=60,
        what="the first plan",
    )
    time.sleep(1)
    before = worker.log_text().count(RUN_LINE)
    # A run is queued and not yet started: more changes add nothing to the queue.
    cache.set(QUEUED_KEY, 1, 300)
    for _ in range(10):
        with transaction.atomic():
            schedule_request()
    time.sleep(2)
    assert worker.log_text().count(RUN_LINE) == before
    # The key gone (the run started): the next change queues a run.
    cache.delete(QUEUED_KEY)
    with transaction.atomic():
        schedule_request()
    wait_for(lambda: worker.log_text().count(RUN_LINE) == before + 1, timeout=60, what="one run")
