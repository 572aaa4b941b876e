"""The production schedule, as the rest of the funnel sees it: when an order can be ready,
asking for the schedule to be computed again after something changed it, the run that
writes the plan (planned start and finish of every unfinished operation, each work
centre's load per day, each order's planned ready moment and whether it will break its
promise), and a preview of new priorities.

The computing itself is production.schedule (pure); what it reads, production.schedule_inputs.
A run happens in a Celery task, never in a request: schedule_request() queues one after the
commit, and a burst of requests queues one run (or two, when one comes in during a run)."""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import secrets
from dataclasses import dataclass, replace
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.texts import Msg
from notifications import staff
from orders import roles
from orders.calendar import WorkingTime
from orders.models import (
    UNFINISHED_TASK_STATUSES,
    EventKind,
    Order,
    Task,
    TaskKind,
    TimelineEvent,
)
from orders.queue import publish
from production import tasks
from production.models import Operation, WorkCentreLoad
from production.schedule import Op, OrderInfo, Plan, schedule
from production.schedule_inputs import (
    DEPARTMENT,
    Inputs,
    calendar_of,
    inputs_load,
    lead_days,
    line_minutes,
    team_centre,
    team_centres,
    work_centres,
)

logger = logging.getLogger(__name__)

# Set while a run is queued and not yet started: requests meanwhile add nothing to the
# queue. The run clears it as it starts, so a change made during a run queues one more.
QUEUED_KEY = "production:schedule:queued"
QUEUED_TTL = 300
GATHER_SECONDS = 2
PREVIEW_KEY = "production:schedule:preview:"
PREVIEW_TTL = 600
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# One run at a time (a session advisory lock): a second waits and then plans the newer data.
RUN_LOCK = 0x5C4ED1
BATCH = 1000

AT_RISK = gettext_noop("%(centre)s: %(hours)s h later than promised")
AT_RISK_NOTE = gettext_noop("Order %(number)s will miss its promised date: %(reason)s")
PRODUCTION = gettext_noop("Production")
BACK_ON_TIME = gettext_noop("Order %(number)s is back on schedule: ready by %(ready)s")


@dataclass(frozen=True)
class Proposal:
    """What the manager can promise: when the order's last operation would finish if its
    production started at `start`, and the date to promise the client (that plus the
    delivery lead time)."""

    start: dt.datetime
    ready_at: dt.datetime
    promised_date: dt.date


@dataclass(frozen=True)
class PreviewRow:
    """One order the head of production's new priorities would change."""

    order: Order
    ready_before: dt.datetime | None
    ready_after: dt.datetime | None
    at_risk_before: bool
    at_risk_after: bool


@dataclass(frozen=True)
class RunResult:
    operations: int
    changed: int
    orders: int
    at_risk: int
    announced: int
    recovered: int


# --------------------------------------------------------------------------- the promise


def promise_propose(order: Order, *, start: dt.datetime | None = None) -> Proposal:
    """The earliest promise for `order`: its lines (each product's routing, or its labour
    at the product's team) added at the back of today's queue, on the capacity the current
    plan leaves free (WorkCentreLoad), from `start` (a future payment) or now; plus the
    delivery lead time. For an order not in production yet: the load has no part of it."""
    now = timezone.now()
    begin = max(start or now, now)
    working_time = WorkingTime.load(around=now)
    calendar = calendar_of(working_time)
    today = timezone.localdate(now)
    lines = list(order.lines.select_related("product").order_by("position", "id"))
    routings: dict[int, list[Operation]] = {}
    for operation in Operation.objects.filter(
        product_id__in={line.product_id for line in lines}
    ).order_by("position", "id"):
        routings.setdefault(operation.product_id, []).append(operation)
    ops: list[Op] = []
    centre_ids: set[int] = set()
    teams: dict[int | None, dt.datetime] = {}
    for line in lines:
        product = line.product
        steps = routings.get(product.pk)
        if steps:
            for operation in steps:
                centre_ids.add(operation.work_centre_id)
                ops.append(
                    Op(-len(ops) - 1, order.pk or 0, line.pk, operation.position,
                       operation.work_centre_id, operation.minutes_for(line.quantity),
                       line_position=line.position, not_before=begin)
                )  # fmt: skip
            continue
        if product.team_id not in teams:
            teams[product.team_id] = _team_queue_end(product.team_id) or begin
        minutes = line_minutes(
            labour_minutes=product.labour_minutes,
            quantity=line.quantity,
            lead_time_days=product.lead_time_days,
            day_hours=calendar.hours,
        )
        ops.append(
            Op(-len(ops) - 1, order.pk or 0, line.pk, 0, team_centre(product.team_id), minutes,
               line_position=line.position, not_before=max(begin, teams[product.team_id]))
        )  # fmt: skip
    centres = work_centres(today, centre_ids) + team_centres(set(teams), calendar.hours)
    preload: dict[int, dict[dt.date, float]] = {}
    for centre_id, day, hours in WorkCentreLoad.objects.filter(
        work_centre_id__in=centre_ids, day__gte=today
    ).values_list("work_centre_id", "day", "planned_hours"):
        preload.setdefault(centre_id, {})[day] = float(hours)
    info = OrderInfo(order.pk or 0, lead_days=lead_days(order.delivery_method))
    plan = schedule(
        now=now, calendar=calendar, centres=centres, orders=[info], operations=ops, preload=preload
    )
    made = plan.orders.get(info.id)
    if made is None:  # nothing to make, or a centre without capacity: the lead time alone
        ready = begin
        days = max((line.product.lead_time_days for line in lines), default=0)
        if plan.unplanned or not ops:
            ready = working_time.add_days(begin, days)
        delivered = working_time.add_days(ready, info.lead_days)
    else:
        ready, delivered = made.ready_at, made.delivered_at
    return Proposal(start=begin, ready_at=ready, promised_date=timezone.localdate(delivered))


