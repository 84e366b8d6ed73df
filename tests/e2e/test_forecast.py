"""GET .../seats/{pool}/forecast over HTTP: its shape, its validation and
its 404s. The arithmetic of the trend is unit-tested (test_forecast.py in
tests/unit): the service stamps events with the real time, so every seat
here is taken today and the trend is flat."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.helpers import (
    assign,
    head,
    ok,
    open_pool,
    pool_path,
    problem,
    tenant,
)


def forecast(c: httpx.Client, tid: str, pool: str = "jobs", **params: object):
    """A projection read: it waits until every write so far is in."""
    caught_up = {"min_position": head(c), "wait_ms": 5000}
    return c.get(f"{pool_path(tid, pool)}/forecast", params={**caught_up, **params})


def test_seats_taken_today_only_are_a_flat_trend_without_dates(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 5)
    last = assign(c, tid, "a", "b", "c", "d")["position"]
    body = ok(forecast(c, tid))
    assert body.pop("position") >= last
    assert body == {
        "tenant_id": tid,
        "pool": "jobs",
        "basis_days": 30,
        "trend_per_day": 0.0,
        "warning_on": None,
        "full_on": None,
    }
    assert ok(forecast(c, tid, basis_days=7))["basis_days"] == 7
    assert ok(forecast(c, tid, basis_days=365))["basis_days"] == 365


@pytest.mark.parametrize("basis_days", [6, 366, 0, "thirty"])
def test_basis_days_outside_7_to_365_is_422(
    c: httpx.Client, basis_days: object
) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 5)
    r = forecast(c, tid, basis_days=basis_days)
    problem(r, 422, "validation_error")


def test_an_unknown_pool_or_tenant_is_404_and_a_bad_slug_422(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    problem(forecast(c, tid, "nothing_here"), 404, "not_found")
    ghost = "00000000-0000-4000-8000-00000000dead"
    problem(forecast(c, ghost), 404, "not_found")
    problem(forecast(c, tid, "Not-A-Slug"), 422, "validation_error")
