"""Pages of the sales workspace: the board, the order page, new order, my tasks.

One small view per action: fetch with an access helper, validate a form, call one
service, render. Refusals carry the service's own message (409 on the board)."""

from web.orders.views.board import board, board_column, order_move
from web.orders.views.common import CHANGE_REFUSED, SAVED_NOT_QUALIFIED, order_for_user
from web.orders.views.order import (
    event_send,
    order_cancel_view,
    order_comment_view,
    order_detail,
    order_hand_over_view,
    order_qualify_now,
    order_take,
    payment_add,
    payment_refund_view,
    payment_reverse_view,
)
from web.orders.views.promise import (
    order_priority_preview,
    order_priority_view,
    order_promise_view,
)
from web.orders.views.qualification import customer_search, order_edit, order_new
from web.orders.views.tasks import ONE_CLICK_TASKS, my_tasks, task_done, task_reassign_view

__all__ = [
    "CHANGE_REFUSED",
    "ONE_CLICK_TASKS",
    "SAVED_NOT_QUALIFIED",
    "board",
    "board_column",
    "customer_search",
    "event_send",
    "my_tasks",
    "order_cancel_view",
    "order_comment_view",
    "order_detail",
    "order_edit",
    "order_for_user",
    "order_hand_over_view",
    "order_move",
    "order_new",
    "order_priority_preview",
    "order_priority_view",
    "order_promise_view",
    "order_qualify_now",
    "order_take",
    "payment_add",
    "payment_refund_view",
    "payment_reverse_view",
    "task_done",
    "task_reassign_view",
]