def _team_queue_end(team_id: int | None) -> dt.datetime | None:
    """When the team's lines planned so far are made: a new line waits behind them."""
    tasks = Task.objects.filter(
        kind=TaskKind.PRODUCE_LINE, status__in=UNFINISHED_TASK_STATUSES, work_centre__isnull=True
    )
    if team_id is None:
        tasks = tasks.filter(line__product__team__isnull=True)
    else:
        tasks = tasks.filter(line__product__team_id=team_id)
    return tasks.order_by().aggregate(end=Max("planned_finish"))["end"]


# --------------------------------------------------------------------------- the run


def schedule_request() -> None:
    """Something the schedule depends on changed: compute it again after the commit. A
    burst of changes queues one run (two when one comes in while a run goes)."""
    transaction.on_commit(_queue_run)


def _queue_run() -> None:
    if not cache.add(QUEUED_KEY, 1, QUEUED_TTL):
        return  # a run is queued already and will see this change
    try:
        # A moment's wait gathers the rest of a burst (a bulk edit, a stream of payments).
        tasks.schedule_run.apply_async(countdown=GATHER_SECONDS)
    except Exception as exc:
        logger.warning("could not queue a schedule run (%r); the periodic run will come", exc)
        cache.delete(QUEUED_KEY)  # and the next change tries again


def schedule_run_requested() -> RunResult:
    """The queued run starts: later changes queue the next one."""
    cache.delete(QUEUED_KEY)
    return schedule_run()


def schedule_run(*, now: dt.datetime | None = None) -> RunResult:
    """Plan every unfinished operation and write the plan: planned start and finish where
    they changed, the work centres' load from today, each order's planned ready moment,
    and its risk (announced once when it starts, noted when it ends)."""
    with _one_run():
        inputs = inputs_load(now=now)
        plan = _plan(inputs)
        changed = _write_operations(inputs, plan)
        _write_load(inputs, plan)
        _write_ready(inputs, plan)
        at_risk, announced, recovered = _write_risk(inputs, plan)
    result = RunResult(len(inputs.ops), changed, len(plan.orders), at_risk, announced, recovered)
    logger.info("production schedule: %s", result)
    return result


class _one_run:
    def __enter__(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [RUN_LOCK])

    def __exit__(self, *exc: object) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK])


def _plan(inputs: Inputs) -> Plan:
    return schedule(
        now=inputs.now,
        calendar=inputs.calendar,
        centres=inputs.centres,
        orders=[row.info for row in inputs.orders.values()],
        operations=inputs.ops,
    )


def _write_operations(inputs: Inputs, plan: Plan) -> int:
    """Only the operations whose plan moved are written, a thousand an UPDATE."""
    changed = []
    for task_id, stored in inputs.stored.items():
        planned = plan.ops.get(task_id)
        new = (planned.start, planned.finish) if planned else (None, None)
        if new != stored:
            changed.append((task_id, *new))
    _set_moments(Task, ["planned_start", "planned_finish"], changed)
    return len(changed)


