"""The board's counters: orders and money per stage and manager."""

from __future__ import annotations

from django.db import models

from orders.models.common import ZERO
from orders.models.order import Stage


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
