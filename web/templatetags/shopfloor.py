"""The shop floor's timer on a page: seconds worked so far, written as a clock."""

from __future__ import annotations

from django import template

from orders.models import Task
from production.timer import task_elapsed_seconds

register = template.Library()


@register.filter
def elapsed_seconds(task: Task) -> int:
    return task_elapsed_seconds(task)


@register.filter
def clock(seconds: int) -> str:
    """1:05:09 (hours, minutes, seconds), as static/js/shopfloor.js writes it as it ticks."""
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
