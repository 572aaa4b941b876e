from django.urls import path

from web.production import views

app_name = "production"

urlpatterns = [
    path("", views.shop_floor, name="shop_floor"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/start/", views.task_start_view, name="task_start"),
    path("tasks/<int:pk>/pause/", views.task_pause_view, name="task_pause"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("tasks/<int:pk>/reassign/", views.task_reassign_view, name="task_reassign"),
    path("board/", views.board, name="board"),
    path("orders/<str:number>/ticket.pdf", views.job_ticket, name="job_ticket"),
    path("load/", views.load, name="load"),
    path("load/centres/<int:pk>/", views.load_queue, name="load_queue"),
    path("margin/", views.margin_report, name="margin_report"),
    path("margin.csv", views.margin_report_csv, name="margin_report_csv"),
]
