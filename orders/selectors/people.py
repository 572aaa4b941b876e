"""The people the workspace offers to choose: managers, and who can take a task."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from orders import roles
from orders.assignment import DEPARTMENT_GROUPS

User = get_user_model()


def managers_queryset() -> QuerySet:
    """Everyone who can own orders: active sales managers and heads of sales."""
    return (
        User.objects.filter(
            is_active=True, groups__name__in=[roles.SALES_MANAGERS, roles.HEAD_OF_SALES]
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def managers_for_filter() -> list[AbstractBaseUser]:
    return list(managers_queryset())


def task_candidates(departments: list[str]) -> dict[str, list[AbstractBaseUser]]:
    """Active people of each department (and its heads), in one query."""

    wanted: dict[str, set[str]] = {}
    for department in departments:
        for group in (DEPARTMENT_GROUPS.get(department), roles.DEPARTMENT_HEADS[department]):
            if group:
                wanted.setdefault(group, set()).add(department)
    if not wanted:
        return {}
    memberships = (
        User.groups.through.objects.filter(group__name__in=wanted, user__is_active=True)
        .select_related("user", "group")
        .order_by("user__first_name", "user__username")
    )
    found: dict[str, list[AbstractBaseUser]] = {department: [] for department in departments}
    for membership in memberships:
        for department in wanted[membership.group.name]:
            if membership.user not in found[department]:
                found[department].append(membership.user)
    return found
