"""Admin lists of tables that grow with the company (orders, tasks, timeline, invoices,
payments, clients): counted up to a cap, so a list of a million rows costs what a list of
ten thousand does."""

from __future__ import annotations

from typing import cast

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

from orders.selectors.tasks import capped_count

# Rows counted before a list says "10000+": 100 pages of the admin's 100 rows.
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts the list up to COUNT_CAP + 1 rows (a LIMIT inside the count), never the whole
    table; past the cap the pages stop at the cap and `capped` says so."""

    @cached_property
    def counted(self) -> int:
        rows = cast(QuerySet, self.object_list)  # an admin list is always a queryset
        return capped_count(rows, COUNT_CAP).count

    @cached_property
    def count(self) -> int:
        return min(self.counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self.counted > COUNT_CAP


class BigListAdmin(admin.ModelAdmin):
    """A list of a growing table: counted up to a cap, no second count of the whole table
    beside the filtered one, newest first."""

    paginator = CappedPaginator
    show_full_result_count = False
    # Newest first, from the primary key's index: a model's own ordering (tasks by
    # deadline, clients by name) would sort the whole table to show its first page. A
    # column header still sorts by that column when asked.
    ordering = ("-pk",)
