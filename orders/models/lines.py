"""An order's lines, as sold and as made."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.units import unit_label
from orders.models.common import CENT, ZERO, money_field
from orders.models.order import Order


class LineStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("line status", "Waiting")
    IN_PROGRESS = "in_progress", pgettext_lazy("line status", "In production")
    MADE = "made", pgettext_lazy("line status", "Made")


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
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
    def unit_shown(self) -> str:
        """The unit in the reader's language."""
        return unit_label(self.unit)

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
