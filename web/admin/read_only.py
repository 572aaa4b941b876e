"""Admin pages that show a record of what happened (logs, receipts, documents): nobody adds,
edits or deletes one by hand, and they grow with the company (counted up to a cap)."""

from __future__ import annotations

from django.http import HttpRequest

from web.admin.big import BigListAdmin


class ReadOnlyAdmin(BigListAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
