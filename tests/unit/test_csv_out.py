"""CSV answers escape formula starts and write booleans as JSON does."""

from __future__ import annotations

import csv
import io

import pytest

from api.csv_out import attachment, cell, render


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_like_a_formula_gets_a_leading_quote(start: str) -> None:
    assert cell(f"{start}SUM(A1)") == f"'{start}SUM(A1)"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (True, "true"),
        (False, "false"),
        (None, ""),
        (-3, -3),
        (2.5, 2.5),
        ("a=b", "a=b"),
        ("'=x", "'=x"),
    ],
)
def test_other_values_are_written_as_data(value: object, written: object) -> None:
    assert cell(value) == written


def test_render_writes_a_header_and_escaped_rows_that_read_back() -> None:
    text = render(["email", "counted"], [{"email": "=1+1@x.de", "counted": True}])
    assert list(csv.reader(io.StringIO(text))) == [
        ["email", "counted"],
        ["'=1+1@x.de", "true"],
    ]


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("billing-1f2e-2026-12.csv", "billing-1f2e-2026-12.csv"),
        ("billing-\uff12026-12.csv", "billing-_026-12.csv"),  # full-width 2
        ("as-\u0662\u0660\u0662\u0666.csv", "as-____.csv"),  # Arabic-Indic
        ('a"; x=y.csv', "a___x_y.csv"),
        ("a\r\nSet-Cookie: x.csv", "a__Set-Cookie__x.csv"),
        ("caf\u00e9.csv", "caf_.csv"),
    ],
)
def test_a_file_name_goes_into_its_header_as_safe_ascii(name: str, sent: str) -> None:
    header = attachment(name)
    assert header == f'attachment; filename="{sent}"'
    header.encode("ascii")  # what the server writes as latin-1
