"""Orders: customers, the order and its stage machine, lines, tasks, timeline, calendar."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.phones import PhoneError, phone_display, phone_normalize, phone_storable
from core.texts import Msg, msg_text

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def money_field(**kwargs) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class Department(models.TextChoices):
    SALES = "sales", _("Sales")
    PRODUCTION = "production", _("Production")
    LOGISTICS = "logistics", _("Logistics")
    ACCOUNTING = "accounting", _("Accounting")


class Customer(models.Model):
    class Language(models.TextChoices):
        RU = "ru", _("Russian")
        EN = "en", _("English")

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.RU
    )
    do_not_notify = models.BooleanField(_("do not notify"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Whatever path writes a client, a valid phone is stored in one form, so equal
        # phones compare equal; forms and the API refuse an invalid one before this.
        self.phone = phone_storable(self.phone)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            self.phone = phone_normalize(self.phone)
        except PhoneError as error:
            raise ValidationError({"phone": str(error)}) from None

    @property
    def phone_display(self) -> str:
        return phone_display(self.phone)


class StaffProfile(models.Model):
    """What the robots need to know about a member of staff."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    is_present = models.BooleanField(
        _("present"), default=True, help_text=_("Absent staff get no new orders or tasks.")
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Round robin on ties: whoever got work least recently goes first.
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)


class Stage(models.TextChoices):
    NEW = "new", _("New")
    QUALIFICATION = "qualification", _("Qualification")
    PREPAYMENT = "prepayment", _("Prepayment")
    PRODUCTION = "production", _("Production")
    POSTPAYMENT = "postpayment", _("Postpayment")
    DELIVERY_DETAILS = "delivery_details", _("Delivery details")
    DELIVERY = "delivery", _("Delivery")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


OPEN_STAGES = [
    Stage.NEW,
    Stage.QUALIFICATION,
    Stage.PREPAYMENT,
    Stage.PRODUCTION,
    Stage.POSTPAYMENT,
    Stage.DELIVERY_DETAILS,
    Stage.DELIVERY,
]
CLOSED_STAGES = [Stage.WON, Stage.LOST]


class PaymentScheme(models.TextChoices):
    FULL_PREPAYMENT = "full_prepayment", _("Full prepayment")
    PARTIAL_PREPAYMENT = "partial_prepayment", _("Partial prepayment")
    POSTPAYMENT = "postpayment", _("Postpayment")


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("Pickup")
    COURIER = "courier", _("Own courier")
    CARRIER = "carrier", _("Carrier company")


class Source(models.TextChoices):
    WEB_SHOP = "web_shop", _("Web shop")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")


class YearCounter(models.Model):
    """Gapless sequences per year: the row is locked and bumped in the caller's transaction."""

    name = models.CharField(max_length=32)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "year"], name="year_counter_unique")]

    def __str__(self) -> str:
        return f"{self.name} {self.year}: {self.last}"


class OrderQuerySet(models.QuerySet):
    def open(self) -> OrderQuerySet:
        return self.filter(stage__in=OPEN_STAGES)

    def with_money(self) -> OrderQuerySet:
        """Balance and margin for lists, from the amounts every service keeps current."""
        return self.annotate(
            balance=F("total_amount") - F("paid_amount"),
            margin=F("lines_total") - F("cost_amount"),
        )


