"""The monthly billing summary over HTTP, against a month computed by hand.

The history is scripted (tests/e2e/scripted.py): a partner's pool contracted
in February and carried into March, a member whose seat ends mid-month, a
limit raised and lowered on one day, a sub-tenant whose pool opens in the
middle of March; then April's events, one of them backdating an end date
into March, which must not change what March said. Tenants are made over
HTTP; the report is read, in JSON and CSV, from a real server."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from infra.bootstrap import Container, bootstrap
from infra.settings import Settings
from tests.conftest import settings_for
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.helpers import head, ok, problem
from tests.e2e.scripted import ScriptedPool, at

# Hand computed, day by day (peak seats held each day):
#   Partner: a, b from Feb 25; c from Mar 3, ends Mar 10; d on Mar 12 only;
#   b released Mar 20 at 10:00. March peaks: 1-2: 2, 3-10: 3, 11: 2, 12: 3,
#   13-19: 2, 20: 2, 21-31: 1 -> 4 + 24 + 2 + 3 + 14 + 2 + 11 = 60 seat-days.
PARTNER_MARCH = {
    "pool": "seats",
    "days": 31,
    "limit_end": 8,
    "limit_max": 12,
    "peak_used": 3,
    "seat_days": 60,
    "average_used": 1.94,  # 60 / 31 = 1.935...
    "end_used": 1,
}
#   Branch: opens Mar 16; x (ends Mar 18) from the 16th, y from the 17th,
#   released the 25th. Peaks 16: 1, 17-18: 2, 19-24: 1, 25: 1, 26-31: 0.
BRANCH_MARCH = {
    "pool": "seats",
    "days": 16,
    "limit_end": 3,
    "limit_max": 3,
    "peak_used": 2,
    "seat_days": 12,
    "average_used": 0.75,
    "end_used": 0,
}
#   February: the partner's pool from the 20th (9 days), a and b from the 25th.
PARTNER_FEBRUARY = {
    "pool": "seats",
    "days": 9,
    "limit_end": 10,
    "limit_max": 10,
    "peak_used": 2,
    "seat_days": 8,
    "average_used": 0.89,
    "end_used": 2,
}
BRANCH_NAME = "=Branch"  # a spreadsheet would run it: CSV escapes it
# Past months in digits of other scripts: the month pattern's \d took them,
# JSON echoed them and the CSV file's name header could not hold them (500).
OTHER_DIGITS = [
    "\uff12025-01",  # a full-width 2
    "\u0662\u0660\u0662\u0665-01",  # Arabic-Indic
    "2025-\u0660\u0661",
    "\u06f2\u06f0\u06f2\u06f5-01",  # Extended Arabic-Indic (Persian)
]


def env_of(settings: Settings) -> dict[str, str]:
    env = {"SEATLEDGER_DATA_DIR": str(settings.data_dir), "SEATLEDGER_LOG_JSON": "true"}
    if settings.database_url:
        env["SEATLEDGER_DATABASE_URL"] = settings.database_url
        env["SEATLEDGER_POSTGRES_SCHEMA"] = settings.postgres_schema
    return env


@pytest.fixture
def world(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Server, Container]]:
    pg = request.getfixturevalue("pg_url") if backend == "postgres" else None
    settings = settings_for(backend, tmp_path, pg)
    server = start_server(env_of(settings), tmp_path)
    container = bootstrap(settings, configure_logging=False)
    try:
        yield server, container
    finally:
        container.close()
        stop_server(server)


def billing(c: httpx.Client, tenant: str, **params: Any) -> httpx.Response:
    caught_up = {"min_position": head(c), "wait_ms": 10_000}
    return c.get(
        f"/v1/tenants/{tenant}/reports/billing", params={**caught_up, **params}
    )


def lines(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in line.items() if k not in ("tenant_id", "tenant_name")}
        for line in body["lines"]
    ]


def script_march(c: Container, partner: UUID, branch: UUID) -> ScriptedPool:
    p = ScriptedPool(c, partner, "seats", at("2025-02-20", 10), limit=10)
    p.assign(at("2025-02-25"), "a")
    p.assign(at("2025-02-25"), "b")
    p.assign(at("2025-03-03", 9), "c", end="2025-03-10")
    p.set_limit(at("2025-03-05", 12), 12)
    p.set_limit(at("2025-03-05", 15), 8)
    p.assign(at("2025-03-12", 8), "d")
    p.release(at("2025-03-12", 18), "d")
    p.release(at("2025-03-20", 10), "b")
    b = ScriptedPool(c, branch, "seats", at("2025-03-16", 14), limit=3)
    b.assign(at("2025-03-16", 15), "x", end="2025-03-18")
    b.assign(at("2025-03-17"), "y")
    b.release(at("2025-03-25"), "y")
    return p


def test_a_scripted_month_is_billed_as_computed_by_hand(
    world: tuple[Server, Container],
) -> None:
    server, container = world
    with server.client() as c:
        partner = ok(c.post("/v1/tenants", json={"name": "Partner"}), 201)
        pid = partner["tenant_id"]
        body = {"feature": "multi_tenant"}
        ok(c.post(f"/v1/tenants/{pid}/licenses", json=body), 201)
        branch = {"name": BRANCH_NAME, "parent_id": pid}
        bid = ok(c.post("/v1/tenants", json=branch), 201)["tenant_id"]
        pool = script_march(container, UUID(pid), UUID(bid))

        march = ok(billing(c, pid, month="2025-03", include_subtenants="true"))
        assert (march["month"], march["include_subtenants"]) == ("2025-03", True)
        assert lines(march) == [PARTNER_MARCH, BRANCH_MARCH]
        assert [(x["tenant_id"], x["tenant_name"]) for x in march["lines"]] == [
            (pid, "Partner"),
            (bid, BRANCH_NAME),
        ]
        alone = ok(billing(c, pid, month="2025-03"))
        assert lines(alone) == [PARTNER_MARCH]
        february = ok(billing(c, pid, month="2025-02", include_subtenants="true"))
        assert lines(february) == [PARTNER_FEBRUARY]  # no branch pool yet

        # April: a backdated end date, a release, a new seat, a new limit.
        pool.end_date(at("2025-04-02"), "a", "2025-03-15")
        pool.assign(at("2025-04-03"), "e")
        pool.set_limit(at("2025-04-04"), 20)
        again = ok(billing(c, pid, month="2025-03", include_subtenants="true"))
        assert again["position"] > march["position"]
        assert again["lines"] == march["lines"]
        april = ok(billing(c, pid, month="2025-04"))
        assert lines(april)[0]["limit_max"] == 20

        text = billing(c, pid, month="2025-03", include_subtenants="true", format="csv")
    assert text.status_code == 200, text.text
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert [r["tenant_name"] for r in rows] == ["Partner", "'" + BRANCH_NAME]
    for row, expected in zip(rows, (PARTNER_MARCH, BRANCH_MARCH), strict=True):
        assert {k: row[k] for k in expected} == {
            k: f"{v:.2f}" if k == "average_used" else str(v)
            for k, v in expected.items()
        }


def test_a_pool_contracted_today_counts_today_only(
    world: tuple[Server, Container],
) -> None:
    server, _ = world
    with server.client() as c:
        tid = ok(c.post("/v1/tenants", json={"name": "Today"}), 201)["tenant_id"]
        ok(c.put(f"/v1/tenants/{tid}/seats/jobs", json={"limit": 4}))
        path = f"/v1/tenants/{tid}/seats/jobs/assignments"
        ok(c.post(path, json={"holder_id": "h1"}), 201)
        ok(c.post(path, json={"holder_id": "h2"}), 201)
        ok(c.delete(f"{path}/h1"))
        [line] = ok(billing(c, tid))["lines"]
    assert (line["days"], line["peak_used"], line["end_used"]) == (1, 2, 1)
    assert (line["seat_days"], line["average_used"], line["limit_end"]) == (2, 2.0, 4)


@pytest.mark.parametrize("month", ["2025-13", "2025-1", "March", "9999-12"])
def test_a_bad_or_future_month_is_422(
    world: tuple[Server, Container], month: str
) -> None:
    server, _ = world
    with server.client() as c:
        tid = ok(c.post("/v1/tenants", json={"name": "M"}), 201)["tenant_id"]
        body = problem(billing(c, tid, month=month), 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["month"]


def test_a_month_in_other_digits_is_422_in_json_and_csv(
    world: tuple[Server, Container],
) -> None:
    server, _ = world
    with server.client() as c:
        tid = ok(c.post("/v1/tenants", json={"name": "Digits"}), 201)["tenant_id"]
        for month in OTHER_DIGITS:
            for fmt in ("json", "csv"):
                r = billing(c, tid, month=month, format=fmt)
                body = problem(r, 422, "validation_error")
                assert [e["field"] for e in body["errors"]] == ["month"], (month, fmt)
        csv_answer = billing(c, tid, month="2025-01", format="csv")
    assert csv_answer.status_code == 200, csv_answer.text
    disposition = csv_answer.headers["content-disposition"]
    assert disposition == f'attachment; filename="billing-{tid}-2025-01.csv"'
