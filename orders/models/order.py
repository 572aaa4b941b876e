"""The order, its stages and the state machine that moves it between them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from orders.models.common import ZERO, money_field
from orders.models.customers import Customer


class Stage(models.TextChoices):
    NEW = "new", pgettext_lazy("stage", "New")
    QUALIFICATION = "qualification", _("Qualification")
    PREPAYMENT = "prepayment", _("Prepayment")
    PRODUCTION = "production", _("Production")
    POSTPAYMENT = "postpayment", _("Postpayment")
    DELIVERY_DETAILS = "delivery_details", _("Delivery details")
    DELIVERY = "delivery", _("Delivery")
    WON = "won", pgettext_lazy("stage", "Won")
    LOST = "lost", pgettext_lazy("stage", "Lost")


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

    name = models.CharField(max_length=32, verbose_name=_("name"))
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    last = models.PositiveIntegerField(default=0, verbose_name=_("last number"))

    class Meta:
        verbose_name = _("year counter")
        verbose_name_plural = _("year counters")
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
    # Indexed with the stage (order_customer_stage_idx), for a search's orders per column.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
        db_index=False,
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
    stage_escalated_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("stage escalated at")
    )

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
    lines_count = models.PositiveIntegerField(default=0, verbose_name=_("lines"))
    lines_made = models.PositiveIntegerField(default=0, verbose_name=_("lines made"))
    next_due_at = models.DateTimeField(_("nearest deadline"), null=True, blank=True)

    # The promise: the date the client was told the order will be delivered (or ready for
    # pickup). For an order waiting for its prepayment, promise_days is the promise counted
    # in working days from the payment, so a late payment moves the date by itself.
    promised_date = models.DateField(_("promised date"), null=True, blank=True)
    promise_days = models.PositiveSmallIntegerField(
        _("promised working days after payment"), null=True, blank=True
    )
    # The production schedule's view of the order (production.planning): when its last
    # operation is planned to finish, its priority (higher first, set by the head of
    # production), and since when it is at risk of missing the promise, and why.
    planned_ready_at = models.DateTimeField(_("planned ready"), null=True, blank=True)
    priority = models.SmallIntegerField(_("production priority"), default=0)
    at_risk_since = models.DateTimeField(_("at risk since"), null=True, blank=True)
    at_risk_reason = models.JSONField(
        default=dict, blank=True, editable=False, verbose_name=_("why at risk")
    )
    # Who holds the ball: seconds the order has waited on the client (prepayment,
    # postpayment, approval, pickup) in finished spells, and since when it waits now
    # (null while it is on us).
    client_seconds = models.PositiveBigIntegerField(_("seconds waiting on the client"), default=0)
    client_since = models.DateTimeField(_("waiting on the client since"), null=True, blank=True)

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
            # A column's cards newest first; the money included so that a narrowed board's
            # capped count of a period reads these indexes alone.
            models.Index(
                fields=["stage", "-created_at", "-id"],
                name="order_board_idx",
                include=["manager", "total_amount", "paid_amount"],
            ),
            models.Index(
                fields=["manager", "stage", "-created_at", "-id"],
                name="order_board_manager_idx",
                include=["total_amount", "paid_amount"],
            ),
            # The board's won/lost counters for a period (migration 0003_workspace_*).
            # Covering, so the count and sum of a period are read from the index alone. Not
            # partial: PostgreSQL cannot match `stage IN (...)` to a partial predicate on it.
            models.Index(
                fields=["stage", "stage_changed_at"],
                name="order_closed_idx",
                include=["manager", "total_amount"],
            ),
            # A search's orders: its clients' ids, one column at a time. Also the foreign
            # key's index.
            models.Index(fields=["customer", "stage"], name="order_customer_stage_idx"),
            # The overdue board's capped counts: a column's orders due before now, with
            # the money, read from the index alone. Only open orders have a deadline.
            models.Index(
                fields=["stage", "next_due_at"],
                name="order_overdue_idx",
                include=["manager", "total_amount", "paid_amount"],
                condition=Q(next_due_at__isnull=False),
            ),
            # The board's "at risk" filter: the few orders the schedule says will be late.
            models.Index(
                fields=["at_risk_since"],
                name="order_at_risk_idx",
                condition=Q(at_risk_since__isnull=False),
            ),
            models.Index(
                fields=["manager", "stage", "next_due_at"],
                name="order_overdue_manager_idx",
                include=["total_amount", "paid_amount"],
                condition=Q(next_due_at__isnull=False),
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

    # django-fsm types a condition's argument as any Model; it is the Order (or a board
    # Card carrying the same fields), hence the attr-defined ignores on the conditions.
    @transition(
        field=stage,
        source=Stage.QUALIFICATION,
        target=Stage.PREPAYMENT,
        conditions=[lambda o: o.needs_prepayment],  # type: ignore[attr-defined]
        custom={"manual": True, "label": _("Qualify")},
    )
    def qualify_for_prepayment(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=Stage.QUALIFICATION,
        target=Stage.PRODUCTION,
        conditions=[lambda o: not o.needs_prepayment],  # type: ignore[attr-defined]
        custom={"manual": True, "label": _("Qualify")},
    )
    def qualify_for_production(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=Stage.PREPAYMENT,
        target=Stage.PRODUCTION,
        conditions=[lambda o: o.prepayment_paid],  # type: ignore[attr-defined]
        custom={"manual": False, "label": _("Prepayment received")},
    )
    def start_production(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=Stage.PRODUCTION,
        target=Stage.POSTPAYMENT,
        conditions=[lambda o: o.lines_made == o.lines_count, lambda o: o.balance > 0],  # type: ignore[attr-defined]
        custom={"manual": False, "label": _("Production finished")},
    )
    def request_postpayment(self) -> None:
        self._entered()

    @transition(
        field=stage,
        source=[Stage.PRODUCTION, Stage.POSTPAYMENT],
        target=Stage.DELIVERY_DETAILS,
        conditions=[lambda o: o.lines_made == o.lines_count, lambda o: o.balance <= 0],  # type: ignore[attr-defined]
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
        custom={"manual": True, "label": pgettext_lazy("action", "Cancel")},
    )
    def cancel(self, reason: str) -> None:
        self.lost_reason = reason
        self._entered()
