"""What every workspace page's navigation needs: the person's roles and open task count."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from orders import roles
from orders.selectors.tasks import open_task_count


def workspace(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages without navigation (fragments, errors) run no query for it.
    return {
        "nav_task_count": SimpleLazyObject(lambda: open_task_count(user)),
        "nav_role": SimpleLazyObject(lambda: _role_label(user)),
    }


def _role_label(user) -> str:
    if user.is_superuser:
        return str(roles.ROLE_LABELS[roles.ADMINS])
    names = {group.name for group in user.groups.all()}
    for name, label in roles.ROLE_LABELS.items():
        if name in names:
            return str(label)
    return ""
