"""Spreadsheet downloads: one shape for every CSV the workspace gives out."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import StreamingHttpResponse

# A cell starting with one of these is read by Excel, LibreOffice and Google Sheets as a
# formula (=HYPERLINK(…) in a client's name runs when an accountant opens the file).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Amounts are handed over as text with a dot ("-400.00"): a plain number is no formula, and
# a refund must stay a negative number in the spreadsheet.
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?", re.ASCII)


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_cell(value: object) -> object:
    """A cell as it may go into a spreadsheet: numbers as they are, text that a spreadsheet
    would take for a formula with a leading apostrophe (OWASP's advice: shown as text, the
    apostrophe itself hidden)."""
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_download(
    filename: str, header: Sequence[object], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """UTF-8 with a BOM and semicolons, as spreadsheets in Russia open it; streamed, so a
    long export holds no more than a row in memory. Values go out as given (amounts with a
    dot and ISO dates read the same in any locale and in an accounting import), except text
    a spreadsheet would run as a formula: every cell passes through csv_cell()."""
    writer = csv.writer(_Line(), delimiter=";")

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([csv_cell(cell) for cell in header])
        for row in rows:
            yield writer.writerow([csv_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
