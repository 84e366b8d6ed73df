"""Fixtures of the projection unit tests: an in-memory SQLite transaction with
the projection tables, and a log that numbers the envelopes it builds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.registry import create_tables
from tests.unit.sqlite_projections import Log, SqliteTx


@pytest.fixture
def tx() -> Iterator[SqliteTx]:
    tx = SqliteTx()
    create_tables(tx)
    yield tx
    tx.conn.close()


@pytest.fixture
def log() -> Log:
    return Log()
