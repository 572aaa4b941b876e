"""Django admin for API keys and the background work queue (failed and waiting work)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import ApiKey, ApiScope, Work
from orders.queue import work_retry
from orders.services.api_keys import api_key_create
from web.admin.big import BigListAdmin


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "What the key may do. A key without “accounting” reads only the orders it sent in."
        ),
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return (
            ["name", "scopes"]
            if obj is None
            else ["name", "scopes", "prefix", "created_at", "last_used_at", "revoked_at"]
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, plain = api_key_create(name=obj.name, scopes=form.cleaned_data["scopes"])
        obj.pk = key.pk
        obj.refresh_from_db()
        self.message_user(
            request, _("The key, shown only now: %(key)s") % {"key": plain}, messages.WARNING
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class WorkState(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("failed", _("Failed for good")), ("waiting", _("Waiting for its next attempt"))]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        if self.value() == "waiting":
            return queryset.filter(failed_at__isnull=True)
        return queryset


@admin.register(Work)
class WorkAdmin(BigListAdmin):
    """Background work that failed (dead letters first) or waits for its next attempt."""

    list_display = ["task", "key", "attempts", "next_attempt_at", "failed_at", "last_error"]
    list_filter = [WorkState, "task"]
    search_fields = ["task", "key", "last_error"]
    readonly_fields = [
        "task",
        "key",
        "args",
        "attempts",
        "next_attempt_at",
        "last_error",
        "failed_at",
        "reported_at",
        "created_at",
    ]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Retry: start the attempts again and queue it now"))
    def retry(self, request: HttpRequest, queryset) -> None:
        count = work_retry(list(queryset))
        self.message_user(request, _("Queued again: %(count)s") % {"count": count})
