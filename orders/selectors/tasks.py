"""Reads of a person's tasks ("My tasks" and its counter)."""

from __future__ import annotations

from django.contrib.auth.models import User

from orders.models import Task, TaskStatus


def task_list_for_user(user: User) -> list[Task]:
    """Open tasks of this person, due soonest first: one query."""
    return list(
        Task.objects.filter(assignee=user, status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS])
        .select_related("order", "order__customer", "line")
        .order_by("due_at", "id")
    )


def open_task_count(user: User) -> int:
    return Task.objects.open().filter(assignee=user).count()
