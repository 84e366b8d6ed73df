"""CSV answers: the one place reports are written as CSV.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some,
a tab or carriage return) as a formula, so any text value starting that way
gets a leading `'`, which makes it plain text (the OWASP advice against CSV
injection). Numbers are written as they are: a negative number is data, not
a formula. Booleans are `true`/`false`, as in the JSON answers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from fastapi.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: a bool is an int
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def render(fields: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """A header row of `fields` and one escaped row per mapping."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(fields)
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in fields])
    return out.getvalue()


def csv_response(
    fields: Sequence[str],
    rows: Iterable[Mapping[str, object]],
    filename: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        render(fields, rows),
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            **(headers or {}),
        },
    )
