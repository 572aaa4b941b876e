"""Spreadsheet downloads: one shape for every CSV the workspace gives out."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_download(
    filename: str, header: Sequence[object], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """UTF-8 with a BOM and semicolons, as spreadsheets in Russia open it; streamed, so a
    long export holds no more than a row in memory. Values go out as given: amounts with a
    dot and ISO dates read the same in any locale and in an accounting import."""
    writer = csv.writer(_Line(), delimiter=";")

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([str(cell) for cell in header])
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
