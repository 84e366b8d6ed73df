"""The active-users report over HTTP: who counts on a day D (future starters
do; passive, ended and removed members don't), `as_of`, `include_subtenants`,
JSON and CSV, and the errors of the "Reports" section of docs/http.md."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import pytest

from tests.e2e.helpers import day, ok, pick, problem

UNKNOWN = "00000000-0000-4000-8000-000000000000"
CSV_HEADER = "member_id,tenant_id,email,role,status,start_date,end_date,counted,reason"


def tenant(c: httpx.Client, **body: object) -> str:
    r = c.post("/v1/tenants", json={"name": f"T {uuid.uuid4().hex}", **body})
    return str(ok(r, 201)["tenant_id"])


def add(
    c: httpx.Client, tid: str, who: str, role: str = "user", **body: object
) -> dict:
    body = {"email": f"{who}-{uuid.uuid4().hex[:8]}@example.com", "role": role, **body}
    return ok(c.post(f"/v1/tenants/{tid}/members", json=body), 201)


def report(
    c: httpx.Client, tid: str, position: int, **params: object
) -> httpx.Response:
    q = {"min_position": position, "wait_ms": 5000, **params}
    return c.get(f"/v1/tenants/{tid}/reports/active-users", params=q)


def staff(c: httpx.Client, tid: str) -> tuple[dict[str, str], int]:
    """Anna (admin), Ben (passive), Cleo (starts in 30 days), Dan (ended 10
    days ago), Eve (ends in 5 days), Finn (removed): member ids by name and
    the position of the last write."""
    people = {
        "anna": add(c, tid, "anna", "admin"),
        "ben": add(c, tid, "ben"),
        "cleo": add(c, tid, "cleo", start_date=day(30)),
        "dan": add(c, tid, "dan", start_date=day(-200), end_date=day(-10)),
        "eve": add(c, tid, "eve", start_date=day(-30), end_date=day(5)),
        "finn": add(c, tid, "finn"),
    }
    path = f"/v1/tenants/{tid}/members"
    ok(c.patch(f"{path}/{people['ben']['member_id']}", json={"status": "passive"}))
    last = ok(c.delete(f"{path}/{people['finn']['member_id']}"))
    return {k: v["member_id"] for k, v in people.items()}, int(last["position"])


def reasons(body: dict, ids: dict[str, str]) -> dict[str, tuple[bool, str]]:
    names = {v: k for k, v in ids.items()}
    return {names[m["member_id"]]: (m["counted"], m["reason"]) for m in body["members"]}


def table(r: httpx.Response) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def counts(body: dict) -> tuple[int, int, int, int]:
    return body["active_users"], body["future_starters"], body["passive"], body["ended"]


def test_active_users_today_count_future_starters_not_passive_or_ended(c) -> None:
    tid = tenant(c)
    ids, position = staff(c, tid)
    body = ok(report(c, tid, position))
    assert body["tenant_id"] == tid and body["as_of"] == day(0)
    assert body["position"] >= position and body["include_subtenants"] is False
    assert counts(body) == (3, 1, 1, 1)
    assert reasons(body, ids) == {
        "anna": (True, "active"),
        "ben": (False, "passive"),
        "cleo": (True, "future_starter"),
        "dan": (False, "ended"),
        "eve": (True, "active"),
    }  # finn, removed, is left out
    eve = next(m for m in body["members"] if m["member_id"] == ids["eve"])
    dates = (day(-30), day(5))
    assert pick(eve, "role", "status", "start_date", "end_date") == (
        "user",
        "active",
        *dates,
    )
    assert eve["email"].startswith("eve-")


def test_as_of_judges_the_rule_on_another_day(c) -> None:
    tid = tenant(c)
    ids, position = staff(c, tid)
    past = ok(report(c, tid, position, as_of=day(-20)))
    assert past["as_of"] == day(-20)
    assert counts(past) == (4, 1, 1, 0)  # Dan still worked; Eve had started
    assert reasons(past, ids)["dan"] == (True, "active")
    older = ok(report(c, tid, position, as_of=day(-60)))
    assert reasons(older, ids)["eve"] == (True, "future_starter")
    soon = ok(report(c, tid, position, as_of=day(10)))
    assert counts(soon) == (2, 1, 1, 2)  # Eve has ended by then
    assert reasons(soon, ids)["eve"] == (False, "ended")
    later = ok(report(c, tid, position, as_of=day(40)))
    assert counts(later) == (2, 0, 1, 2)
    assert reasons(later, ids)["cleo"] == (True, "active")


def test_csv_has_a_header_row_and_one_row_per_member(c) -> None:
    tid = tenant(c)
    ids, position = staff(c, tid)
    r = report(c, tid, position, format="csv")
    rows = table(r)
    header, *lines = r.text.splitlines()
    assert header == CSV_HEADER
    assert len(rows) == len(lines) == 5
    by_id = {row["member_id"]: row for row in rows}
    assert ids["finn"] not in by_id
    cleo, dan = by_id[ids["cleo"]], by_id[ids["dan"]]
    assert pick(cleo, "start_date", "end_date", "counted", "reason") == (
        day(30),
        "",
        "true",
        "future_starter",
    )
    assert pick(dan, "end_date", "counted", "reason") == (day(-10), "false", "ended")
    assert {row["tenant_id"] for row in rows} == {tid}
    assert int(r.headers["x-position"]) >= position
    past = table(report(c, tid, position, format="csv", as_of=day(-20)))
    assert {row["member_id"]: row["reason"] for row in past}[ids["dan"]] == "active"


def test_csv_escapes_values_a_spreadsheet_would_run_as_formulas(c) -> None:
    tid = tenant(c)
    emails = ["=cmd|'/ccalc'!a0@example.com", "+sum@example.com", "-2+3@example.com"]
    for email in emails:
        added = ok(
            c.post(f"/v1/tenants/{tid}/members", json={"email": email, "role": "user"}),
            201,
        )
    rows = table(report(c, tid, added["position"], format="csv"))
    assert sorted(row["email"] for row in rows) == sorted(f"'{e}" for e in emails)
    assert {row["counted"] for row in rows} == {"true"}


def test_include_subtenants_adds_the_members_of_the_whole_subtree(c) -> None:
    partner = tenant(c)
    ok(c.post(f"/v1/tenants/{partner}/licenses", json={"feature": "multi_tenant"}), 201)
    child = tenant(c, parent_id=partner)
    ok(c.post(f"/v1/tenants/{child}/licenses", json={"feature": "multi_tenant"}), 201)
    grandchild = tenant(c, parent_id=child)
    own = add(c, partner, "pia", "admin")
    kid = add(c, child, "kim", start_date=day(3))
    last = add(c, grandchild, "gus", end_date=day(-1))
    alone = ok(report(c, partner, last["position"]))
    assert [m["member_id"] for m in alone["members"]] == [own["member_id"]]
    whole = ok(report(c, partner, last["position"], include_subtenants="true"))
    assert whole["include_subtenants"] is True
    assert {m["member_id"]: m["tenant_id"] for m in whole["members"]} == {
        own["member_id"]: partner,
        kid["member_id"]: child,
        last["member_id"]: grandchild,
    }
    assert counts(whole) == (2, 1, 0, 1)
    branch = ok(report(c, child, last["position"], include_subtenants="true"))
    assert len(branch["members"]) == 2
    flat = report(c, partner, last["position"], include_subtenants="true", format="csv")
    assert {row["tenant_id"] for row in table(flat)} == {partner, child, grandchild}


@pytest.mark.parametrize("role", ["tenant_admin", "service"])
def test_a_key_of_one_tenant_may_not_report_on_its_sub_tenants(srv, c, role) -> None:
    """Issue 11: a parent's tenant_admin or service key listed every member
    of its subtree with include_subtenants (JSON and CSV); now that is 403,
    and its own report holds its own tenant's members only."""
    parent = tenant(c)
    ok(c.post(f"/v1/tenants/{parent}/licenses", json={"feature": "multi_tenant"}), 201)
    child = tenant(c, parent_id=parent)
    own = add(c, parent, "pia", "admin")
    kid = add(c, child, "kim")
    body = {"name": "own tenant", "role": role, "tenant_id": parent}
    issued = ok(c.post("/v1/api-keys", json=body), 201)
    with srv.client(issued["secret"]) as k:
        for fmt in ("json", "csv"):
            wide = {"include_subtenants": "true", "format": fmt}
            r = report(k, parent, kid["position"], **wide)
            problem(r, 403, "forbidden")
            assert kid["member_id"] not in r.text and child not in r.text
        alone = ok(report(k, parent, kid["position"]))
        assert [m["member_id"] for m in alone["members"]] == [own["member_id"]]
        rows = table(report(k, parent, kid["position"], format="csv"))
        assert [row["member_id"] for row in rows] == [own["member_id"]]
        problem(report(k, child, kid["position"]), 404, "not_found")
    body = {"name": "subtree reader", "role": "auditor", "tenant_id": parent}
    auditor = ok(c.post("/v1/api-keys", json=body), 201)
    with srv.client(auditor["secret"]) as k:
        whole = report(k, parent, kid["position"], include_subtenants="true")
        assert {m["tenant_id"] for m in ok(whole)["members"]} == {parent, child}


