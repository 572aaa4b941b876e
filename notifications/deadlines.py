"""Deadline control: remind before a task's deadline, escalate once it passes, and escalate
orders that stay in one stage longer than its limit.

A stage limit counts our time only (orders.clocks says who holds the ball). An order in a
stage that waits on the client (a prepayment, a pickup) is not late on our side: past the
limit its manager is asked, once, to remind the client, and no head hears of it. An order
in one of our stages that waits on the client in the middle of it is not escalated while it
waits.

Every reminder and escalation is claimed with one conditional UPDATE … WHERE <mark> IS NULL
… RETURNING id, so however many beat processes run the job at once, a row is claimed (and
its message sent) by exactly one of them: PostgreSQL re-checks the condition on a row that
a concurrent transaction has just updated and skips it. The job runs a fixed number of
queries whatever the number of tasks; the open-task scans use the partial index on due_at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.sql import UpdateQuery
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.texts import Msg
from notifications import staff
from orders import roles, rules
from orders.calendar import WorkingTime
from orders.clocks import CLIENT_DELIVERY, CLIENT_STAGES, order_wait
from orders.models import (
    OPEN_STAGES,
    OPEN_TASK_STATUSES,
    EventKind,
    Order,
    Stage,
    StageLimit,
    Task,
    TimelineEvent,
)

# The messages, translated into each recipient's language when written.
REMINDER = gettext_lazy("Deadline soon: “%(title)s” (order %(number)s) is due %(due)s")
OVERDUE = gettext_lazy("Overdue: “%(title)s” (order %(number)s) was due %(due)s")
OVERDUE_HEAD = gettext_lazy("Overdue: “%(title)s” (order %(number)s, %(who)s) was due %(due)s")
STAGE_TOO_LONG = gettext_lazy(
    "Order %(number)s has been in “%(stage)s” longer than %(hours)s working hours."
)
CHASE_CLIENT = gettext_lazy(
    "Order %(number)s has waited on the client (%(wait)s) longer than %(hours)s working "
    "hours: remind them."
)


@dataclass
class DeadlineReport:
    reminded: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    escalated_orders: list[int] = field(default_factory=list)
    notifications: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "reminded": len(self.reminded),
            "overdue": len(self.overdue),
            "escalated_orders": len(self.escalated_orders),
            "notifications": len(self.notifications),
        }


def claim(queryset: QuerySet, mark: str, now: dt.datetime) -> list[int]:
    """UPDATE the rows of `queryset` setting `mark` = now, returning the ids this call
    changed. The queryset must filter on its own table only (so the UPDATE keeps its WHERE
    and the database re-checks it on rows a concurrent claim got first)."""
    query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))  # chain() gives a klass
    query.add_update_values({mark: now})
    query.annotations = {}
    compiler = query.get_compiler(queryset.db)
    compiler.pre_sql_setup()
    sql, params = compiler.as_sql()
    if not sql:
        return []
    connection = connections[queryset.db]
    pk_column = connection.ops.quote_name(queryset.model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {pk_column}", params)
        return [row[0] for row in cursor.fetchall()]


def deadlines_run(*, now: dt.datetime | None = None) -> DeadlineReport:
    """One pass of deadline control; see the module's docstring. Queries: the calendar
    (2–3), the stage limits, three claims, the claimed tasks, the claimed orders, the
    heads, the notifications and the timeline rows (each in bulk)."""
    now = now or timezone.now()
    # Stage limits look back in time, reminders forward: load holidays around both.
    working_time = WorkingTime.load(around=now - dt.timedelta(days=180))
    remind_until = working_time.add_hours(now, settings.DEADLINE_REMINDER_WORKING_HOURS)
    report = DeadlineReport()
    with transaction.atomic():
        open_tasks = Task.objects.filter(status__in=OPEN_TASK_STATUSES)
        report.reminded = claim(
            open_tasks.filter(reminded_at__isnull=True, due_at__gt=now, due_at__lte=remind_until),
            "reminded_at",
            now,
        )
        report.overdue = claim(
            open_tasks.filter(overdue_notified_at__isnull=True, due_at__lte=now),
            "overdue_notified_at",
            now,
        )
        limits = {
            limit.stage: limit.working_hours
            for limit in StageLimit.objects.filter(stage__in=OPEN_STAGES)
        }
        if limits:
            over_limit = Q()
            for stage, hours in limits.items():
                since = working_time.subtract_hours(now, hours)
                over_limit |= Q(stage=stage, stage_changed_at__lte=since) & _limit_runs(stage)
            report.escalated_orders = claim(
                Order.objects.filter(over_limit, stage_escalated_at__isnull=True),
                "stage_escalated_at",
                now,
            )
        if report.reminded or report.overdue or report.escalated_orders:
            report.notifications = _tell(report, limits)
    return report


def _limit_runs(stage: str) -> Q:
    """When a stage's limit runs: always in a stage that waits on the client (the limit
    says when to chase them), and in our stages while the order is not waiting on the
    client in the middle of one."""
    if stage in CLIENT_STAGES:
        return Q()
    runs = Q(client_since__isnull=True)
    methods = [method for (on, method) in CLIENT_DELIVERY if on == stage]
    return runs | Q(delivery_method__in=methods) if methods else runs


def _tell(report: DeadlineReport, limits: dict[str, Decimal]) -> list[int]:
    """Tell everyone concerned by what this pass claimed (a bell each, in their language,
    and its e-mail copy; one INSERT for all) and write the timeline rows."""
    User = get_user_model()
    heads_by_group: dict[str, list] = {}
    heads = (
        User.objects.filter(
            is_active=True, groups__name__in=[roles.HEAD_OF_SALES, roles.HEAD_OF_PRODUCTION]
        )
        .select_related("profile")
        .annotate(group_name=F("groups__name"))
    )
    for head in heads:
        heads_by_group.setdefault(head.group_name, []).append(head)

    notes: list[staff.Note] = []
    events: list[TimelineEvent] = []

    def tell(user, order: Order, message, **params) -> None:
        if user is not None and user.is_active:
            notes.append(staff.Note(to=user, text=Msg(message, **params), order=order))

    claimed = report.reminded + report.overdue
    tasks = (
        Task.objects.filter(pk__in=claimed).select_related(
            "order__manager__profile", "assignee__profile"
        )
        if claimed
        else []
    )
    reminded = set(report.reminded)
    for task in tasks:
        params = {"title": task.title_text, "number": task.order.number, "due": task.due_at}
        if task.pk in reminded:
            tell(task.assignee, task.order, REMINDER, **params)
            continue
        recipients = {task.assignee_id: task.assignee} if task.assignee else {}
        # A task the client holds up (a pickup they have not come for) is not the
        # department's lateness: its head is not told; the manager (below) chases the client.
        if order_wait(task.order) is None:
            for head in heads_by_group.get(roles.DEPARTMENT_HEADS.get(task.department, ""), []):
                recipients.setdefault(head.pk, head)
        # The order's manager keeps the promise to the client: a late line or shipment is
        # theirs to know before the client asks.
        if task.order.manager is not None:
            recipients.setdefault(task.order.manager_id, task.order.manager)
        for user in recipients.values():
            tell(
                user,
                task.order,
                OVERDUE if user.pk == task.assignee_id else OVERDUE_HEAD,
                **params,
                who=rules.person(task.assignee, nobody=_("nobody")),
            )
        late = Msg(
            gettext_noop("Task overdue: %(title)s (was due %(due)s)"),
            title=task.title_text,
            due=task.due_at,
        )
        events.append(
            TimelineEvent(
                order=task.order,
                kind=EventKind.TASK,
                text=late.render(),
                data={"task_id": task.pk, "overdue": True, "msg": late.as_data()},
            )
        )

    if report.escalated_orders:
        for order in Order.objects.filter(pk__in=report.escalated_orders).select_related(
            "manager__profile"
        ):
            recipients = {order.manager_id: order.manager} if order.manager else {}
            wait = order_wait(order)
            # Our lateness goes up to the heads of sales; a client's is the manager's to
            # chase (the heads only when the order has no manager).
            if wait is None or not recipients:
                for head in heads_by_group.get(roles.HEAD_OF_SALES, []):
                    recipients.setdefault(head.pk, head)
            too_long: dict[str, object] = {
                "number": order.number,
                "hours": _hours(limits[order.stage]),
            }
            # Labels (the stage, the wait) are shown in each reader's language.
            if wait is None:
                message, too_long["stage"] = STAGE_TOO_LONG, Stage(order.stage)
            else:
                message, too_long["wait"] = CHASE_CLIENT, wait
            for user in recipients.values():
                tell(user, order, message, **too_long)
            # The timeline keeps the message too, so each reader sees it in their language.
            text = Msg(message, **too_long)
            events.append(
                TimelineEvent(
                    order=order,
                    kind=EventKind.STAGE,
                    text=text.render(),
                    data={"stage_limit": True, "msg": text.as_data()},
                )
            )
    told = staff.tell_staff_each(notes, email=True)
    TimelineEvent.objects.bulk_create(events)
    return told


def _hours(hours: Decimal) -> str:
    return formats.number_format(hours.normalize() if hours == hours.to_integral() else hours)
