"""Reads of the sales workspace, one module per subject: access, board, customers, order,
people, tasks. Import from those modules.

The names below are here only for web/orders/views/board.py, which another change is
rewriting and still reads them as `selectors.<name>`; drop them once it imports from the
modules above."""

from orders.selectors.access import (
    can_change_order,
    can_see_all_orders,
    can_see_money,
    can_use_board,
)
from orders.selectors.board import (
    CLOSED_PERIOD_DAYS,
    Column,
    Cursor,
    board_fingerprint,
    column_cards,
    order_list_for_board,
)
from orders.selectors.people import managers_for_filter

__all__ = [
    "CLOSED_PERIOD_DAYS",
    "Column",
    "Cursor",
    "board_fingerprint",
    "can_change_order",
    "can_see_all_orders",
    "can_see_money",
    "can_use_board",
    "column_cards",
    "managers_for_filter",
    "order_list_for_board",
]
