from django.urls import path

from logistics import views

app_name = "logistics"

urlpatterns = [
    path("", views.deliveries, name="deliveries"),
    path("tasks/<int:pk>/complete/", views.delivery_complete_view, name="complete"),
    path("orders/<str:number>/details/", views.delivery_details, name="delivery_details"),
]
