"""The margin roll-up on real PostgreSQL: lines of different orders made at the same moment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.work import production_task_done
from production.models import MarginDay
from tests import factories as f
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_lines_of_one_product_made_at_once_by_two_workers_are_both_counted(staff, catalogue):
    tasks = [
        f.production_tasks(
            f.order_in_production(
                manager=staff["manager"], catalogue=catalogue, lines=[("chair", quantity)]
            )
        )[0]
        for quantity in ("2", "3")
    ]

    results = race(
        *(
            (lambda task=task: production_task_done(task=task, actor=staff["production"]))
            for task in tasks
        )
    )

    assert not [r for r in results if isinstance(r, Exception)]
    row = MarginDay.objects.get()
    assert (row.quantity, row.revenue, row.lines) == (Decimal("5"), Decimal("20000.00"), 2)
