"""The job ticket's PDF: the ticket's template rendered by the PDF renderer the invoices
and closing documents share, by the worker (a download never renders in the request).

A ticket is no record to keep: its planned dates change with every schedule run. The
PDF is kept in the cache under a fingerprint of what it shows, so the same ticket asked for
twice is rendered once, and a changed one is rendered anew. Asking for a ticket not
rendered yet queues its render once (a claim in the cache); the page that asked waits and
asks again."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation

from invoices.pdf import FONTS_DIR, pdf_from_html
from orders.models import Order
from production.tickets import ticket_blocks, ticket_fingerprint, ticket_tasks

logger = logging.getLogger(__name__)

# A rendered ticket is kept this long after its last render; a queued render is waited for
# this long before a reload queues it again (the worker was down, the broker lost it).
TICKET_TTL = 6 * 3600
CLAIM_TTL = 90


def _key(order: Order, fingerprint: str) -> str:
    return f"job-ticket:{order.pk}:{fingerprint}"


def job_ticket_html(order: Order, *, site_url: str) -> str:
    context = {
        "order": order,
        "blocks": ticket_blocks(ticket_tasks(order), site_url=site_url),
        "printed_at": timezone.now(),
        "font_regular": (FONTS_DIR / "DejaVuSans.ttf").as_uri(),
        "font_bold": (FONTS_DIR / "DejaVuSans-Bold.ttf").as_uri(),
    }
    return render_to_string("production/pdf/job_ticket.html", context)


def _fingerprint(order: Order, site_url: str, language: str) -> str:
    tasks = ticket_tasks(order)
    return ticket_fingerprint(order, tasks, site_url=site_url, language=language)


def job_ticket_cached(order: Order, *, site_url: str, language: str) -> bytes | None:
    """The PDF of the ticket as it stands now, if the worker has rendered it (the ticket's
    tasks and one cache read)."""
    return cache.get(_key(order, _fingerprint(order, site_url, language)))


def job_ticket_claim(order: Order, *, site_url: str, language: str) -> bool:
    """Claim the render of the ticket as it stands now: True for the first to ask, False
    while a render of it is already queued."""
    fingerprint = _fingerprint(order, site_url, language)
    return bool(cache.add(f"{_key(order, fingerprint)}:queued", 1, CLAIM_TTL))


def job_ticket_store(order_id: int, *, site_url: str, language: str) -> str | None:
    """Render the order's ticket as it stands now and keep it under its fingerprint (the
    worker's side); the fingerprint, or None when the order is gone."""
    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None:
        return None
    with translation.override(language):
        fingerprint = _fingerprint(order, site_url, language)
        content = pdf_from_html(job_ticket_html(order, site_url=site_url))
    cache.set(_key(order, fingerprint), content, TICKET_TTL)
    cache.delete(f"{_key(order, fingerprint)}:queued")
    logger.info("job ticket of order %s rendered (%s bytes)", order.number, len(content))
    return fingerprint
