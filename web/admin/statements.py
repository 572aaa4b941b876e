"""Bank statement imports in admin, read only: what each upload found and what became of
every incoming payment. Matching is done on the statement's page, through the services."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from statements.models import StatementImport, StatementLine
from web.admin.read_only import ReadOnlyAdmin


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    fields = readonly_fields = (
        "line",
        "number",
        "date",
        "amount",
        "payer_name",
        "payer_inn",
        "status",
        "invoice",
    )
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(StatementImport)
class StatementImportAdmin(ReadOnlyAdmin):
    list_display = [
        "uploaded_at",
        "file_name",
        "account",
        "period_start",
        "period_end",
        "incoming_matched",
        "incoming_unmatched",
        "matched_by_hand",
        "outgoing_ignored",
        "unrelated_ignored",
        "duplicates",
        "uploaded_by",
    ]
    list_select_related = ["uploaded_by"]
    search_fields = ["file_name", "account"]
    date_hierarchy = "uploaded_at"
    readonly_fields = [*(f.name for f in StatementImport._meta.fields), "page_link"]
    inlines = [StatementLineInline]

    @admin.display(description=_("statement's page"))
    def page_link(self, obj: StatementImport) -> str:
        url = reverse("statements:detail", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.file_name)


@admin.register(StatementLine)
class StatementLineAdmin(ReadOnlyAdmin):
    list_display = ["date", "number", "amount", "payer_name", "payer_inn", "status", "invoice"]
    list_filter = ["status"]
    list_select_related = ["invoice"]
    search_fields = ["number", "payer_name", "payer_inn", "purpose", "invoice__number"]
    readonly_fields = [*(f.name for f in StatementLine._meta.fields if f.name != "note"), "why"]
    exclude = ["note"]

    @admin.display(description=_("note"))
    def why(self, obj: StatementLine) -> str:
        # Stored in English (the matcher's words, gettext_noop): read in the reader's.
        return gettext(obj.note) if obj.note else "—"
