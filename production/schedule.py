"""The production schedule itself: a finite-capacity forward schedule of unfinished
operations, as a pure function of its input (no database, no clock of its own), so the
same input always gives the same plan.

The model, as a planner on paper would draw it:

- Time runs over the company's working days, each from `day_start` to `day_end` (H hours).
  A work centre has a capacity per day (`hours_per_day`, or the exception of that date: 0
  when it does not work, more for an extra shift); a centre of C hours a day does C/H hours
  of work per clock hour of the working day, so a centre of 16 hours (two people) does two
  hours of work in one clock hour.
- Operations are taken in priority order: the order's priority (higher first), its
  promised date (none last), when it entered production, the order, the line's position
  and the operation's step; operations already in progress go first, from now. Each one
  starts when its line's previous operation is finished (never before now) and takes the
  first capacity its work centre has free from then on: per centre and day the capacity
  used so far is filled from the morning on, and a pointer keeps the first day that still
  has room, so placing an operation costs the days it spans, not the length of the queue.
  When an operation starts later than its centre's fill (its line's previous operation
  ends then), the stretch it leaves idle is kept, and work of lower priority that is ready
  earlier takes it up, as a foreman would fill the morning.
- A long operation continues on the centre's next working days; a day full or closed is
  skipped.

Times inside are "day coordinates": the day's index from today plus the share of the
working day gone (0 at day_start, 1 at day_end); they become datetimes only at the end.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from production.capacity import EPS, MAX_DAYS, Calendar, Centre, CentreDays, Days

# Idle stretches kept per centre and day for work ready earlier to take up: the longest
# few, none under a minute (in hours of capacity), so a day's lookup stays short.
HOLES_PER_DAY = 8
SHORTEST_HOLE = 1 / 60


@dataclass(frozen=True, slots=True)
class OrderInfo:
    """What orders the queue: priority (higher first), the promised date (none last), when
    the order entered production (earlier first), and the working days from ready to
    delivered (0 for a pickup)."""

    id: int
    priority: int = 0
    promised_date: dt.date | None = None
    entered_at: dt.datetime | None = None
    lead_days: int = 0


@dataclass(frozen=True, slots=True)
class Op:
    """An unfinished operation: the minutes of work it still needs at its work centre, and
    its place in its line (step). `in_progress`: somebody is on it, it goes on from now.
    `not_before`: it cannot start earlier (a promise counted from a future payment)."""

    task_id: int
    order_id: int
    line_id: int
    step: int
    centre_id: int
    minutes: float
    in_progress: bool = False
    line_position: int = 0
    not_before: dt.datetime | None = None


class PlannedOp(NamedTuple):
    task_id: int
    start: dt.datetime
    finish: dt.datetime
    # Working hours it waits for its centre after its line let it start.
    waited_hours: float


class OrderPlan(NamedTuple):
    order_id: int
    ready_at: dt.datetime
    # Ready plus the delivery lead time, and how many working hours that is past the end
    # of the promised date (0 when on time or nothing was promised).
    delivered_at: dt.datetime
    late_hours: float
    # Where it waits longest (the centre with the most of its work when it waits nowhere).
    late_centre_id: int | None


class DayLoad(NamedTuple):
    centre_id: int
    day: dt.date
    capacity_hours: float
    planned_hours: float


@dataclass
class Plan:
    ops: dict[int, PlannedOp]
    orders: dict[int, OrderPlan]
    load: list[DayLoad]
    # Operations that cannot be planned: their centre has no capacity in MAX_DAYS.
    unplanned: list[int]


def schedule(
    *,
    now: dt.datetime,
    calendar: Calendar,
    centres: Iterable[Centre],
    orders: Iterable[OrderInfo],
    operations: Iterable[Op],
    preload: Mapping[int, Mapping[dt.date, float]] | None = None,
    horizon_days: int = 14,
) -> Plan:
    """Plan `operations` from `now`. `preload`: hours already taken per centre and date
    (another plan's load), filled before these. The load covers at least `horizon_days`."""
    # The plan makes hundreds of thousands of small objects and no reference cycles: the
    # cycle collector would only walk them again and again as they pile up.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _schedule(now, calendar, centres, orders, operations, preload, horizon_days)
    finally:
        if collecting:
            gc.enable()


def _schedule(
    now: dt.datetime,
    calendar: Calendar,
    centres: Iterable[Centre],
    orders: Iterable[OrderInfo],
    operations: Iterable[Op],
    preload: Mapping[int, Mapping[dt.date, float]] | None,
    horizon_days: int,
) -> Plan:
    hours_per_day = calendar.hours
    if hours_per_day <= 0:
        raise ValueError("The working day has no hours.")
    local_now = now.astimezone(calendar.tz)
    today = local_now.date()
    days = Days(calendar, today)
    opens = dt.datetime.combine(today, calendar.day_start, tzinfo=calendar.tz)
    share = (local_now - opens).total_seconds() / 3600 / hours_per_day
    t_now = (0, min(max(share, 0.0), 1.0))
    order_info = {order.id: order for order in orders}
    states = {centre.id: CentreDays(centre, days) for centre in centres}
    for centre_id, taken in (preload or {}).items():
        state = states[centre_id]
        for date, hours in taken.items():
            if date >= today:
                state.take_up((date - today).days, float(hours))
    workable = {centre_id for centre_id, state in states.items() if state.can_work()}

    # The orders' places in the queue first, then each operation's by its order's place.
    never = math.inf
    ranked = sorted(
        order_info.values(),
        key=lambda info: (
            -info.priority,
            info.promised_date is None,
            info.promised_date.toordinal() if info.promised_date else 0,
            info.entered_at.timestamp() if info.entered_at else never,
            info.id,
        ),
    )
    rank = {info.id: place for place, info in enumerate(ranked)}
    unknown = len(rank)

    def within_order(op: Op) -> tuple[int, int, int, int]:
        return (op.line_position, op.line_id, op.step, op.task_id)

    # Work in progress first; then order after order, each one's operations by line and
    # step (small sorts, not one of every operation).
    running: list[Op] = []
    by_order: dict[int, list[Op]] = {}
    for op in operations:
        if op.in_progress:
            running.append(op)
        else:
            by_order.setdefault(op.order_id, []).append(op)
    queue = sorted(
        running, key=lambda op: (rank.get(op.order_id, unknown), op.order_id, *within_order(op))
    )
    for order_id in sorted(by_order, key=lambda pk: (rank.get(pk, unknown), pk)):
        group = by_order[order_id]
        if len(group) > 1:
            group.sort(key=within_order)
        queue.extend(group)
    # The calendar's lists reach as far as any centre's: each centre grows them ahead.
    worked_before, working = days.before, days.working
    # Where each line's last operation planned so far ends: (day, share of it).
    line_ready: dict[int, tuple[int, float] | None] = {}
    # Per operation placed: (task id, start, finish, waited days, centre, order, hours).
    placed: list[tuple[int, int, float, int, float, float, int, int, float]] = []
    unplanned: list[int] = []
    for op in queue:
        if op.in_progress:
            ready: tuple[int, float] | None = t_now
        else:
            ready = line_ready.get(op.line_id, t_now)
            if ready is not None and ready < t_now:
                ready = t_now
        if ready is not None and op.not_before is not None:
            ready = max(ready, _coordinate(op.not_before, calendar, today, hours_per_day))
        if ready is None or op.centre_id not in workable:
            unplanned.append(op.task_id)
            line_ready[op.line_id] = None
            continue
        state = states[op.centre_id]
        need = max(float(op.minutes), 0.0) / 60
        day, within = ready
        if within >= 1.0:
            day, within = day + 1, 0.0
        cap, fill, used, room_of, holes = state.cap, state.fill, state.used, state.room, state.holes
        start: tuple[int, float] | None = None
        finish = (day, within)
        # Day after day from `ready` (on the ready day, only after it): first the idle
        # stretches the day has, then its free end.
        while need > EPS:
            found = room_of[day] if day < len(room_of) else -1
            if found != day:
                found = state.first_room(day)
                if found != day:
                    day, within = found, 0.0
                if day > MAX_DAYS:
                    break
            room = cap[day]
            low = within * room
            gaps = holes.get(day)
            if gaps:
                # The stretches lie in order of the day: skip those over before `ready`.
                index = bisect.bisect_right(gaps, low, key=_gap_end) if low > 0 else 0
                while index < len(gaps) and need > EPS:
                    left, right = gaps[index]
                    begin = left if left > low else low
                    if right - begin <= EPS:
                        index += 1
                        continue
                    take = need if need < right - begin else right - begin
                    if start is None:
                        start = (day, begin / room)
                    finish = (day, (begin + take) / room)
                    used[day] += take
                    need -= take
                    pieces = []
                    if begin - left > SHORTEST_HOLE:
                        pieces.append([left, begin])
                    if right - begin - take > SHORTEST_HOLE:
                        pieces.append([begin + take, right])
                    gaps[index : index + 1] = pieces
                    index += len(pieces)
                if not gaps:
                    del holes[day]
            position = fill[day]
            if need > EPS and position < room - EPS and low < room - EPS:
                if low > position:
                    if low - position > SHORTEST_HOLE:
                        gaps = holes.setdefault(day, [])
                        gaps.append([position, low])
                        if len(gaps) > HOLES_PER_DAY:  # the shortest is left idle
                            gaps.remove(min(gaps, key=lambda gap: gap[1] - gap[0]))
                    position = low
                take = need if need < room - position else room - position
                if start is None:
                    start = (day, position / room)
                fill[day] = position + take
                used[day] += take
                need -= take
                finish = (day, (position + take) / room)
            if fill[day] >= room - EPS and day not in holes:
                room_of[day] = day + 1
            if need > EPS:
                day += 1
                within = 0.0
        if need > EPS:
            unplanned.append(op.task_id)
            line_ready[op.line_id] = None
            continue
        # A start at the ready moment is that moment exactly (no rounding in between).
        start_day, start_share = start if start is not None else ready
        if (start_day, start_share) < ready:
            start_day, start_share = ready
        if op.in_progress:
            start_day, start_share = t_now
        day, end_share = finish
        waited = 0.0
        if (start_day, start_share) > ready:
            ready_day, ready_share = ready
            waited = (
                worked_before[start_day]
                + (start_share if working[start_day] else 0.0)
                - worked_before[ready_day]
                - (ready_share if working[ready_day] else 0.0)
            )
        placed.append(
            (
                op.task_id,
                start_day,
                start_share,
                day,
                end_share,
                max(waited, 0.0),
                op.centre_id,
                op.order_id,
                float(op.minutes) / 60,
            )
        )
        line_ready[op.line_id] = (day, end_share)

    mornings: dict[int, dt.datetime] = {}
    minutes_per_day = hours_per_day * 60

    into_day = [dt.timedelta(minutes=minute) for minute in range(round(minutes_per_day) + 1)]

    def moment(day: int, part: float) -> dt.datetime:
        morning = mornings.get(day)
        if morning is None:
            morning = mornings[day] = dt.datetime.combine(
                today + dt.timedelta(days=day), calendar.day_start, tzinfo=calendar.tz
            )
        return morning + into_day[round(part * minutes_per_day)]

    planned_ops: dict[int, PlannedOp] = {}
    finishes: dict[int, tuple[int, float]] = {}
    for task_id, s_day, s_part, f_day, f_part, waited, _c, order_id, _h in placed:
        planned_ops[task_id] = PlannedOp(
            task_id, moment(s_day, s_part), moment(f_day, f_part), waited * hours_per_day
        )
        best = finishes.get(order_id)
        if best is None or (f_day, f_part) > best:
            finishes[order_id] = (f_day, f_part)
    stuck = set(unplanned)
    blocked = {op.order_id for op in queue if op.task_id in stuck}

    order_plans: dict[int, OrderPlan] = {}
    late: dict[int, OrderPlan] = {}
    for order_id, (f_day, f_part) in sorted(finishes.items()):
        if order_id in blocked:
            continue
        info = order_info.get(order_id) or OrderInfo(order_id)
        ready_worked = days.worked(f_day, f_part)
        if info.lead_days > 0:
            d_day, d_part = days.at_worked(ready_worked + info.lead_days)
        else:
            d_day, d_part = f_day, f_part
        late_hours = 0.0
        if info.promised_date is not None:
            promised = (info.promised_date - today).days
            if d_day > promised:
                deadline = days.worked_by_evening(promised)
                late_hours = max(days.worked(d_day, d_part) - deadline, 0.0) * hours_per_day
        plan = OrderPlan(order_id, moment(f_day, f_part), moment(d_day, d_part), late_hours, None)
        order_plans[order_id] = plan
        if late_hours > 0:
            late[order_id] = plan
    if late:
        waits: dict[int, dict[int, list[float]]] = {order_id: {} for order_id in late}
        for *_rest, waited, centre_id, order_id, work in placed:
            if order_id in waits:
                total = waits[order_id].setdefault(centre_id, [0.0, 0.0])
                total[0] += waited
                total[1] += work
        for order_id, plan in late.items():
            centre_id = min(
                waits[order_id].items(), key=lambda item: (-item[1][0], -item[1][1], item[0])
            )[0]
            order_plans[order_id] = OrderPlan(
                order_id, plan.ready_at, plan.delivered_at, plan.late_hours, centre_id
            )

    load: list[DayLoad] = []
    for centre_id in sorted(states):
        state = states[centre_id]
        last = max((i for i, hours in enumerate(state.used) if hours > 0), default=-1)
        span = max(last + 1, horizon_days)
        state.ensure(span)
        for index in range(span):
            if state.cap[index] > 0 or state.used[index] > 0:
                load.append(
                    DayLoad(
                        centre_id,
                        today + dt.timedelta(days=index),
                        state.cap[index],
                        state.used[index],
                    )
                )
    return Plan(planned_ops, order_plans, load, unplanned)


def _coordinate(
    moment: dt.datetime, calendar: Calendar, today: dt.date, hours: float
) -> tuple[int, float]:
    """A moment as (day, share of it): before the day starts is its start, after it
    ends is its end."""
    local = moment.astimezone(calendar.tz)
    opens = dt.datetime.combine(local.date(), calendar.day_start, tzinfo=calendar.tz)
    share = (local - opens).total_seconds() / 3600 / hours
    return (local.date() - today).days, min(max(share, 0.0), 1.0)


def _gap_end(gap: list[float]) -> float:
    return gap[1]
