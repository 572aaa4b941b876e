"""Who may see and change what in the sales workspace."""

from __future__ import annotations

from django.contrib.auth.models import User

from orders import roles
from orders.models import Order


def can_see_all_orders(user: User) -> bool:
    return user.has_perm("orders.view_all_orders")


def can_see_money(user: User) -> bool:
    return user.has_perm("orders.view_money")


def can_change_order(user: User, order: Order) -> bool:
    """Managers change their own orders; the head of sales everyone's."""
    if not user.has_perm("orders.change_order"):
        return False
    return order.manager_id == user.pk or can_see_all_orders(user)


def can_use_board(user: User) -> bool:
    return user.has_perm("orders.view_order")


def can_hand_over(user: User) -> bool:
    return user.has_perm("orders.view_all_orders") and user.has_perm("orders.reassign_task")


def departments_headed(user: User) -> list[str]:
    """The departments whose tasks this person may reassign (kept on the user object for
    the request, as Django keeps permissions)."""
    cached = getattr(user, "_departments_headed", None)
    if cached is not None:
        return cached
    headed: list[str] = []
    if user.has_perm("orders.reassign_task"):
        groups = {group.name for group in user.groups.all()}
        headed = [
            department
            for department, head_group in roles.DEPARTMENT_HEADS.items()
            if head_group in groups or user.is_superuser
        ]
    # Our own attribute on the user object (unknown to the stubs), as Django caches perms.
    user._departments_headed = headed  # type: ignore[attr-defined]
    return headed