def test_an_empty_tenant_reports_no_one(c) -> None:
    created = ok(c.post("/v1/tenants", json={"name": f"T {uuid.uuid4().hex}"}), 201)
    tid, position = created["tenant_id"], created["position"]
    body = ok(report(c, tid, position))
    assert (counts(body), body["members"]) == ((0, 0, 0, 0), [])
    assert report(c, tid, position, format="csv").text.splitlines() == [CSV_HEADER]


def test_bad_queries_are_validation_errors_and_unknown_tenants_not_found(c) -> None:
    tid = tenant(c)
    for params in (
        {"as_of": "2026-02-30"},
        {"as_of": "yesterday"},
        {"format": "xml"},
        {"include_subtenants": "maybe"},
        {"wait_ms": 10001},
    ):
        r = c.get(f"/v1/tenants/{tid}/reports/active-users", params=params)
        fields = {e["field"] for e in problem(r, 422, "validation_error")["errors"]}
        assert fields == set(params), (params, fields)
    problem(report(c, UNKNOWN, 0, wait_ms=0), 404, "not_found")
    problem(report(c, UNKNOWN, 0, include_subtenants="true"), 404, "not_found")
    body = problem(report(c, tid, 2**60, wait_ms=0), 409, "projection_behind")
    assert body["position"] < 2**60
