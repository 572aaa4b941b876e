"""Background work of production: the schedule's runs. Thin adapters around
production.planning; a run is idempotent (it writes the plan its input gives), so a task
redelivered after a lost worker only computes the same plan again."""

from __future__ import annotations

import logging

from celery import shared_task

from production import planning

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, name="production.tasks.schedule_run"
)
def schedule_run(self) -> None:
    """A run asked for by schedule_request (coalesced) or by the beat."""
    planning.schedule_run_requested()


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, name="production.tasks.schedule_preview"
)
def schedule_preview(self, token: str, priorities: list[list[int]]) -> None:
    """The effect of the head of production's priorities, kept in the cache under `token`."""
    planning.schedule_preview_store(token, {int(order): int(value) for order, value in priorities})
