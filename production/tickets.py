"""Job tickets: a printed sheet per order with a block per operation, each with a QR code
that opens the operation's task page on a phone."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import segno
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from orders.models import Department, Order, Task, TaskStatus

# Blocks on one ticket at most: an order of a few hundred operations still prints, a
# runaway one does not hold a worker for minutes.
TICKET_LIMIT = 300


@dataclass(frozen=True)
class TicketBlock:
    task: Task
    url: str  # absolute: it is printed and scanned
    qr_svg: SafeString


def qr_svg(data: str) -> SafeString:
    """A QR code of `data` as inline SVG (medium error correction survives a smudge on the
    shop floor; the quiet zone of 4 modules the standard asks for)."""
    code = segno.make(data, error="m", micro=False)
    # segno writes the markup itself from the encoded modules: nothing of `data` is in it.
    return mark_safe(code.svg_inline(scale=3, border=4, omitsize=False))


def task_url(task: Task, site_url: str) -> str:
    return site_url.rstrip("/") + reverse("production:task", args=[task.pk])


def ticket_tasks(order: Order, limit: int = TICKET_LIMIT) -> list[Task]:
    """The order's production tasks that are not cancelled, line by line in routing order,
    with their lines, operations, work centres and people (one query)."""
    return list(
        Task.objects.filter(order=order, department=Department.PRODUCTION)
        .exclude(status=TaskStatus.CANCELLED)
        .select_related("line", "operation", "work_centre", "assignee")
        .order_by("line__position", "line_id", "step", "id")[:limit]
    )


def ticket_blocks(tasks: list[Task], *, site_url: str) -> list[TicketBlock]:
    blocks = []
    for task in tasks:
        url = task_url(task, site_url)
        blocks.append(TicketBlock(task=task, url=url, qr_svg=qr_svg(url)))
    return blocks


def ticket_fingerprint(order: Order, tasks: list[Task], *, site_url: str, language: str) -> str:
    """What the printed ticket shows, hashed: two requests with the same fingerprint get the
    same PDF (a planned date moved by the schedule, a note or a new assignee changes it)."""
    parts: list[object] = [
        order.pk,
        order.number,
        order.comment,
        order.promised_date,
        order.customer.name,
        site_url,
        language,
    ]
    for task in tasks:
        line = task.line
        parts.append(
            (
                task.pk,
                task.status,
                task.step,
                task.title,
                task.title_msg,
                task.operation.name if task.operation else "",
                task.work_centre.name if task.work_centre else "",
                str(task.assignee.get_full_name() or task.assignee.username)
                if task.assignee
                else "",
                (line.name, line.sku, line.quantity, line.unit) if line else None,
                task.planned_start,
                task.planned_finish,
                task.due_at,
                task.planned_minutes,
                task.note,
            )
        )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
