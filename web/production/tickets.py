"""The job ticket's PDF: the ticket's template rendered by the PDF renderer the invoices
and closing documents share (their fonts and warm caches in a worker or a web process).

A ticket is rendered when asked for, in the request: unlike an invoice it is no record to
keep (its planned dates change with every schedule run, so a stored copy would be stale
by the time it is printed), and it is bounded (production.tickets.TICKET_LIMIT blocks)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from invoices.pdf import FONTS_DIR, pdf_from_html
from orders.models import Order
from production.tickets import ticket_blocks


def job_ticket_html(order: Order, *, site_url: str | None = None) -> str:
    context = {
        "order": order,
        "blocks": ticket_blocks(order, site_url=site_url or settings.SITE_URL),
        "printed_at": timezone.now(),
        "font_regular": (FONTS_DIR / "DejaVuSans.ttf").as_uri(),
        "font_bold": (FONTS_DIR / "DejaVuSans-Bold.ttf").as_uri(),
    }
    return render_to_string("production/pdf/job_ticket.html", context)


def job_ticket_pdf(order: Order, *, site_url: str | None = None) -> bytes:
    return pdf_from_html(job_ticket_html(order, site_url=site_url))
