"""Django admin for the 1C exchange: its log and where each exchange login stands. Read
only: 1C writes these, people read them."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from exchange.models import ExchangeLog, ExchangeWatermark
from web.admin.read_only import ReadOnlyAdmin


@admin.register(ExchangeLog)
class ExchangeLogAdmin(ReadOnlyAdmin):
    # The errors right after the outcome: on a laptop the columns past them scroll away.
    list_display = [
        "created_at",
        "mode",
        "ok",
        "short_errors",
        "documents",
        "payments",
        "repeated",
        "shipments",
        "skipped",
        "login",
    ]
    list_filter = ["mode", "ok", "direction", "created_at"]
    search_fields = ["login", "filename", "errors"]
    date_hierarchy = "created_at"
    list_select_related = ["key"]
    fields = [
        "created_at",
        "key",
        "login",
        "remote_addr",
        "mode",
        "direction",
        "ok",
        "filename",
        "size",
        "documents",
        "payments",
        "repeated",
        "shipments",
        "skipped",
        "errors",
        "document",
    ]

    @admin.display(description=_("errors and notes"))
    def short_errors(self, entry: ExchangeLog) -> str:
        first = entry.errors.splitlines()[0] if entry.errors else ""
        return first[:120] + ("…" if len(first) > 120 or "\n" in entry.errors else "")


@admin.register(ExchangeWatermark)
class ExchangeWatermarkAdmin(ReadOnlyAdmin):
    list_display = [
        "key",
        "confirmed_at",
        "success_at",
        "queried_at",
        "pending_count",
    ]
    list_select_related = ["key"]
    fields = ["key", "confirmed_at", "success_at", "queried_at", "pending_at", "pending_count"]
