"""The billing arithmetic: months, averages, and the summary read straight
from the projection equal to the one built from the pool's days."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from projections.billing import BillingLine, billing_line, month_days, summaries
from projections.daily_read import days_of, states
from tests.unit.daily_support import D1, at, random_history
from tests.unit.sqlite_projections import SqliteTx


def line(days: int, seat_days: int) -> BillingLine:
    return BillingLine(days, 0, 0, 0, seat_days, 0)


@pytest.mark.parametrize(
    ("month", "first", "last"),
    [
        ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
    ],
)
def test_a_month_runs_from_its_first_to_its_last_day(
    month: str, first: date, last: date
) -> None:
    assert month_days(month) == (first, last)


@pytest.mark.parametrize(
    "month",
    [
        "2025-13",
        "2025-00",
        "0000-01",
        "2025",
        "2025-1",
        "+2025-01",
        " 2025-01",
        "2025-01\n",
        "\uff12026-12",  # a full-width 2: int() reads it, a header cannot hold it
        "\u0662\u0660\u0662\u0666-12",  # Arabic-Indic digits
        "2026-\u0661\u0662",
        "\u09e8\u09e6\u09e8\u09ec-01",  # Bengali digits
    ],
)
def test_no_such_month_is_a_value_error(month: str) -> None:
    with pytest.raises(ValueError):
        month_days(month)


@pytest.mark.parametrize(
    ("days", "seat_days", "average"),
    [(8, 5, "0.63"), (3, 1, "0.33"), (3, 2, "0.67"), (31, 60, "1.94"), (1, 0, "0.00")],
)
def test_the_average_has_two_decimals_rounded_half_up(
    days: int, seat_days: int, average: str
) -> None:
    assert line(days, seat_days).average_used == Decimal(average)


def test_no_contracted_day_is_no_line() -> None:
    assert billing_line([]) is None


@pytest.mark.parametrize("seed", range(30))
def test_the_summary_read_in_sql_equals_the_one_built_from_the_days(
    tx: SqliteTx, seed: int
) -> None:
    rng = random.Random(1000 + seed)
    pool = random_history(rng)
    cut = pool.events[rng.randrange(len(pool.events))].timestamp
    pool.feed(tx, through=cut)
    [state] = states(tx, [pool.id]).values()
    for _ in range(4):
        first = D1 + timedelta(days=rng.randrange(20))
        last = first + timedelta(days=rng.randrange(31))
        now = max(cut, at(first, 0)) + timedelta(hours=rng.randrange(0, 400))
        days = days_of(tx, [pool.id], first, last, now)[pool.id]
        found = summaries(tx, [state], first, last, now).get(pool.id)
        assert found == billing_line(days)
