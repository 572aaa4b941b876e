from django.urls import path

from web.invoices import views

app_name = "invoices"

urlpatterns = [
    path("i/<str:token>/", views.public, name="public"),
    path("i/<str:token>/pdf/", views.public_pdf, name="public_pdf"),
    path("invoices/", views.receivables, name="list"),
    path("invoices/payments/", views.payments_journal, name="payments"),
    path("invoices/<int:pk>/pdf/", views.staff_pdf, name="pdf"),
    path(
        "payments/cloudpayments/<str:kind>/",
        views.cloudpayments_notification,
        name="cloudpayments",
    ),
]
