"""Background work of the pages: thin adapters that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from orders.models import Order
from orders.queue import enqueue_after_commit
from web.production.tickets import job_ticket_claim, job_ticket_store


@shared_task(acks_late=True, reject_on_worker_lost=True)
def job_ticket_render(order_id: int, site_url: str, language: str) -> None:
    """Idempotent: renders the ticket as it stands and keeps it under its fingerprint. A
    failure is logged by Celery; the claim it leaves expires and the waiting page queues
    the render again."""
    job_ticket_store(order_id, site_url=site_url, language=language)


def job_ticket_request(order: Order, *, site_url: str, language: str) -> bool:
    """Queue the render of the order's ticket as it stands now, once however often it is
    asked for meanwhile; True when this call queued it."""
    if not job_ticket_claim(order, site_url=site_url, language=language):
        return False
    enqueue_after_commit(job_ticket_render, order.pk, site_url, language)
    return True
