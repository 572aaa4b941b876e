"""Products with their bill of materials and labour: what a thing costs us to make."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")


class Material(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    unit = models.CharField(_("unit"), max_length=16, default="pcs")
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A group of production staff that makes certain products (a workshop, a line)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="production_teams", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("production team")
        verbose_name_plural = _("production teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VatRate(models.TextChoices):
    """VAT on a product's sales, for fiscal receipts (54-ФЗ). Blank: the company's rate
    (settings.INVOICE_VAT_RATE), which is what most products of one company share."""

    COMPANY = "", _("The company's rate")
    NONE = "none", _("Without VAT")
    VAT0 = "0", _("VAT 0%")
    VAT5 = "5", _("VAT 5%")
    VAT7 = "7", _("VAT 7%")
    VAT10 = "10", _("VAT 10%")
    VAT20 = "20", _("VAT 20%")
    VAT22 = "22", _("VAT 22%")


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    unit = models.CharField(_("unit"), max_length=16, default="pcs")
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time, working days"), default=3)
    labour_minutes = models.PositiveIntegerField(_("labour, minutes per unit"), default=0)
    labour_rate = models.DecimalField(
        _("labour rate per hour"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    is_active = models.BooleanField(_("active"), default=True)
    vat_rate = models.CharField(
        _("VAT rate"), max_length=4, choices=VatRate.choices, default="", blank=True
    )
    # Production tasks of this product go to the team's members only (everybody when unset).
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("production team"),
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def labour_cost(self) -> Decimal:
        return (Decimal(self.labour_minutes) * self.labour_rate / 60).quantize(CENT)

    @property
    def material_cost(self) -> Decimal:
        total = sum(
            (item.quantity * item.material.unit_cost for item in self.bom.all()), Decimal(0)
        )
        return Decimal(total).quantize(CENT)

    @property
    def standard_cost(self) -> Decimal:
        """Cost of one unit: materials of the bill plus labour."""
        return self.material_cost + self.labour_cost


class BillOfMaterialsItem(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="bom", verbose_name=_("product")
    )
    material = models.ForeignKey(Material, on_delete=models.PROTECT, verbose_name=_("material"))
    quantity = models.DecimalField(_("quantity per unit"), max_digits=12, decimal_places=3)

    class Meta:
        verbose_name = _("bill of materials item")
        verbose_name_plural = _("bill of materials")
        constraints = [
            models.UniqueConstraint(fields=["product", "material"], name="bom_item_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bom_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.material} × {self.quantity.normalize()}"


class LineCost(models.Model):
    """What making an order line actually took, as recorded on the shop floor. The line's
    actual cost is materials + minutes at the product's labour rate; a part left blank is
    taken from the standard cost."""

    line = models.OneToOneField(
        "orders.OrderLine",
        on_delete=models.CASCADE,
        related_name="recorded_cost",
        verbose_name=_("line"),
    )
    materials_cost = models.DecimalField(
        _("materials used, cost"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    labour_minutes = models.PositiveIntegerField(_("minutes worked"), null=True, blank=True)
    labour_rate = models.DecimalField(_("labour rate per hour"), max_digits=10, decimal_places=2)
    total = models.DecimalField(_("actual cost"), max_digits=14, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(default=timezone.now, verbose_name=_("recorded at"))

    class Meta:
        verbose_name = _("actual cost of a line")
        verbose_name_plural = _("actual costs of lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(materials_cost__gte=0) | Q(materials_cost__isnull=True),
                name="line_cost_materials_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.total}"


class MarginSums(models.Model):
    """What the margin report adds up for a product over a span: lines made, their
    quantity, revenue and cost."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    quantity = models.DecimalField(_("quantity"), max_digits=20, decimal_places=3, default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=20, decimal_places=2, default=0)
    cost = models.DecimalField(_("cost"), max_digits=20, decimal_places=2, default=0)
    lines = models.IntegerField(_("lines"), default=0)

    class Meta:
        abstract = True


