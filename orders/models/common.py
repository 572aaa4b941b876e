"""Money columns and the departments every other model refers to."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

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
