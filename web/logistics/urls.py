from django.urls import path

from web.logistics import views

app_name = "logistics"

urlpatterns = [
    path("", views.deliveries, name="deliveries"),
    path("tasks/<int:pk>/complete/", views.delivery_complete_view, name="complete"),
    path("orders/<str:number>/details/", views.delivery_details, name="delivery_details"),
    path("carriers/", views.carriers, name="carriers"),
    path("carriers/new/", views.carrier_new, name="carrier_new"),
    path("carriers/<int:pk>/", views.carrier_edit, name="carrier_edit"),
]
