"""What the statement pages read: bounded lists, a constant number of queries."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from statements.matching import Suggestion, suggestions_for
from statements.models import LineStatus, StatementImport, StatementLine

IMPORTS_LIMIT = 50
LINES_LIMIT = 200
# Suggestions are worked out for the open lines shown first; a statement with more waits
# for these to be matched.
OPEN_LINES_WITH_SUGGESTIONS = 50


def statement_list_for_page() -> QuerySet[StatementImport]:
    return StatementImport.objects.select_related("uploaded_by")[:IMPORTS_LIMIT]


def statement_lines_for_page(
    record: StatementImport,
) -> tuple[list[StatementLine], dict[int, list[Suggestion]]]:
    """The import's incoming payments, the ones to match first, with suggestions for
    those: two queries (the lines with their invoices, the candidate invoices)."""
    lines: list[StatementLine] = list(
        record.lines.select_related("invoice__order", "matched_by")
        .annotate(
            open_first=Case(
                When(status=LineStatus.UNMATCHED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "line")[:LINES_LIMIT]
    )
    open_lines = [line for line in lines if line.is_open][:OPEN_LINES_WITH_SUGGESTIONS]
    return lines, suggestions_for(open_lines)
