from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from config.api import api, api_docs
from web.accounts import SignInView


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links; send them to the icon, whose
    hashed name changes with it (so this redirect is temporary)."""
    return HttpResponseRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("api/docs", api_docs, name="api_docs"),
    path("exchange/1c/", include("web.exchange.urls")),
    path("production/", include("web.production.urls")),
    path("logistics/", include("web.logistics.urls")),
    path("notifications/", include("web.orders.bell_urls")),
    path("invoices/statements/", include("web.statements.urls")),
    path("", include("web.orders.urls")),
    path("", include("web.invoices.urls")),
    path("", include("web.documents.urls")),
]