def _set_moments(model: type[models.Model], fields: list[str], rows: list[tuple]) -> None:
    """Rows of (pk, moment, …) written to `fields`, a batch an UPDATE joined to a VALUES
    list (bulk_update's CASE WHEN compares every row with every id of its batch)."""
    if connection.vendor != "postgresql":
        for index in range(0, len(rows), BATCH):
            objects = [
                model(pk=row[0], **dict(zip(fields, row[1:], strict=True)))
                for row in rows[index : index + BATCH]
            ]
            model._default_manager.bulk_update(objects, fields)
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_of = {field.name: field.column for field in model._meta.concrete_fields}
    columns = [quote(column_of[name]) for name in fields]
    names = ", ".join(f"v{index}" for index in range(len(fields)))
    sets = ", ".join(f"{column} = v.v{index}" for index, column in enumerate(columns))
    row_sql = "(%s" + ", %s::timestamptz" * len(fields) + ")"
    with connection.cursor() as cursor:
        for index in range(0, len(rows), BATCH):
            batch = rows[index : index + BATCH]
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} "
                f"FROM (VALUES {', '.join([row_sql] * len(batch))}) AS v(id, {names}) "
                "WHERE t.id = v.id",
                [value for row in batch for value in row],
            )


def _write_load(inputs: Inputs, plan: Plan) -> None:
    """The load of the work centres from today on, as this plan has it."""
    today = timezone.localdate(inputs.now)
    real = {centre.id for centre in inputs.centres if centre.id > 0}
    rows = [
        WorkCentreLoad(
            work_centre_id=row.centre_id,
            day=row.day,
            capacity_hours=_hours(row.capacity_hours),
            planned_hours=_hours(row.planned_hours),
        )
        for row in plan.load
        if row.centre_id in real
    ]
    with transaction.atomic():
        WorkCentreLoad.objects.filter(day__gte=today).delete()
        WorkCentreLoad.objects.bulk_create(rows, batch_size=BATCH)


def _hours(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def _write_ready(inputs: Inputs, plan: Plan) -> None:
    changed = [
        (order_id, made.ready_at)
        for order_id, made in plan.orders.items()
        if order_id in inputs.orders and inputs.orders[order_id].planned_ready_at != made.ready_at
    ]
    _set_moments(Order, ["planned_ready_at"], changed)


def risk_reason(inputs: Inputs, plan: Plan, order_id: int) -> Msg | None:
    """Why the order will miss its promise: the centre it waits for most, and by how many
    working hours (whole, rounded up). None when it will not."""
    made = plan.orders.get(order_id)
    row = inputs.orders.get(order_id)
    if made is None or row is None or row.promised_date is None or made.late_hours <= 0:
        return None
    centre_id = made.late_centre_id or DEPARTMENT
    # The department's lines are told in the reader's language; a centre by its name.
    centre = Msg(PRODUCTION) if centre_id == DEPARTMENT else inputs.centre_names.get(centre_id, "")
    return Msg(AT_RISK, centre=centre, hours=max(math.ceil(made.late_hours - 1e-6), 1))


def _write_risk(inputs: Inputs, plan: Plan) -> tuple[int, int, int]:
    """Each order's risk as the plan has it. Orders starting to be at risk are claimed
    under their row locks (at_risk_since still empty), so two runs announce each once;
    orders back on schedule are noted once the same way."""
    starting: dict[int, Msg] = {}
    ending: list[int] = []
    for order_id, row in inputs.orders.items():
        if order_id not in plan.orders:
            continue  # not plannable now (a centre without capacity): left as it was
        reason = risk_reason(inputs, plan, order_id)
        if reason is not None:
            if row.at_risk_since is None:
                starting[order_id] = reason
            elif row.at_risk_reason != reason.as_data():
                Order.objects.filter(pk=order_id).update(at_risk_reason=reason.as_data())
        elif row.at_risk_since is not None:
            ending.append(order_id)
    at_risk = sum(1 for made in plan.orders.values() if made.late_hours > 0)
    announced = recovered = 0
    ids = sorted(starting)
    for index in range(0, len(ids), BATCH):
        announced += _announce(inputs, {pk: starting[pk] for pk in ids[index : index + BATCH]})
    for index in range(0, len(ending), BATCH):
        recovered += _note_recovery(inputs, plan, ending[index : index + BATCH])
    # Orders with nothing left to make (made, cancelled) are no longer the schedule's.
    gone = set(
        Order.objects.filter(at_risk_since__isnull=False).values_list("pk", flat=True)
    ) - set(inputs.orders)
    if gone:
        Order.objects.filter(pk__in=gone).update(at_risk_since=None, at_risk_reason={})
    return at_risk, announced, recovered


@transaction.atomic
def _announce(inputs: Inputs, reasons: dict[int, Msg]) -> int:
    """Claim these orders' risk and tell it: the manager and the heads of production (a
    bell each, in one INSERT, and its e-mail), and the order's timeline. An order locked
    by somebody right now is left to the next run."""
    claimed = list(
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk__in=reasons, at_risk_since__isnull=True)
        .values_list("pk", flat=True)
    )
    if not claimed:
        return 0
    orders = []
    for pk in claimed:
        order = Order(pk=pk, number=inputs.orders[pk].number)
        order.at_risk_since, order.at_risk_reason = inputs.now, reasons[pk].as_data()
        orders.append(order)
    Order.objects.bulk_update(orders, ["at_risk_since", "at_risk_reason"])
    heads = list(
        get_user_model()
        .objects.filter(groups__name=roles.HEAD_OF_PRODUCTION, is_active=True)
        .select_related("profile")
    )
    managers = (
        get_user_model()
        .objects.select_related("profile")
        .in_bulk({inputs.orders[pk].manager_id for pk in claimed} - {None})
    )
    notes: list[staff.Note] = []
    events: list[TimelineEvent] = []
    for order in orders:
        text = Msg(AT_RISK_NOTE, number=order.number, reason=reasons[order.pk])
        events.append(_timeline_row(order.pk, text))
        manager = managers.get(inputs.orders[order.pk].manager_id or 0)
        people = {user.pk: user for user in [*heads, manager] if user is not None}
        notes.extend(staff.Note(to=user, text=text, order=order) for user in people.values())
    TimelineEvent.objects.bulk_create(events)
    staff.tell_staff_each(notes, email=True)
    return len(orders)


