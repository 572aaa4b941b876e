"""What the schedule is computed from, read from the database: the company's calendar,
the work centres with their exceptions, and every unfinished operation with its order's
place in the queue. A line made in one task (a product without a routing) is planned at
its product's team, a work centre of its own: its people's working hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from orders import roles
from orders.calendar import WorkingTime
from orders.models import (
    UNFINISHED_TASK_STATUSES,
    DeliveryMethod,
    Order,
    Stage,
    Task,
    TaskKind,
    TaskStatus,
)
from production.models import CapacityException, Team, WorkCentre
from production.schedule import Calendar, Centre, Op, OrderInfo

# A line without a team is planned at the whole production department, this centre.
DEPARTMENT = 0
# Work not finished when its standard minutes ran out still needs some: a tenth of its
# standard, at least a quarter of an hour (never more than the standard itself).
OVERRUN_SHARE = 0.1
OVERRUN_MINUTES = 15


def team_centre(team_id: int | None) -> int:
    """The schedule's centre of a team's lines: below zero, apart from work centres."""
    return DEPARTMENT if team_id is None else -team_id


@dataclass
class OrderRow:
    id: int
    number: str
    manager_id: int | None
    promised_date: dt.date | None
    planned_ready_at: dt.datetime | None
    at_risk_since: dt.datetime | None
    at_risk_reason: dict
    info: OrderInfo


@dataclass
class Inputs:
    now: dt.datetime
    calendar: Calendar
    working_time: WorkingTime
    centres: list[Centre]
    ops: list[Op]
    orders: dict[int, OrderRow]
    # Each task's plan as stored: task id → (planned start, planned finish).
    stored: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = field(default_factory=dict)

    @cached_property
    def centre_names(self) -> dict[int, str]:
        return {centre.id: centre.name for centre in self.centres}


def calendar_of(working_time: WorkingTime) -> Calendar:
    return Calendar(
        working_time.day_start,
        working_time.day_end,
        working_time.weekdays,
        working_time.overrides,
        timezone.get_current_timezone(),
    )


def lead_days(delivery_method: str) -> int:
    """Working days from made to delivered: none for a pickup."""
    return 0 if delivery_method == DeliveryMethod.PICKUP else settings.DELIVERY_LEAD_DAYS


def work_centres(today: dt.date, ids: set[int] | None = None) -> list[Centre]:
    """Work centres (all, or those of `ids`) with their exceptions from today on."""
    centres = WorkCentre.objects.all() if ids is None else WorkCentre.objects.filter(pk__in=ids)
    exceptions: dict[int, dict[dt.date, float]] = {}
    rows = CapacityException.objects.filter(date__gte=today)
    if ids is not None:
        rows = rows.filter(work_centre_id__in=ids)
    for centre_id, date, hours in rows.values_list("work_centre_id", "date", "hours"):
        exceptions.setdefault(centre_id, {})[date] = float(hours)
    return [
        Centre(pk, name, float(hours), exceptions.get(pk, {}))
        for pk, name, hours in centres.values_list("pk", "name", "hours_per_day")
    ]


def team_centres(team_ids: set[int | None], day_hours: float) -> list[Centre]:
    """The teams' (and the department's) capacity: their active people's working day."""
    centres = []
    wanted = {team_id for team_id in team_ids if team_id is not None}
    if wanted:
        teams = Team.objects.filter(pk__in=wanted).annotate(
            people=Count("members", filter=Q(members__is_active=True))
        )
        for pk, name, people in teams.values_list("pk", "name", "people"):
            centres.append(Centre(team_centre(pk), name, max(people, 1) * day_hours))
    if None in team_ids:
        people = (
            get_user_model().objects.filter(groups__name=roles.PRODUCTION, is_active=True).count()
        )
        centres.append(Centre(DEPARTMENT, gettext("Production"), max(people, 1) * day_hours))
    return centres


def line_minutes(
    *, labour_minutes: int, quantity: Decimal, lead_time_days: int, day_hours: float
) -> float:
    """A line made in one task: its labour minutes, or without them its product's lead
    time as one person's working days."""
    minutes = float(labour_minutes * quantity)
    return minutes if minutes > 0 else lead_time_days * day_hours * 60


