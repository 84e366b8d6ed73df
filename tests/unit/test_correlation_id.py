"""The correlation id a caller sends is echoed and logged as sent, or, when
it could not be (too long, unprintable, not ASCII), replaced by a new one."""

from __future__ import annotations

import uuid

import pytest

from api.middleware import _correlation_id


def test_a_printable_ascii_id_is_kept() -> None:
    assert _correlation_id("req-42/abc") == "req-42/abc"


@pytest.mark.parametrize(
    "given", [None, "", "x" * 129, "tab\there", "caf\u00e9", "\u0662\u0660"]
)
def test_anything_else_gets_a_new_id(given: str | None) -> None:
    made = _correlation_id(given)
    assert made != given
    uuid.UUID(made)
