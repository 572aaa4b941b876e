from django.urls import path

from web.documents import views

app_name = "documents"

urlpatterns = [
    path("documents/<int:pk>/pdf/", views.staff_pdf, name="pdf"),
    path("orders/<str:number>/documents/regenerate/", views.regenerate, name="regenerate"),
]