class MarginDay(MarginSums):
    """The margin report's roll-up: lines made per local day and product, orders lost left
    out. Kept by production.summaries as lines are made and orders lost, so the report
    reads a few rows per day of the period instead of every line."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("margin of a day")
        verbose_name_plural = _("margin by day")
        constraints = [
            # Also the report's index: a range of days, then the products of each.
            models.UniqueConstraint(fields=["day", "product"], name="margin_day_product_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.product_id}"


class MarginMonth(MarginSums):
    """The same roll-up per calendar month (`month` is its first day): a long period reads
    its whole months here and only the days at its ends from MarginDay."""

    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("margin of a month")
        verbose_name_plural = _("margin by month")
        constraints = [
            models.UniqueConstraint(fields=["month", "product"], name="margin_month_product_unique")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.product_id}"


class WorkCentre(models.Model):
    """A group of people or machines that does one kind of operation (a paint shop, a CNC
    router), with what it can do in a working day of the company's calendar."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    hours_per_day = models.DecimalField(
        _("capacity, hours per working day"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("8"),
        help_text=_("All its people or machines together, on a normal working day."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="work_centres",
        blank=True,
        verbose_name=_("people"),
    )

    class Meta:
        verbose_name = _("work centre")
        verbose_name_plural = _("work centres")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_per_day__gte=0) & Q(hours_per_day__lte=24 * 50),
                name="work_centre_hours_sane",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CapacityException(models.Model):
    """A day a work centre can do more or less than usual: a day off, a broken machine
    (0 hours), an extra shift."""

    work_centre = models.ForeignKey(
        WorkCentre,
        on_delete=models.CASCADE,
        related_name="exceptions",
        verbose_name=_("work centre"),
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(
        _("capacity, hours"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("0 when it does not work that day."),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("capacity exception")
        verbose_name_plural = _("capacity exceptions")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_centre", "date"], name="capacity_exception_unique"
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=0) & Q(hours__lte=24 * 50),
                name="capacity_exception_hours_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_centre}: {self.date} {self.hours} h"


class Operation(models.Model):
    """One step of a product's routing: what is done, where, and how long it takes."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="operations", verbose_name=_("product")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name = models.CharField(_("name"), max_length=100)
    work_centre = models.ForeignKey(
        WorkCentre,
        on_delete=models.PROTECT,
        related_name="operations",
        verbose_name=_("work centre"),
    )
    minutes_per_unit = models.DecimalField(
        _("standard minutes per unit"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    setup_minutes = models.PositiveIntegerField(_("set-up minutes"), default=0)

    class Meta:
        verbose_name = _("operation")
        verbose_name_plural = _("routing")
        ordering = ["product", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "position"], name="operation_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(minutes_per_unit__gte=0), name="operation_minutes_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    def minutes_for(self, quantity: Decimal) -> int:
        """Standard minutes to do this operation for `quantity` units, set-up included."""
        return int((self.setup_minutes + self.minutes_per_unit * quantity).to_integral_value())


class WorkCentreLoad(models.Model):
    """The schedule's result per work centre and day: the capacity of the day and the hours
    planned on it. Written by production.planning after each schedule run; the load view
    and the promised-date proposal read it."""

    work_centre = models.ForeignKey(
        WorkCentre, on_delete=models.CASCADE, related_name="loads", verbose_name=_("work centre")
    )
    day = models.DateField(_("day"))
    capacity_hours = models.DecimalField(
        _("capacity, hours"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    planned_hours = models.DecimalField(
        _("planned, hours"), max_digits=8, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("work centre load")
        verbose_name_plural = _("work centre load")
        ordering = ["work_centre", "day"]
        constraints = [
            models.UniqueConstraint(fields=["work_centre", "day"], name="work_centre_load_unique")
        ]

    def __str__(self) -> str:
        return f"{self.work_centre_id} {self.day}: {self.planned_hours}/{self.capacity_hours}"
