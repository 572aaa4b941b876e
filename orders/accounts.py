"""Signing in, the password, and each person's interface language."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.forms import LanguageForm
from orders.models import StaffProfile


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
