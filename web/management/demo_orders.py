"""The demo orders, told as stories (demo_data.STORIES) through the real services, so that
every timeline, task, invoice, payment and bell is one the app itself would have written.

The steps of all stories run in the order they happened, oldest first, so order and
invoice numbers grow with their dates. Each step runs now and is then moved back to its
moment: every timestamp it wrote is shifted by the same amount, and each deadline it set
keeps its working hours from that moment (unless it comes from a date the story chose, a
delivery day). Stories count in working days, so every step falls in working hours and a
deadline or a stage limit is passed only where the story means it to be."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce

from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Case, F, Max, OuterRef, Q, Subquery, When
from django.utils import timezone

from invoices.models import Invoice, InvoiceKind, Payment, PaymentSource
from logistics.models import Carrier
from orders.calendar import WorkingTime
from orders.models import (
    OPEN_TASK_STATUSES,
    Customer,
    DeliveryMethod,
    Notification,
    Order,
    OrderLine,
    PaymentScheme,
    Source,
    Stage,
    Task,
    TaskKind,
    TimelineEvent,
)
from orders.services.clocks import order_clocks_rebuild
from orders.services.orders import LineInput, order_update
from orders.services.tasks import task_start
from pipeline.orders import (
    order_cancel,
    order_comment,
    order_create,
    order_qualify,
    order_save_delivery_details,
    order_take_into_work,
)
from pipeline.payments import payment_register
from pipeline.promise import order_promise
from pipeline.work import task_complete
from production.models import LineCost, Product
from production.summaries import margin_days_rebuild
from web.management.demo_data import BUYERS, CUSTOMERS
from web.management.demo_stories import STORIES, Note, Story

FUNNEL = [
    Stage.NEW,
    Stage.QUALIFICATION,
    Stage.PREPAYMENT,
    Stage.PRODUCTION,
    Stage.POSTPAYMENT,
    Stage.DELIVERY_DETAILS,
    Stage.DELIVERY,
    Stage.WON,
]

# Hours between a step and the one before it, as a workshop's week goes; a story's steps
# are spread over its days in these proportions.
PACE = {
    "take": 1.5,
    "qualify": 20,
    "prepayment": 48,
    "line": 48,
    "start": 24,
    "balance": 24,
    "details": 12,
    "delivered": 48,
    "cancel": 24,
}

# When something happened, wherever a step wrote it: moved back with the step.
MOMENTS: dict[type[models.Model], tuple[str, ...]] = {
    Order: ("created_at", "updated_at", "stage_changed_at"),
    OrderLine: ("made_at",),
    Task: ("created_at", "started_at", "completed_at"),
    TimelineEvent: ("created_at", "sent_to_client_at", "notification_claimed_at"),
    Notification: ("created_at",),
    Invoice: (
        "issued_at",
        "paid_at",
        "voided_at",
        "pdf_queued_at",
        "pdf_rendered_at",
        "public_revoked_at",
    ),
    Payment: ("paid_at", "created_at"),
    LineCost: ("recorded_at",),
}


@dataclass
class Run:
    """One story being told: its order once created."""

    story: Story
    order: Order | None = None

    @property
    def current(self) -> Order:
        assert self.order is not None  # every step but the first follows the order's creation
        self.order = Order.objects.get(pk=self.order.pk)
        return self.order


@dataclass(order=True)
class Step:
    when: dt.datetime
    seq: int
    run: Run = field(compare=False)
    action: Callable[[Run], None] = field(compare=False)
    # The day the story chose for the delivery: its task is due by the end of that day.
    delivery_day: dt.date | None = field(default=None, compare=False)


class Teller:
    """Builds every story's steps and runs them in time order."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self.now = timezone.now()
        self.working_time = WorkingTime.load(around=self.now - dt.timedelta(days=60))
        self.products = {product.sku: product for product in Product.objects.all()}
        self.carriers = {carrier.name: carrier for carrier in Carrier.objects.all()}
        self.customers = {
            key: Customer.objects.get_or_create(
                email=email,
                defaults={"name": name, "phone": phone, "notes": notes, **BUYERS.get(key, {})},
            )[0]
            for key, (name, phone, email, notes) in CUSTOMERS.items()
        }
        self.seq = 0
        self.receipts = 412  # bank payment order numbers, growing with time

    def tell(self) -> list[Order]:
        runs = [Run(story) for story in STORIES]
        steps = sorted(step for run in runs for step in self._steps(run))
        for step in steps:
            self._run(step)
        # The client clocks ran at the real time of each step: set them from the moved moves.
        order_clocks_rebuild()
        orders = []
        for run in runs:
            order = run.current
            if order.stage != run.story.stage:
                raise RuntimeError(
                    f"Demo order {order.number} stopped in {order.stage}, not {run.story.stage}"
                )
            orders.append(order)
        # The steps moved made_at back after the roll-up had counted each line on its day.
        margin_days_rebuild()
        # A client is on file from their first order on.
        for customer in self.customers.values():
            first = customer.orders.order_by("created_at").first()
            if first is not None:
                Customer.objects.filter(pk=customer.pk).update(
                    created_at=first.created_at - dt.timedelta(minutes=5)
                )
        return orders

    # --------------------------------------------------------------- a story's steps
    def _steps(self, run: Run) -> list[Step]:
        story = run.story
        target = story.lost_in or story.stage
        reached = FUNNEL.index(target)

        def reaches(stage: Stage) -> bool:
            return reached >= FUNNEL.index(stage)

        plan: list[tuple[str, Callable[[Run], None]]] = []
        if reaches(Stage.QUALIFICATION):
            plan.append(("take", self._take))
        if reaches(Stage.PREPAYMENT):
            plan.append(("qualify", self._qualify))
        if reaches(Stage.PRODUCTION) and story.scheme != PaymentScheme.POSTPAYMENT:
            plan.append(("prepayment", self._pay_prepayment))
        lines_made = 0
        if target == Stage.PRODUCTION:
            lines_made = story.made
        elif reached > FUNNEL.index(Stage.PRODUCTION):
            lines_made = len(story.lines)
        for position in range(1, lines_made + 1):
            plan.append(("line", self._make_line(position)))
        if target == Stage.PRODUCTION and 0 < story.made < len(story.lines):
            plan.append(("start", self._start_line(story.made + 1)))
        if reaches(Stage.DELIVERY_DETAILS) and story.scheme != PaymentScheme.FULL_PREPAYMENT:
            plan.append(("balance", self._pay_balance))
        day = self._delivery_day(story, self._ago(self._hours(story.finished)))
        if reaches(Stage.DELIVERY):
            plan.append(("details", self._details_on(day)))
        if target == Stage.WON:
            plan.append(("delivered", self._deliver))
        if story.stage == Stage.LOST:
            plan.append(("cancel", self._cancel))

        # Creation times differ by up to two hours, so no two orders come in at once.
        jitter = (self.seq * 7 % 10) * 0.2 if story.started >= 1 else 0
        first = self._hours(story.started) + jitter
        last = self._hours(story.finished) + (self.seq * 3 % 7) * 0.15 * (story.finished >= 1)
        last = min(last, first)
        total = sum(PACE[kind] for kind, _action in plan) or 1
        steps = [self._step(self._ago(first), run, self._create)]
        elapsed = 0.0
        for kind, action in plan:
            elapsed += PACE[kind]
            when = self._ago(first - (first - last) * elapsed / total)
            steps.append(self._step(when, run, action, day=day if kind == "details" else None))
        for note in story.notes:
            steps.append(self._step(self._ago(self._hours(note.days_ago)), run, self._note(note)))
        return steps

    def _hours(self, working_days: float) -> float:
        return working_days * float(self.working_time.hours_per_day)

    def _ago(self, working_hours: float) -> dt.datetime:
        return self.working_time.subtract_hours(self.now, working_hours)

    def _step(self, when: dt.datetime, run: Run, action, *, day: dt.date | None = None) -> Step:
        self.seq += 1
        return Step(when, self.seq, run, action, day)

    def _delivery_day(self, story: Story, delivered_at: dt.datetime) -> dt.date:
        """The day the order leaves: the day it did (won), or the next working day (two
        for a carrier) for an order waiting in delivery."""
        if story.stage == Stage.WON:
            return timezone.localdate(delivered_at)
        day = timezone.localdate(self.now)
        for _ in range(2 if story.method == DeliveryMethod.CARRIER else 1):
            day += dt.timedelta(days=1)
            while not self.working_time.is_working_day(day):
                day += dt.timedelta(days=1)
        return day

    # --------------------------------------------------------------- the actions
    def _create(self, run: Run) -> None:
        story = run.story
        manager = self.users[story.manager]
        run.order = order_create(
            customer=self.customers[story.customer],
            lines=[
                LineInput(product=self.products[sku], quantity=Decimal(quantity))
                for sku, quantity in story.lines
            ],
            source=story.source,
            actor=None if story.source == Source.WEB_SHOP else manager,
            manager=manager,
            delivery_method=story.method,
            delivery_address=story.address,
            comment=story.client_comment,
        )

    def _take(self, run: Run) -> None:
        order_take_into_work(order=run.current, actor=self.users[run.story.manager])

    def _qualify(self, run: Run) -> None:
        story, manager = run.story, self.users[run.story.manager]
        order = order_update(
            order=run.current,
            actor=manager,
            payment_scheme=story.scheme,
            prepayment_amount=Decimal(story.prepayment) if story.prepayment else None,
            delivery_cost=None if story.delivery_cost is None else Decimal(story.delivery_cost),
        )
        order_promise(order=order, actor=manager)
        order_qualify(order=order, actor=manager)

    def _pay_prepayment(self, run: Run) -> None:
        invoice = run.current.invoices.get(kind=InvoiceKind.PREPAYMENT)
        self.receipts += 7
        payment_register(
            invoice=invoice,
            amount=invoice.amount,
            source=PaymentSource.MANUAL,
            actor=self.users["accountant"],
            reference=f"п/п № {self.receipts}",
        )

    def _pay_balance(self, run: Run) -> None:
        order = run.current
        invoice = order.invoices.get(kind=InvoiceKind.POSTPAYMENT)
        self.receipts += 7
        payment_register(
            invoice=invoice,
            amount=invoice.amount,
            source=PaymentSource.ACCOUNTING,
            reference=f"п/п № {self.receipts}",
            external_id=f"1С-{order.number}",
        )

    def _line_task(self, run: Run, position: int) -> Task | None:
        """The line's task to do now: its only one, or its routing's open operation."""
        return (
            Task.objects.filter(
                order=run.current,
                kind=TaskKind.PRODUCE_LINE,
                line__position=position,
                status__in=OPEN_TASK_STATUSES,
            )
            .order_by("step", "id")
            .first()
        )

    def _make_line(self, position: int) -> Callable[[Run], None]:
        def action(run: Run) -> None:
            task = self._line_task(run, position)
            while task is not None:  # each operation of a routing in turn
                assert task.assignee is not None  # the demo's shop floor is at work
                task_complete(task=task, actor=task.assignee)
                task = self._line_task(run, position)

        return action

    def _start_line(self, position: int) -> Callable[[Run], None]:
        def action(run: Run) -> None:
            task = self._line_task(run, position)
            assert task is not None and task.assignee is not None
            if task.step:  # a routing: its first operation done, the next one begun
                task_complete(task=task, actor=task.assignee)
                task = self._line_task(run, position)
                assert task is not None
            worker = task.assignee
            assert worker is not None  # the demo's shop floor is at work
            task_start(task=task, actor=worker)

        return action

    def _details_on(self, day: dt.date) -> Callable[[Run], None]:
        def action(run: Run) -> None:
            story, manager = run.story, self.users[run.story.manager]
            if story.method == DeliveryMethod.PICKUP:
                order_save_delivery_details(order=run.current, actor=manager, pickup_date=day)
                return
            order_save_delivery_details(
                order=run.current,
                actor=manager,
                planned_ship_date=day,
                carrier=self.carriers[story.carrier] if story.carrier else None,
            )

        return action

    def _deliver(self, run: Run) -> None:
        order = run.current
        task = Task.objects.get(order=order, kind=TaskKind.DELIVER, status__in=OPEN_TASK_STATUSES)
        assert task.assignee is not None  # the demo always has a logistician present
        tracking = f"{1_600_000_000 + order.pk * 7919}" if order.carrier_id else ""
        task_complete(
            task=task,
            actor=task.assignee,
            shipped_on=order.planned_ship_date or order.pickup_date,
            tracking_number=tracking,
        )

    def _cancel(self, run: Run) -> None:
        order_cancel(
            order=run.current, actor=self.users[run.story.manager], reason=run.story.reason
        )

    def _note(self, note: Note) -> Callable[[Run], None]:
        def action(run: Run) -> None:
            order_comment(order=run.current, actor=self.users[note.author], text=note.text)

        return action

    # --------------------------------------------------------------- the clock
    def _run(self, step: Step) -> None:
        mark = timezone.now()
        last_task = Task.objects.aggregate(last=Max("pk"))["last"] or 0
        last_invoice = Invoice.objects.aggregate(last=Max("pk"))["last"] or 0
        with transaction.atomic():
            step.action(step.run)
        delta = step.when - mark
        for model, names in MOMENTS.items():  # one UPDATE a table
            touched = [Q(**{f"{name}__gte": mark}) for name in names]
            model._default_manager.filter(reduce(operator.or_, touched)).update(
                **{
                    name: Case(When(touched[i], then=F(name) + delta), default=F(name))
                    for i, name in enumerate(names)
                }
            )
        for task in Task.objects.filter(pk__gt=last_task).only("kind", "due_at"):
            if task.kind == TaskKind.DELIVER and step.delivery_day is not None:
                # As logistics sets it for a day still ahead (it was, at the step's moment).
                task.due_at = self.working_time.end_of_day(step.delivery_day)
            else:
                # The working hours the service gave the task, counted from the step's moment.
                hours = self.working_time.working_hours_between(mark, task.due_at)
                task.due_at = self.working_time.add_hours(step.when, hours)
            task.save(update_fields=["due_at"])
        days = dt.timedelta(days=(timezone.localdate(step.when) - timezone.localdate(mark)).days)
        for invoice in Invoice.objects.filter(pk__gt=last_invoice, due_date__isnull=False):
            assert invoice.due_date is not None
            invoice.due_date += days
            if invoice.expires_at is not None:
                invoice.expires_at += days
            invoice.save(update_fields=["due_date", "expires_at"])
        assert step.run.order is not None
        nearest = Task.objects.filter(order=OuterRef("pk"), status__in=OPEN_TASK_STATUSES)
        Order.objects.filter(pk=step.run.order.pk).update(
            next_due_at=Subquery(nearest.order_by("due_at").values("due_at")[:1])
        )
