from django.urls import path

from web.production import views

app_name = "production"

urlpatterns = [
    path("", views.shop_floor, name="shop_floor"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/start/", views.task_start_view, name="task_start"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("tasks/<int:pk>/reassign/", views.task_reassign_view, name="task_reassign"),
    path("board/", views.board, name="board"),
    path("margin/", views.margin_report, name="margin_report"),
    path("margin.csv", views.margin_report_csv, name="margin_report_csv"),
]
