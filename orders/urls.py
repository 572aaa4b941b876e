from django.urls import path

from orders import api, views

app_name = "orders"

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/<str:number>/", views.order_detail, name="detail"),
    path("api/v1/orders/", api.intake, name="api_intake"),
    path("api/v1/orders/<str:number>/", api.order_status, name="api_status"),
]
