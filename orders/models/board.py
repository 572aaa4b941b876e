"""The board's counters: orders and money per stage and manager."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from orders.models.common import ZERO
from orders.models.order import Stage


class BoardCounter(models.Model):
    """How many orders each manager has in each stage, and their money. A database trigger
    on the order table (migration 0003_workspace_board_counters) keeps every row current in
    the same transaction as the write, whatever made it (services, admin, bulk loads), so
    the board reads at most stages × managers rows instead of counting the orders."""

    stage = models.CharField(max_length=20, choices=Stage.choices, verbose_name=_("stage"))
    # The manager's id; 0 for orders nobody manages yet (NULL cannot be part of the key).
    manager_key = models.BigIntegerField(verbose_name=_("manager key"))
    orders = models.BigIntegerField(default=0, verbose_name=_("orders"))
    total = models.DecimalField(
        max_digits=18, decimal_places=2, default=ZERO, verbose_name=_("total")
    )
    balance = models.DecimalField(
        max_digits=18, decimal_places=2, default=ZERO, verbose_name=_("balance")
    )
    # Bumped on every write to an order of this stage and manager: open boards compare
    # the sum of versions to learn, in one small query, whether anything changed.
    version = models.BigIntegerField(default=0, verbose_name=_("version"))

    class Meta:
        verbose_name = _("board counter")
        verbose_name_plural = _("board counters")
        constraints = [
            models.UniqueConstraint(fields=["stage", "manager_key"], name="board_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.stage}/{self.manager_key}: {self.orders}"


class ClosedDayCounter(models.Model):
    """Won and lost orders per day they closed (in the company's time zone), stage and
    manager, with their money. The same trigger as the board counters keeps every row
    current (migration 0015_closed_day_counters), so the board's "won and lost in the last
    N days" sums at most N × 2 × managers rows, however many orders closed in the period."""

    day = models.DateField(verbose_name=_("day"))
    stage = models.CharField(max_length=20, choices=Stage.choices, verbose_name=_("stage"))
    # As on BoardCounter: the manager's id, 0 for orders nobody manages.
    manager_key = models.BigIntegerField(verbose_name=_("manager key"))
    orders = models.BigIntegerField(default=0, verbose_name=_("orders"))
    total = models.DecimalField(
        max_digits=18, decimal_places=2, default=ZERO, verbose_name=_("total")
    )

    class Meta:
        verbose_name = _("closed orders of a day")
        verbose_name_plural = _("closed orders per day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "stage", "manager_key"], name="closed_day_counter_unique"
            )
        ]
        indexes = [models.Index(fields=["manager_key", "day"], name="closed_day_manager_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.stage}/{self.manager_key}: {self.orders}"