def remaining_minutes(
    *, planned: int, worked_seconds: int, running_since: dt.datetime | None, now: dt.datetime
) -> float:
    """Standard minutes less the minutes worked (the running spell too); work past its
    standard still needs a little (OVERRUN_*)."""
    worked = worked_seconds + (
        max((now - running_since).total_seconds(), 0) if running_since else 0
    )
    left = planned - worked / 60
    floor = min(planned, max(OVERRUN_MINUTES, planned * OVERRUN_SHARE))
    return max(left, floor, 0.0)


def inputs_load(
    *, now: dt.datetime | None = None, priorities: dict[int, int] | None = None
) -> Inputs:
    """Everything a run needs, in five queries: the calendar (two), work centres and their
    exceptions (two), unfinished operations with their lines (one), their orders (one),
    and the teams of lines without a routing (one or two, when there are any)."""
    now = now or timezone.now()
    working_time = WorkingTime.load(around=now)
    calendar = calendar_of(working_time)
    day_hours = calendar.hours
    today = timezone.localdate(now)
    centres = work_centres(today)
    rows = (
        Task.objects.filter(status__in=UNFINISHED_TASK_STATUSES, kind=TaskKind.PRODUCE_LINE)
        .order_by()
        .values_list(
            "pk",
            "order_id",
            "line_id",
            "step",
            "work_centre_id",
            "planned_minutes",
            "worked_seconds",
            "timer_started_at",
            "status",
            "planned_start",
            "planned_finish",
            "created_at",
            "line__position",
            "line__quantity",
            "line__product__team_id",
            "line__product__labour_minutes",
            "line__product__lead_time_days",
        )
    )
    ops: list[Op] = []
    stored: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
    first_task: dict[int, dt.datetime] = {}
    teams: set[int | None] = set()
    for (
        pk, order_id, line_id, step, centre_id, planned, worked, running, status,
        start, finish, created, position, quantity, team_id, labour, lead,
    ) in rows:  # fmt: skip
        if centre_id is None:
            centre_id = team_centre(team_id)
            teams.add(team_id)
            if not planned:
                planned = line_minutes(
                    labour_minutes=labour or 0,
                    quantity=quantity or Decimal(1),
                    lead_time_days=lead or 0,
                    day_hours=day_hours,
                )
        in_progress = status == TaskStatus.IN_PROGRESS or running is not None
        minutes = remaining_minutes(
            planned=planned, worked_seconds=worked, running_since=running, now=now
        )
        ops.append(
            Op(pk, order_id, line_id or -pk, step, centre_id, minutes, in_progress, position or 0)
        )
        stored[pk] = (start, finish)
        if order_id not in first_task or created < first_task[order_id]:
            first_task[order_id] = created
    centres.extend(team_centres(teams, day_hours))
    orders = _orders(set(first_task), first_task, priorities or {})
    return Inputs(now, calendar, working_time, centres, ops, orders, stored)


def _orders(
    ids: set[int], first_task: dict[int, dt.datetime], priorities: dict[int, int]
) -> dict[int, OrderRow]:
    found: dict[int, OrderRow] = {}
    rows = Order.objects.filter(pk__in=ids).values_list(
        "pk", "number", "manager_id", "priority", "promised_date", "stage", "stage_changed_at",
        "delivery_method", "planned_ready_at", "at_risk_since", "at_risk_reason",
    )  # fmt: skip
    for (
        pk, number, manager_id, priority, promised, stage, changed, delivery,
        ready, at_risk, reason,
    ) in rows:  # fmt: skip
        # The order of payment: when it entered production (its first task, once it moved on).
        entered = changed if stage == Stage.PRODUCTION else first_task.get(pk)
        info = OrderInfo(pk, priorities.get(pk, priority), promised, entered, lead_days(delivery))
        found[pk] = OrderRow(pk, number, manager_id, promised, ready, at_risk, reason or {}, info)
    return found
