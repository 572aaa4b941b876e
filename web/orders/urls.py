from django.urls import path

from web import accounts
from web.orders import views

app_name = "orders"

urlpatterns = [
    path("", views.board, name="home"),
    path("board/", views.board, name="board"),
    path("board/column/<str:stage>/", views.board_column, name="column"),
    path("orders/new/", views.order_new, name="new"),
    path("orders/<str:number>/", views.order_detail, name="detail"),
    path("orders/<str:number>/edit/", views.order_edit, name="edit"),
    path("orders/<str:number>/move/", views.order_move, name="move"),
    path("orders/<str:number>/take/", views.order_take, name="take"),
    path("orders/<str:number>/qualify/", views.order_qualify_now, name="qualify"),
    path("orders/<str:number>/cancel/", views.order_cancel_view, name="cancel"),
    path("orders/<str:number>/promise/", views.order_promise_view, name="promise"),
    path("orders/<str:number>/priority/", views.order_priority_view, name="priority"),
    path(
        "orders/<str:number>/priority/preview/<str:token>/",
        views.order_priority_preview,
        name="priority_preview",
    ),
    path("orders/<str:number>/hand-over/", views.order_hand_over_view, name="hand_over"),
    path("orders/<str:number>/comment/", views.order_comment_view, name="comment"),
    path("orders/<str:number>/events/<int:event_id>/send/", views.event_send, name="event_send"),
    path("orders/<str:number>/payments/", views.payment_add, name="payment_add"),
    path(
        "orders/<str:number>/payments/<int:payment_id>/reverse/",
        views.payment_reverse_view,
        name="payment_reverse",
    ),
    path(
        "orders/<str:number>/payments/<int:payment_id>/refund/",
        views.payment_refund_view,
        name="payment_refund",
    ),
    path("customers/search/", views.customer_search, name="customer_search"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:task_id>/done/", views.task_done, name="task_done"),
    path("tasks/<int:task_id>/reassign/", views.task_reassign_view, name="task_reassign"),
    path("account/password/", accounts.password_change, name="password_change"),
    path("account/language/", accounts.language_set, name="language"),
]
