from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from orders.accounts import SignInView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("production/", include("production.urls")),
    path("logistics/", include("logistics.urls")),
    path("notifications/", include("orders.bell_urls")),
    path("", include("orders.urls")),
    path("", include("invoices.urls")),
]
