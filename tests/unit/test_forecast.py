"""The seat pool forecast: a straight line through the daily peaks."""

from __future__ import annotations

from datetime import date, timedelta

from projections.forecast import DayPeak, forecast

TODAY = date(2026, 3, 10)


def peaks(*values: int) -> list[DayPeak]:
    """One peak a day, the last one today."""
    first = TODAY - timedelta(days=len(values) - 1)
    return [DayPeak(first + timedelta(days=i), v) for i, v in enumerate(values)]


def test_steady_growth_reaches_warning_and_limit_on_the_line() -> None:
    # One seat a day, 5 today: 8 of 10 (80 %) in 3 days, 10 in 5.
    f = forecast(peaks(1, 2, 3, 4, 5), limit=10, warning_threshold=0.8, today=TODAY)
    assert f.trend_per_day == 1.0
    assert f.warning_on == TODAY + timedelta(days=3)
    assert f.full_on == TODAY + timedelta(days=5)


def test_a_fraction_of_a_day_rounds_up_to_the_day_it_is_reached() -> None:
    f = forecast(peaks(0, 0, 1, 1), limit=4, warning_threshold=0.5, today=TODAY)
    assert f.trend_per_day == 0.4
    # The line is at 1.1 today: 2 seats after 2.25 days, 4 after 7.25.
    assert f.warning_on == TODAY + timedelta(days=3)
    assert f.full_on == TODAY + timedelta(days=8)


def test_flat_usage_has_no_dates() -> None:
    f = forecast(peaks(4, 4, 4), limit=5, warning_threshold=0.8, today=TODAY)
    assert (f.trend_per_day, f.warning_on, f.full_on) == (0.0, None, None)


def test_falling_usage_has_no_dates_even_when_full() -> None:
    f = forecast(peaks(5, 5, 4), limit=5, warning_threshold=0.8, today=TODAY)
    assert f.trend_per_day < 0
    assert (f.warning_on, f.full_on) == (None, None)


def test_a_target_already_reached_while_rising_is_today() -> None:
    f = forecast(peaks(2, 3, 4), limit=5, warning_threshold=0.8, today=TODAY)
    assert f.warning_on == TODAY
    assert f.full_on == TODAY + timedelta(days=1)


def test_a_date_beyond_three_years_is_none() -> None:
    # One seat every 100 days from 0: the limit of 100 is 27 years away.
    days = [DayPeak(TODAY - timedelta(days=100), 0), DayPeak(TODAY, 1)]
    f = forecast(days, limit=100, warning_threshold=0.01, today=TODAY)
    assert f.trend_per_day == 0.01
    assert f.warning_on == TODAY  # 1 of 100 is the 1 % threshold already
    assert f.full_on is None


def test_one_day_or_none_is_flat() -> None:
    for days in ([], peaks(3)):
        f = forecast(days, limit=5, warning_threshold=0.8, today=TODAY)
        assert (f.trend_per_day, f.warning_on, f.full_on) == (0.0, None, None)


def test_gaps_between_days_are_measured_in_days() -> None:
    # Two points ten days apart, two seats more: 0.2 a day.
    days = [DayPeak(TODAY - timedelta(days=10), 2), DayPeak(TODAY, 4)]
    f = forecast(days, limit=6, warning_threshold=0.9, today=TODAY)
    assert f.trend_per_day == 0.2
    assert f.warning_on == TODAY + timedelta(days=7)  # 5.4 after 7 days
    assert f.full_on == TODAY + timedelta(days=10)


def test_a_pool_with_limit_zero_is_full_today_when_rising() -> None:
    f = forecast(peaks(0, 1), limit=0, warning_threshold=0.8, today=TODAY)
    assert f.full_on == TODAY and f.warning_on == TODAY
