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


def pick_assignee(
    department: str, *, team_id: int | None = None, work_centre_id: int | None = None
) -> User | None:
    """The least loaded present member of the department (with `team_id`, of that
    production team; with `work_centre_id`, of that work centre); on a tie, whoever was
    given work least recently.

    Nobody waits here for another transaction. A profile being given work by a transaction
    that has not committed yet is locked until that commit; a second pick skips it (SKIP
    LOCKED) and takes the next, so work picked at the same moment is spread, as it would
    be one pick after the other. Waiting on those locks instead made two payments whose
    lines went to two teams in opposite order each hold the worker the other wanted: a
    deadlock. When every candidate is being given work right now, the first of them is
    taken without a lock and without touching its round-robin time."""
    group = DEPARTMENT_GROUPS[department]
    candidates = StaffProfile.objects.filter(
        user__is_active=True, is_present=True, user__groups__name=group
    )
    if team_id is not None:
        candidates = candidates.filter(user__production_teams=team_id)
    if work_centre_id is not None:
        candidates = candidates.filter(user__work_centres=work_centre_id)
    ranked = (
        candidates.annotate(load=_load(department))
        .order_by("load", F("last_assigned_at").asc(nulls_first=True), "user_id")
        .select_related("user")
    )
    profile = ranked.select_for_update(of=("self",), skip_locked=True, no_key=True).first()
    if profile is None:
        taken = ranked.first()
        return taken.user if taken is not None else None
    StaffProfile.objects.filter(pk=profile.pk).update(last_assigned_at=timezone.now())
    return profile.user