@transaction.atomic
def _note_recovery(inputs: Inputs, plan: Plan, ids: list[int]) -> int:
    cleared = list(
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk__in=ids, at_risk_since__isnull=False)
        .values_list("pk", flat=True)
    )
    Order.objects.filter(pk__in=cleared).update(at_risk_since=None, at_risk_reason={})
    TimelineEvent.objects.bulk_create(
        _timeline_row(
            pk,
            Msg(BACK_ON_TIME, number=inputs.orders[pk].number, ready=plan.orders[pk].ready_at),
        )
        for pk in cleared
    )
    return len(cleared)


def _timeline_row(order_id: int, text: Msg) -> TimelineEvent:
    """What orders.services.common.event_record writes, for many orders in one INSERT."""
    return TimelineEvent(
        order_id=order_id, kind=EventKind.PROMISE, text=text.render(), data={"msg": text.as_data()}
    )


# --------------------------------------------------------------------------- the preview


def schedule_preview(priorities: dict[int, int]) -> list[PreviewRow]:
    """What the plan would be with these priorities (order id → priority): the orders whose
    planned ready moment or risk would change, and those whose priority is set. Nothing is
    written; both plans are computed from the same moment's data."""
    inputs = inputs_load()
    before = _plan(inputs)
    moved = replace(
        inputs,
        orders={
            pk: replace(row, info=replace(row.info, priority=priorities.get(pk, row.info.priority)))
            for pk, row in inputs.orders.items()
        },
    )
    after = _plan(moved)
    rows = []
    for order_id in sorted(inputs.orders):
        old, new = before.orders.get(order_id), after.orders.get(order_id)
        ready_before = old.ready_at if old else None
        ready_after = new.ready_at if new else None
        risk_before = risk_reason(inputs, before, order_id) is not None
        risk_after = risk_reason(moved, after, order_id) is not None
        if order_id in priorities or ready_before != ready_after or risk_before != risk_after:
            rows.append((order_id, ready_before, ready_after, risk_before, risk_after))
    orders = Order.objects.in_bulk([row[0] for row in rows])
    return [PreviewRow(orders[row[0]], *row[1:]) for row in rows if row[0] in orders]


def schedule_preview_start(priorities: dict[int, int]) -> str:
    """Compute the preview in the background; its token for schedule_preview_result."""
    token = secrets.token_urlsafe(16)
    publish(tasks.schedule_preview, token, sorted(priorities.items()))
    return token


def schedule_preview_store(token: str, priorities: dict[int, int]) -> None:
    rows = [
        (row.order.pk, row.ready_before, row.ready_after, row.at_risk_before, row.at_risk_after)
        for row in schedule_preview(priorities)
    ]
    cache.set(PREVIEW_KEY + token, rows, PREVIEW_TTL)


def schedule_preview_result(token: str) -> list[PreviewRow] | None:
    """The preview's rows, None while it is computed (or when the token is unknown)."""
    if not TOKEN.fullmatch(token):
        return None
    rows = cache.get(PREVIEW_KEY + token)
    if rows is None:
        return None
    orders = Order.objects.in_bulk([row[0] for row in rows])
    return [PreviewRow(orders[row[0]], *row[1:]) for row in rows if row[0] in orders]
