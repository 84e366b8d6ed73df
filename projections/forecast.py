"""When a seat pool will reach its warning threshold and its limit, if usage
keeps growing as it did: a least-squares line through the daily peaks of
`used + reserved + allocated`.

Pure: the caller passes the days (from the usage history), the pool's
current limit and threshold, and today. A line, not a model: it answers "at
this pace, when?", which is what a partner needs to plan a contract change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

# Dates further out than this are not a forecast anyone should act on.
HORIZON = timedelta(days=3 * 365 + 1)
FLAT = 1e-9  # a slope this small is rounding noise, not growth


@dataclass(frozen=True)
class DayPeak:
    day: date
    in_use: int  # the day's peak of used + reserved + allocated


@dataclass(frozen=True)
class Forecast:
    trend_per_day: float
    warning_on: date | None
    full_on: date | None


def forecast(
    days: Sequence[DayPeak], limit: int, warning_threshold: float, today: date
) -> Forecast:
    """The trend in seats per day and the first days on which it reaches the
    warning threshold and the limit: None when the trend is flat or falling,
    or when the day is beyond the horizon. A target already reached on the
    latest day (with a rising trend) is reached today."""
    slope, intercept = _fit(days, today)
    trend = round(slope, 4)
    if slope <= FLAT:
        return Forecast(trend, None, None)
    latest = days[-1].in_use
    return Forecast(
        trend,
        _reached(warning_threshold * limit, latest, slope, intercept, today),
        _reached(float(limit), latest, slope, intercept, today),
    )


def _fit(days: Sequence[DayPeak], today: date) -> tuple[float, float]:
    """Slope and intercept of the least-squares line, with x in days from
    today (so the intercept is today's value on the line). Fewer than two
    days, or all on one day, is flat."""
    if len(days) < 2:
        return 0.0, float(days[0].in_use) if days else 0.0
    xs = [(d.day - today).days for d in days]
    ys = [d.in_use for d in days]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0, mean_y
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope /= spread
    return slope, mean_y - slope * mean_x


def _reached(
    target: float, latest: int, slope: float, intercept: float, today: date
) -> date | None:
    if latest >= target:
        return today
    # The line's value is `intercept + slope * x` on day `today + x`.
    # Less a hair, so float noise in an exact hit does not add a day.
    offset = max(0, math.ceil((target - intercept) / slope - 1e-9))
    if timedelta(days=offset) > HORIZON:
        return None
    return today + timedelta(days=offset)
