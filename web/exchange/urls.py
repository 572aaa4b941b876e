from django.urls import path

from web.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.exchange_1c, name="1c"),
]
