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
import re
from collections.abc import Iterable, Mapping, Sequence

from fastapi.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A header is latin-1 on the wire and the name is quoted in it: whatever a
# file's name is made of, only these characters go into the header as they are.
_NOT_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


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


def attachment(filename: str) -> str:
    """The Content-Disposition of a download: never a 500, never a header
    a client reads otherwise (a quote, a line break)."""
    return f'attachment; filename="{_NOT_IN_FILENAME.sub("_", filename)}"'


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
            "Content-Disposition": attachment(filename),
            **(headers or {}),
        },
    )
