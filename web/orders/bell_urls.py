from django.urls import path

from web.orders import bell

app_name = "notifications"

urlpatterns = [
    path("", bell.notification_list, name="list"),
    path("<int:pk>/read/", bell.notification_read, name="read"),
    path("read-all/", bell.notification_read_all, name="read_all"),
]
