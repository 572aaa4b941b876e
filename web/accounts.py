"""Signing in (throttled), the password, and each person's interface language."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.http import client_ip
from orders.models import StaffProfile
from web.orders.forms import LanguageForm


def _remember_language(response: HttpResponse, language: str) -> None:
    """LocaleMiddleware reads this cookie first; without it the browser's language wins."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


class SignInView(auth_views.LoginView):
    """Django's sign-in, then the person's saved language for every page after it."""

    redirect_authenticated_user = True

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        profile = StaffProfile.objects.filter(user=form.get_user()).only("language").first()
        if profile is not None and profile.language:
            _remember_language(response, profile.language)
        return response


# Where the connection has no address (gunicorn on a unix socket, no proxy counted), every
# such client is one address to axes: an empty one would match no attempt (NULL in its
# inet column) and switch throttling off.
UNKNOWN_ADDRESS = "0.0.0.0"


def login_client_ip(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE."""
    return client_ip(request) or UNKNOWN_ADDRESS


def lockout_message(minutes: int) -> str:
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)d minute.",
        "Too many failed attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def login_failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    """AXES_FAILURE_LIMIT: axes counts the failures of this username from this address and
    locks at the number returned. An address that failed LOGIN_FAILURES_PER_ADDRESS times
    across all usernames within the cool-off is locked for any username: 0 (one query)."""
    address = getattr(request, "axes_ip_address", None) or login_client_ip(request)
    since = timezone.now() - timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    attempts = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since)
    failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
    if failures >= settings.LOGIN_FAILURES_PER_ADDRESS:
        return 0
    return settings.LOGIN_FAILURE_LIMIT


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the sign-in page that refused the attempt (ours or the admin's),
    its error replaced by the lockout, answered 429."""
    minutes = settings.LOGIN_COOLOFF_MINUTES
    message = lockout_message(minutes)
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if isinstance(original_response, TemplateResponse) and form is not None:
        form.errors[NON_FIELD_ERRORS] = form.error_class([message], error_class="nonfield")
        response: HttpResponse = original_response
        response.content = original_response.rendered_content
        # axes sets its defaults on the settings at run time; the stubs only see ours.
        response.status_code = settings.AXES_HTTP_RESPONSE_CODE  # type: ignore[misc]
    else:
        response = HttpResponse(message, status=settings.AXES_HTTP_RESPONSE_CODE)  # type: ignore[misc]
    response["Retry-After"] = str(minutes * 60)
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("orders:home")

    def form_valid(self, form) -> HttpResponse:
        messages.success(self.request, _("Your password is changed."))
        return super().form_valid(form)


password_change = login_required(PasswordChangeView.as_view())


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in person keeps it on every device."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    if not form.is_valid():
        return HttpResponseRedirect(target)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        StaffProfile.objects.update_or_create(user=request.user, defaults={"language": language})
    response = HttpResponseRedirect(target)
    _remember_language(response, language)
    with translation.override(language):
        messages.success(request, _("Language changed."))
    return response
