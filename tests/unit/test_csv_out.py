"""CSV answers escape formula starts and write booleans as JSON does."""

from __future__ import annotations

import csv
import io

import pytest

from api.csv_out import cell, render


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