class Order(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_orders",
        verbose_name=_("manager"),
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # The key of the outside system that sent the order in (the intake API); what that key
    # may read back.
    api_key = models.ForeignKey(
        "ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("API key"),
    )
    stage = FSMField(
        _("stage"), default=Stage.NEW, choices=Stage.choices, protected=True, db_index=True
    )
    stage_changed_at = models.DateTimeField(_("in stage since"), default=timezone.now)
    # Set once the stage-limit escalation went out; cleared on every stage change.
    stage_escalated_at = models.DateTimeField(null=True, blank=True)

    payment_scheme = models.CharField(
        _("payment scheme"), max_length=24, choices=PaymentScheme.choices, blank=True
    )
    prepayment_amount = money_field(verbose_name=_("prepayment"))
    currency = models.CharField(_("currency"), max_length=3, default="RUB")

    delivery_method = models.CharField(
        _("delivery method"),
        max_length=16,
        choices=DeliveryMethod.choices,
        default=DeliveryMethod.PICKUP,
    )
    delivery_cost = models.DecimalField(
        _("delivery cost"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    delivery_address = models.TextField(_("delivery address"), blank=True)
    carrier = models.ForeignKey(
        "logistics.Carrier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("carrier"),
    )
    planned_ship_date = models.DateField(_("planned shipping date"), null=True, blank=True)
    pickup_date = models.DateField(_("pickup date"), null=True, blank=True)
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)

    comment = models.TextField(_("client's comment"), blank=True)
    lost_reason = models.TextField(_("reason lost"), blank=True)

    # Money and progress, recomputed by orders.services.order_recalculate on every change
    # so lists and the board read them without aggregating lines and payments.
    lines_total = money_field(verbose_name=_("lines total"))
    total_amount = money_field(verbose_name=_("total"))
    paid_amount = money_field(verbose_name=_("paid"))
    cost_amount = money_field(verbose_name=_("production cost"))
    lines_count = models.PositiveIntegerField(default=0)
    lines_made = models.PositiveIntegerField(default=0)
    next_due_at = models.DateTimeField(_("nearest deadline"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("view_all_orders", _("Can see and work on every manager's orders")),
            ("view_money", _("Can see prices, totals and payments")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="order_external_id_unique_per_source",
            ),
            models.CheckConstraint(
                condition=Q(prepayment_amount__gte=0), name="order_prepayment_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "-created_at", "-id"], name="order_board_idx"),
            models.Index(
                fields=["manager", "stage", "-created_at", "-id"], name="order_board_manager_idx"
            ),
            # The board's won/lost counters for a period (migration 0003_workspace_*).
            # Covering, so the count and sum of a period are read from the index alone. Not
            # partial: PostgreSQL cannot match `stage IN (...)` to a partial predicate on it.
            models.Index(
                fields=["stage", "stage_changed_at"],
                name="order_closed_idx",
                include=["manager", "total_amount"],
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", args=[self.number])

    # Money of one order; lists use OrderQuerySet.with_money().
    @property
    def balance(self) -> Decimal:
        """What the client still owes; nothing on a lost order (what it paid is owed back)."""
        if self.stage == Stage.LOST:
            return ZERO
        return self.total_amount - self.paid_amount

    @property
    def margin(self) -> Decimal:
        return self.lines_total - self.cost_amount

    @property
    def owed_back(self) -> Decimal:
        """Money received on a cancelled order is owed back to the client."""
        if self.stage == Stage.LOST and self.paid_amount > 0:
            return self.paid_amount
        return ZERO

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def needs_prepayment(self) -> bool:
        return self.prepayment_amount > 0

    @property
    def prepayment_paid(self) -> bool:
        return self.paid_amount >= self.prepayment_amount

    # The funnel. Transitions change only the order's own fields; services check the
    # guards (with messages), lock the row, and do everything else.
    def _entered(self) -> None:
        self.stage_changed_at = timezone.now()
        self.stage_escalated_at = None

    @transition(
        field=stage,
        source=Stage.NEW,
        target=Stage.QUALIFICATION,
        custom={"manual": True, "label": _("Take into work")},
    )
    def take_into_work(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=Stage.QUALIFICATION,
        target=Stage.PREPAYMENT,
        conditions=[lambda o: o.needs_prepayment],
        custom={"manual": True, "label": _("Qualify")},
    )
    def qualify_for_prepayment(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=Stage.QUALIFICATION,
        target=Stage.PRODUCTION,
        conditions=[lambda o: not o.needs_prepayment],
        custom={"manual": True, "label": _("Qualify")},
    )
    def qualify_for_production(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=Stage.PREPAYMENT,
        target=Stage.PRODUCTION,
        conditions=[lambda o: o.prepayment_paid],
        custom={"manual": False, "label": _("Prepayment received")},
    )
    def start_production(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=Stage.PRODUCTION,
        target=Stage.POSTPAYMENT,
        conditions=[lambda o: o.lines_made == o.lines_count, lambda o: o.balance > 0],
        custom={"manual": False, "label": _("Production finished")},
    )
    def request_postpayment(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=[Stage.PRODUCTION, Stage.POSTPAYMENT],
        target=Stage.DELIVERY_DETAILS,
        conditions=[lambda o: o.lines_made == o.lines_count, lambda o: o.balance <= 0],
        custom={"manual": False, "label": _("Paid and made")},
    )
    def request_delivery_details(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=Stage.DELIVERY_DETAILS,
        target=Stage.DELIVERY,
        custom={"manual": True, "label": _("Save delivery details")},
    )
    def start_delivery(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=Stage.DELIVERY,
        target=Stage.WON,
        custom={"manual": False, "label": _("Delivered")},
    )
    def win(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=OPEN_STAGES,
        target=Stage.LOST,
        custom={"manual": True, "label": _("Cancel")},
    )
    def cancel(self, reason: str) -> None:
        self.lost_reason = reason
        self._entered()


class LineStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    IN_PROGRESS = "in_progress", _("In production")
    MADE = "made", _("Made")


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey(
        "production.Product", on_delete=models.PROTECT, verbose_name=_("product")
    )
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    unit = models.CharField(_("unit"), max_length=16, default="pcs")
    price = money_field(verbose_name=_("price"))
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    discount = money_field(verbose_name=_("discount"), help_text=_("Amount off the line."))
    unit_cost = models.DecimalField(
        _("standard unit cost"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    actual_cost = models.DecimalField(
        _("actual cost of the line"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("production status"),
        max_length=16,
        choices=LineStatus.choices,
        default=LineStatus.PENDING,
    )
    made_at = models.DateTimeField(_("made at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="line_price_not_negative"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="line_discount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity.normalize():f}"

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.price - self.discount).quantize(CENT)

    @property
    def cost(self) -> Decimal:
        """Actual cost where production recorded it, the standard cost otherwise."""
        if self.actual_cost is not None:
            return self.actual_cost
        if self.unit_cost is None:
            return ZERO
        return (self.unit_cost * self.quantity).quantize(CENT)

    @property
    def margin(self) -> Decimal:
        return self.amount - self.cost


class TaskKind(models.TextChoices):
    TAKE_INTO_WORK = "take_into_work", _("Take into work")
    PRODUCE_LINE = "produce_line", _("Produce line")
    DELIVER = "deliver", _("Deliver")
    CUSTOM = "custom", _("Custom")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_TASK_STATUSES = [TaskStatus.OPEN, TaskStatus.IN_PROGRESS]


class TaskQuerySet(models.QuerySet):
    def open(self) -> TaskQuerySet:
        return self.filter(status__in=OPEN_TASK_STATUSES)


class Task(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tasks")
    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=255)
    # A title the system wrote, as message and arguments (orders.texts.Msg): each reader
    # sees it in their own language. Empty for a title a person typed.
    title_msg = models.JSONField(default=dict, blank=True, editable=False)
    department = models.CharField(_("department"), max_length=16, choices=Department.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    due_at = models.DateTimeField(_("deadline"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    # Claimed with a conditional UPDATE by the deadline job so each goes out once.
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        permissions = [("reassign_task", _("Can reassign tasks"))]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="task_open_due_idx",
                condition=Q(status__in=["open", "in_progress"]),
            ),
            models.Index(
                fields=["assignee", "due_at"],
                name="task_open_assignee_idx",
                condition=Q(status__in=["open", "in_progress"]),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return msg_text(self.title, {"msg": self.title_msg})

    @property
    def title_text(self):
        """The title as a message argument: a Msg when the system wrote it."""
        return Msg.from_data(self.title_msg) if self.title_msg else self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    def get_work_url(self) -> str:
        """Where the task is done: a shipment is recorded on the deliveries page (date and
        tracking number), everything else from the order's page."""
        if self.kind == TaskKind.DELIVER:
            return reverse("logistics:deliveries") + f"#task-{self.pk}"
        return reverse("orders:detail", args=[self.order.number])


class EventKind(models.TextChoices):
    CREATED = "created", _("Order created")
    STAGE = "stage", _("Stage changed")
    COMMENT = "comment", _("Comment")
    NOTIFICATION = "notification", _("Notification")
    PAYMENT = "payment", _("Payment")
    INVOICE = "invoice", _("Invoice")
    TASK = "task", _("Task")
    PRODUCTION = "production", _("Production")
    DELIVERY = "delivery", _("Delivery")


class NotificationStatus(models.TextChoices):
    NONE = "", "—"
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent: client asked not to be notified")


class TimelineEvent(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(blank=True)
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Whether (and how) this event reached the client.
    sent_to_client_at = models.DateTimeField(null=True, blank=True)
    notification_status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, blank=True
    )
    # When a worker took the e-mail to send; a claim older than the send's time limit is
    # taken as lost with its worker and may be claimed again.
    notification_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What the client's e-mail waits for before it may go, e.g. "invoice-pdf:42" (the PDF it
    # carries); empty when nothing. The task that makes it (or the sweep) releases it.
    awaiting = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["order", "created_at"], name="event_order_idx"),
            models.Index(
                fields=["notification_claimed_at"],
                name="event_email_sending_idx",
                condition=Q(notification_status="sending"),
            ),
            # The sweep's look for queued e-mails the broker lost.
            models.Index(
                fields=["created_at"],
                name="event_email_queued_idx",
                condition=Q(notification_status="queued"),
            ),
            # E-mails held for their attachment, found by what they wait for.
            models.Index(
                fields=["awaiting"],
                name="event_email_awaiting_idx",
                condition=Q(notification_status="queued") & ~Q(awaiting=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_kind_display()}"

    @property
    def display_text(self) -> str:
        """The text in the reader's language (what the system wrote is kept as a message);
        people's own words as they wrote them."""
        return msg_text(self.text, self.data)


class Notification(models.Model):
    """An in-app message to a member of staff (the bell)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, blank=True)
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.text


class WorkingCalendar(models.Model):
    """The company's working hours; one row, edited in admin."""

    day_start = models.TimeField(_("working day starts"), default=dt.time(9, 0))
    day_end = models.TimeField(_("working day ends"), default=dt.time(18, 0))
    monday = models.BooleanField(_("Monday"), default=True)
    tuesday = models.BooleanField(_("Tuesday"), default=True)
    wednesday = models.BooleanField(_("Wednesday"), default=True)
    thursday = models.BooleanField(_("Thursday"), default=True)
    friday = models.BooleanField(_("Friday"), default=True)
    saturday = models.BooleanField(_("Saturday"), default=False)
    sunday = models.BooleanField(_("Sunday"), default=False)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendar")

    def __str__(self) -> str:
        return str(_("Working calendar"))

    @classmethod
    def load(cls) -> WorkingCalendar:
        calendar, _created = cls.objects.get_or_create(pk=1)
        return calendar

    @property
    def weekdays(self) -> set[int]:
        flags = [
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        ]
        return {day for day, on in enumerate(flags) if on}


class Holiday(models.Model):
    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    is_working_day = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Tick for a weekend day that is worked (a moved working day)."),
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class TaskSLA(models.Model):
    kind = models.CharField(_("task kind"), max_length=20, choices=TaskKind.choices, unique=True)
    working_hours = models.DecimalField(_("working hours"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("task deadline (SLA)")
        verbose_name_plural = _("task deadlines (SLA)")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.working_hours} h"


class StageLimit(models.Model):
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, unique=True)
    working_hours = models.DecimalField(_("working hours"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("stage time limit")
        verbose_name_plural = _("stage time limits")

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.working_hours} h"


class ApiScope(models.TextChoices):
    """What a key may do; each API operation requires one."""

    INTAKE = "intake", _("intake: create orders")
    ACCOUNTING = "accounting", _("accounting: record payments, read any order")
    READ = "read", _("read: the status of orders")


class ApiKey(models.Model):
    """A key of an outside system (the web shop, accounting). Only its hash is stored."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    # A list of ApiScope values. JSON rather than an array: SQLite serves development.
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def reads_any_order(self) -> bool:
        """Accounting pays invoices of any order, so its key reads any order; any other key
        reads only the orders it brought in."""
        return self.allows(ApiScope.ACCOUNTING)


# ----------------------------------------------------------------------------- board counters


class BoardCounter(models.Model):
    """How many orders each manager has in each stage, and their money. A database trigger
    on the order table (migration 0003_workspace_board_counters) keeps every row current in
    the same transaction as the write, whatever made it (services, admin, bulk loads), so
    the board reads at most stages × managers rows instead of counting the orders."""

    stage = models.CharField(max_length=20, choices=Stage.choices)
    # The manager's id; 0 for orders nobody manages yet (NULL cannot be part of the key).
    manager_key = models.BigIntegerField()
    orders = models.BigIntegerField(default=0)
    total = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    balance = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    # Bumped on every write to an order of this stage and manager: open boards compare
    # the sum of versions to learn, in one small query, whether anything changed.
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stage", "manager_key"], name="board_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.stage}/{self.manager_key}: {self.orders}"


# ----------------------------------------------------------------------------- background work


class Work(models.Model):
    """A unit of background work (a task and its arguments) that the database must keep an
    eye on: one that failed and waits for its next attempt, one the sweep re-queued and
    holds under a lease, one that has no other row saying it is pending (a payment link to
    cancel), or one that failed WORK_MAX_ATTEMPTS times: a dead letter, which nothing retries
    until someone does it from the admin. The row goes away when the task succeeds."""

    task = models.CharField(_("task"), max_length=200)
    # The task's first argument (or a digest of all of them): one row per unit of work.
    key = models.CharField(_("key"), max_length=64)
    args = models.JSONField(_("arguments"), default=list)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    # When the sweep queues it (again): the time of the next retry, or the end of a lease.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    failed_at = models.DateTimeField(_("failed for good"), null=True, blank=True)
    # The accountants were e-mailed about this dead letter (claimed with a conditional UPDATE).
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("background work")
        verbose_name_plural = _("background work")
        ordering = ["-failed_at", "next_attempt_at", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "key"], name="work_unique")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="work_due_idx",
                condition=Q(failed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}({self.key})"
