"""Who gets the next order or task: the least loaded present colleague, round robin on ties."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders import roles
from orders.models import OPEN_STAGES, Department, Order, StaffProfile, Task

DEPARTMENT_GROUPS: dict[str, str] = {
    Department.SALES: roles.SALES_MANAGERS,
    Department.PRODUCTION: roles.PRODUCTION,
    Department.LOGISTICS: roles.LOGISTICS,
}


def _load(department: str) -> Coalesce:
    if department == Department.SALES:
        work = Order.objects.filter(manager_id=OuterRef("user_id"), stage__in=OPEN_STAGES)
        key = "manager_id"
    else:
        work = Task.objects.open().filter(assignee_id=OuterRef("user_id"), department=department)
        key = "assignee_id"
    counted = work.order_by().values(key).annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def pick_assignee(department: str, *, team_id: int | None = None) -> User | None:
    """Lock the department's profiles so concurrent assignments see each other's choice.
    With `team_id`, only members of that production team are candidates."""
    group = DEPARTMENT_GROUPS[department]
    candidates = StaffProfile.objects.select_for_update(of=("self",)).filter(
        user__is_active=True, is_present=True, user__groups__name=group
    )
    if team_id is not None:
        candidates = candidates.filter(user__production_teams=team_id)
    profile = (
        candidates.annotate(load=_load(department))
        .order_by("load", F("last_assigned_at").asc(nulls_first=True), "user_id")
        .select_related("user")
        .first()
    )
    if profile is None:
        return None
    StaffProfile.objects.filter(pk=profile.pk).update(last_assigned_at=timezone.now())
    return profile.user
