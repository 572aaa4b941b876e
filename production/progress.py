"""How far a line made in operations has got: "Покраска 2/3" (the operation being done or
next, and how many of the line's operations are done), read from tasks already loaded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from orders.models import Task, TaskKind, TaskStatus


@dataclass(frozen=True)
class LineProgress:
    operation: str  # the operation being done or next; the last one when all are done
    done: int
    total: int

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    def __str__(self) -> str:
        return f"{self.operation} {self.done}/{self.total}"


def operation_name(task: Task) -> str:
    """The operation's name as it was when the task was made (its title's first part)."""
    return str(task.title_msg.get("args", {}).get("operation", "")) if task.title_msg else ""


def line_progress(tasks: Iterable[Task]) -> dict[int, LineProgress]:
    """Per line made in operations, its progress, from the order's tasks (no query)."""
    steps: dict[int, list[Task]] = {}
    for task in tasks:
        if task.step and task.line_id is not None and task.status != TaskStatus.CANCELLED:
            steps.setdefault(task.line_id, []).append(task)
    progress = {}
    for line_id, line_tasks in steps.items():
        line_tasks.sort(key=lambda task: task.step)
        done = sum(1 for task in line_tasks if task.status == TaskStatus.DONE)
        current = next((t for t in line_tasks if t.status != TaskStatus.DONE), line_tasks[-1])
        progress[line_id] = LineProgress(operation_name(current), done, len(line_tasks))
    return progress


def with_line_steps(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Production tasks with how many operations their line has (`line_steps`), in the
    same query: a card shows "Покраска 2/3" without a query of its own."""
    siblings = (
        Task.objects.filter(line_id=OuterRef("line_id"), kind=TaskKind.PRODUCE_LINE, step__gt=0)
        .exclude(status=TaskStatus.CANCELLED)
        .order_by()
        .values("line_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return tasks.annotate(
        line_steps=Coalesce(Subquery(siblings, output_field=IntegerField()), Value(0))
    )


def task_progress(task: Task) -> LineProgress | None:
    """An open operation's place in its line: this one is next, those before it are done.
    None for a line made in one task (or a task read without `with_line_steps`)."""
    total = getattr(task, "line_steps", 0)
    if not task.step or not total:
        return None
    return LineProgress(operation_name(task), task.step - 1, total)
