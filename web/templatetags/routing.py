"""Operations' progress on a page: "Покраска 2/3" for a line made in operations."""

from __future__ import annotations

from django import template

from orders.models import Task
from production.progress import LineProgress, line_progress, task_progress

register = template.Library()


@register.simple_tag
def progress_of_line(tasks: list[Task], line_id: int) -> LineProgress | None:
    """The line's operations done and the current one, from the order's tasks (no query)."""
    return line_progress(task for task in tasks if task.line_id == line_id).get(line_id)


@register.filter
def operation_progress(task: Task) -> LineProgress | None:
    """An open operation's place in its line (read with production.progress.with_line_steps)."""
    return task_progress(task)
