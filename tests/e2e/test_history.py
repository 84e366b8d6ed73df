"""The History section of docs/http.md over HTTP: `GET /v1/events`, a tenant's
history and `GET /v1/audit/verify` — paging by position, the envelope
fields, tenant filtering, who may read what, and the chain check."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest

from application.queries import history
from domain.commands import CreateTenant, UpdateTenant
from infra.bootstrap import Container
from tests.e2e.conftest import Server
from tests.e2e.helpers import ok, problem, tenant, uniq
from tests.support import TEST_KEY, result_id, run

GHOST = "00000000-0000-4000-8000-00000000dead"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
FIELDS = {
    "position",
    "event_id",
    "aggregate_id",
    "aggregate_type",
    "aggregate_version",
    "type",
    "occurred_at",
    "tenant_id",
    "actor",
    "correlation_id",
    "payload",
    "hash",
}


def every_event(
    c: httpx.Client, path: str = "/v1/events", limit: int = 1000, **params: Any
) -> list[dict[str, Any]]:
    """All pages, following next_after until it is null."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = ok(c.get(path, params={"after": after, "limit": limit, **params}))
        events.extend(page["events"])
        if page["next_after"] is None:
            return events
        assert page["next_after"] > after, page
        after = page["next_after"]


def member(c: httpx.Client, tid: str, **headers: str) -> dict[str, Any]:
    body = {"email": f"h{uuid.uuid4().hex[:12]}@example.org", "role": "member"}
    return ok(c.post(f"/v1/tenants/{tid}/members", json=body, headers=headers), 201)


def family(c: httpx.Client) -> dict[str, str]:
    """P (with multi_tenant) -> C, and an unrelated X, each with a member."""
    p = tenant(c)["tenant_id"]
    ok(c.post(f"/v1/tenants/{p}/licenses", json={"feature": "multi_tenant"}), 201)
    child = tenant(c, parent_id=p)["tenant_id"]
    ids = {"P": p, "C": child, "X": tenant(c)["tenant_id"]}
    for tid in ids.values():
        member(c, tid)
    return ids


@contextmanager
def key(
    srv: Server, c: httpx.Client, role: str, tid: str | None = None
) -> Iterator[tuple[str, httpx.Client]]:
    body: dict[str, Any] = {"name": uniq("history key"), "role": role}
    if tid:
        body["tenant_id"] = tid
    created = ok(c.post("/v1/api-keys", json=body), 201)
    with srv.client(created["secret"]) as client:
        yield created["key_id"], client


# Paging ---------------------------------------------------------------------


def test_events_page_in_position_order_and_next_after_resumes(
    c: httpx.Client,
) -> None:
    member(c, tenant(c)["tenant_id"])
    everything = every_event(c)
    assert len(everything) >= 3
    paged: list[dict[str, Any]] = []
    after = 0
    while True:
        page = ok(c.get("/v1/events", params={"after": after, "limit": 2}))
        assert len(page["events"]) <= 2
        assert all(e["position"] > after for e in page["events"])
        paged.extend(page["events"])
        if page["next_after"] is None:
            break
        # Unfiltered, a full page ends where the next one starts.
        assert page["next_after"] == page["events"][-1]["position"]
        after = page["next_after"]
    positions = [e["position"] for e in paged]
    assert positions == sorted(set(positions))
    # Checkpoints may be recorded meanwhile: only ever more, never fewer.
    assert positions[: len(everything)] == [e["position"] for e in everything]


def test_the_last_page_has_no_next_after(c: httpx.Client) -> None:
    write = member(c, tenant(c)["tenant_id"])
    page = ok(c.get("/v1/events", params={"after": write["position"] - 1}))
    assert write["position"] in [e["position"] for e in page["events"]]
    assert page["next_after"] is None
    beyond = ok(c.get("/v1/events", params={"after": 2**62}))
    assert beyond == {"events": [], "next_after": None}


def test_a_tenants_history_pages_with_next_after(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    for _ in range(3):
        member(c, tid)
    path = f"/v1/tenants/{tid}/history"
    whole = every_event(c, path)
    one_by_one = every_event(c, path, limit=1)
    assert [e["position"] for e in one_by_one] == [e["position"] for e in whole]
    first = ok(c.get(path, params={"limit": 1}))
    assert first["next_after"] == first["events"][0]["position"]


# The envelope -----------------------------------------------------------------


def test_an_event_records_who_why_and_its_hash(srv: Server, c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    correlation = f"audit-{uuid.uuid4()}"
    with key(srv, c, "tenant_admin", tid) as (key_id, admin):
        added = member(admin, tid, **{"X-Correlation-Id": correlation})
    events = every_event(c, f"/v1/tenants/{tid}/history")
    recorded = [e for e in events if e["correlation_id"] == correlation]
    assert {e["actor"] for e in recorded} == {f"key:{key_id}"}
    [event] = [e for e in recorded if e["aggregate_id"] == added["member_id"]]
    assert event.keys() >= FIELDS
    # The call's position is that of the last event it recorded.
    assert event["position"] <= added["position"]
    at = {"after": added["position"] - 1, "limit": 1}
    [last] = ok(c.get("/v1/events", params=at))["events"]
    assert last["position"] == added["position"]
    assert last["correlation_id"] == correlation
    assert event["actor"] == f"key:{key_id}"
    assert event["tenant_id"] == tid
    assert event["aggregate_type"] == "Member"
    assert event["aggregate_version"] == 1
    assert event["payload"]["email"] == added["email"]
    assert HEX64.match(event["hash"]), event
    uuid.UUID(event["event_id"])
    assert datetime.fromisoformat(event["occurred_at"]).utcoffset() is not None
    created = events[0]
    assert created["type"] == "TenantCreated", created
    assert created["actor"] == "key:operator"
    assert created["aggregate_id"] == tid


def test_the_correlation_id_of_a_request_is_recorded(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    r = c.post(
        f"/v1/tenants/{tid}/members",
        json={"email": f"h{uuid.uuid4().hex[:12]}@example.org", "role": "member"},
    )
    correlation = r.headers["x-correlation-id"]
    position = ok(r, 201)["position"]
    events = every_event(c, f"/v1/tenants/{tid}/history")
    [last] = [e for e in events if e["position"] == position]
    assert last["correlation_id"] == correlation
    # The tenant's creation was another request.
    assert events[0]["correlation_id"] != correlation


# Tenant filtering and scope -----------------------------------------------------


def test_tenant_filter_and_history_hold_exactly_that_tenants_events(
    c: httpx.Client,
) -> None:
    ids = family(c)
    history = every_event(c, f"/v1/tenants/{ids['P']}/history")
    filtered = every_event(c, tenant_id=ids["P"])
    assert history and {e["tenant_id"] for e in history} == {ids["P"]}
    assert [e["position"] for e in filtered] == [e["position"] for e in history]
    # The child's events are its own, not the parent's.
    child = every_event(c, f"/v1/tenants/{ids['C']}/history")
    assert child and {e["tenant_id"] for e in child} == {ids["C"]}


def test_a_name_passed_between_siblings_is_in_the_new_holders_history(
    c: httpx.Client,
) -> None:
    """A renames away from a name and B takes it: B's taking is B's event,
    not in A's history (the name claim passes from tenant to tenant)."""
    name = uniq("Passed On")
    a = tenant(c, name=name)["tenant_id"]
    ok(c.patch(f"/v1/tenants/{a}", json={"name": uniq("Renamed")}))
    b = tenant(c)["tenant_id"]
    taken = ok(c.patch(f"/v1/tenants/{b}", json={"name": name}))["position"]
    mine = every_event(c, f"/v1/tenants/{a}/history")
    theirs = every_event(c, f"/v1/tenants/{b}/history")
    assert taken in {e["position"] for e in theirs}
    assert not [e for e in mine if e["payload"].get("owner") == b]
    reclaimed = [e for e in theirs if e["type"] == "Reclaimed"]
    assert reclaimed and reclaimed[-1]["payload"]["owner"] == b


def test_a_scoped_key_sees_only_its_subtree(srv: Server, c: httpx.Client) -> None:
    ids = family(c)
    for role in ("auditor", "partner"):
        with key(srv, c, role, ids["P"]) as (_, scoped):
            seen = {e["tenant_id"] for e in every_event(scoped)}
            # Only P and C: no other tenant and no event of no tenant.
            assert seen == {ids["P"], ids["C"]}, seen
            every_event(scoped, f"/v1/tenants/{ids['C']}/history")
            for r in (
                scoped.get("/v1/events", params={"tenant_id": ids["X"]}),
                scoped.get(f"/v1/tenants/{ids['X']}/history"),
                scoped.get("/v1/audit/verify", params={"tenant_id": ids["X"]}),
            ):
                problem(r, 404, "not_found")


@pytest.mark.parametrize("role", ["tenant_admin", "service"])
def test_a_parents_own_tenant_key_reads_and_verifies_its_own_events_only(
    srv: Server, c: httpx.Client, role: str
) -> None:
    """Issue 11: a tenant_admin or service key of a parent read every event
    of its sub-tenants through /v1/events without tenant_id (437 in the
    probe), and verify covered them; "own tenant" is exact for reads too."""
    ids = family(c)
    with key(srv, c, role, ids["P"]) as (_, scoped):
        own = every_event(c, f"/v1/tenants/{ids['P']}/history")
        seen = every_event(scoped)
        # Less the events that name the sub-tenant (see the test below).
        told = [e for e in own if not names_another(e, {ids["P"]})]
        assert [e["position"] for e in seen] == [e["position"] for e in told]
        assert {e["tenant_id"] for e in seen} == {ids["P"]}
        for params in ({}, {"tenant_id": ids["P"]}):
            report = ok(scoped.get("/v1/audit/verify", params=params))
            assert report["checked"] == len(own), (params, report)
        for r in (
            scoped.get(f"/v1/tenants/{ids['C']}/history"),
            scoped.get("/v1/events", params={"tenant_id": ids["C"]}),
            scoped.get("/v1/audit/verify", params={"tenant_id": ids["C"]}),
        ):
            problem(r, 404, "not_found")
    with key(srv, c, "auditor", ids["P"]) as (_, auditor):  # a subtree reader
        below = every_event(c, f"/v1/tenants/{ids['C']}/history")
        mine = every_event(c, f"/v1/tenants/{ids['P']}/history")
        report = ok(auditor.get("/v1/audit/verify"))
        assert report["checked"] == len(mine) + len(below), report


# Payload fields that name a tenant other than the event's own.
OTHER_TENANT = ("child_id", "child_tenant_id", "to_tenant_id")


def names_another(event: dict[str, Any], tenants: set[str]) -> bool:
    """Whether an event's payload names a tenant outside `tenants`."""
    named = {event["payload"].get(f) for f in OTHER_TENANT} - {None}
    return not named <= tenants


def siblings_trading_seats(c: httpx.Client) -> dict[str, str]:
    """P (with multi_tenant) -> C and S, both given seats of P's pool, and
    C passing one of them to S: P's history names both, C's names S."""
    p = tenant(c)["tenant_id"]
    ok(c.post(f"/v1/tenants/{p}/licenses", json={"feature": "multi_tenant"}), 201)
    ids = {"P": p, "C": tenant(c, parent_id=p)["tenant_id"]}
    ids["S"] = tenant(c, parent_id=p)["tenant_id"]
    for label, limit in (("P", 10), ("C", 3), ("S", 2)):
        ok(c.put(f"/v1/tenants/{ids[label]}/seats/seats", json={"limit": limit}))
    move = {"to_tenant_id": ids["S"], "quantity": 1}
    ok(c.post(f"/v1/tenants/{ids['C']}/seats/seats/transfers", json=move))
    return ids


@pytest.mark.parametrize("role", ["tenant_admin", "service"])
def test_a_key_of_one_tenant_is_not_shown_the_events_that_name_another(
    srv: Server, c: httpx.Client, role: str
) -> None:
    """A parent's tenant_admin or service key read SubTenantAttached
    {child_id} and SeatAllocatedToChild {child_tenant_id, limit} for every
    sub-tenant in its own tenant's history, and a giver's key the sibling
    its seats went to (SeatsTransferred {to_tenant_id}). Those events are
    left out (not redacted) for a key that reads its own tenant only; the
    rest of the history is as the operator reads it."""
    ids = siblings_trading_seats(c)
    for home in ("P", "C"):
        with key(srv, c, role, ids[home]) as (_, scoped):
            everything = every_event(c, f"/v1/tenants/{ids[home]}/history")
            hidden = [e for e in everything if names_another(e, {ids[home]})]
            kinds = {e["type"] for e in hidden}
            assert kinds == (
                {"SubTenantAttached", "SeatAllocatedToChild"}
                if home == "P"
                else {"SeatsTransferred"}
            ), kinds
            told = [e for e in everything if e not in hidden]
            for got in (
                every_event(scoped, f"/v1/tenants/{ids[home]}/history"),
                every_event(scoped),
                every_event(scoped, tenant_id=ids[home]),
            ):
                assert got == told


@pytest.mark.parametrize("role", ["partner", "auditor"])
def test_a_subtree_reader_is_shown_the_events_that_name_its_sub_tenants(
    srv: Server, c: httpx.Client, role: str
) -> None:
    ids = siblings_trading_seats(c)
    with key(srv, c, role, ids["P"]) as (_, scoped):
        everything = every_event(c, f"/v1/tenants/{ids['P']}/history")
        assert any(names_another(e, {ids["P"]}) for e in everything)
        assert every_event(scoped, f"/v1/tenants/{ids['P']}/history") == everything
        assert every_event(scoped, tenant_id=ids["P"]) == everything


def test_events_of_no_tenant_are_for_unscoped_keys_only(
    srv: Server, c: httpx.Client
) -> None:
    ids = family(c)
    with key(srv, c, "auditor") as (key_id, unscoped):
        # Creating the unscoped key recorded an event that belongs to no tenant.
        mine = [e for e in every_event(unscoped) if e["aggregate_id"] == key_id]
        assert mine and mine[0]["tenant_id"] is None
        with key(srv, c, "auditor", ids["P"]) as (_, scoped):
            assert key_id not in {e["aggregate_id"] for e in every_event(scoped)}


def test_analysts_may_not_read_history(srv: Server, c: httpx.Client) -> None:
    """403: the role may not read history, and the tenant is one the analyst
    reads (its state), so the answer reveals nothing; an unknown tenant
    stays 404."""
    ids = family(c)
    for tid in (ids["P"], None):
        with key(srv, c, "analyst", tid) as (_, analyst):
            for r in (
                analyst.get("/v1/events"),
                analyst.get("/v1/events", params={"tenant_id": ids["P"]}),
                analyst.get(f"/v1/tenants/{ids['P']}/history"),
                analyst.get("/v1/audit/verify"),
            ):
                problem(r, 403, "forbidden")
            problem(analyst.get(f"/v1/tenants/{GHOST}/history"), 404, "not_found")


def test_an_unknown_tenant_is_not_found(c: httpx.Client) -> None:
    for r in (
        c.get(f"/v1/tenants/{GHOST}/history"),
        c.get("/v1/events", params={"tenant_id": GHOST}),
        c.get("/v1/audit/verify", params={"tenant_id": GHOST}),
    ):
        problem(r, 404, "not_found")


# Validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "0"),
        ("limit", "1001"),
        ("limit", "ten"),
        ("after", "-1"),
        ("after", "x"),
        ("tenant_id", "not-a-uuid"),
    ],
)
def test_bad_paging_parameters_are_validation_errors(
    c: httpx.Client, name: str, value: str
) -> None:
    tid = tenant(c)["tenant_id"]
    paths = ["/v1/events"]
    if name != "tenant_id":
        paths.append(f"/v1/tenants/{tid}/history")
    for path in paths:
        body = problem(c.get(path, params={name: value}), 422, "validation_error")
        assert name in {e["field"] for e in body["errors"]}, body


def test_a_limit_of_1000_is_served(c: httpx.Client) -> None:
    page = ok(c.get("/v1/events", params={"limit": 1000}))
    assert len(page["events"]) <= 1000


def test_a_malformed_tenant_is_422_before_scope(srv: Server, c: httpx.Client) -> None:
    with key(srv, c, "analyst") as (_, analyst):
        r = analyst.get("/v1/tenants/not-a-uuid/history", params={"limit": 0})
        problem(r, 422, "validation_error")
        r = analyst.get("/v1/audit/verify", params={"tenant_id": "nope"})
        problem(r, 422, "validation_error")


# Verify (needs infra/audit.py's verify) -------------------------------------------


def test_verify_reports_an_untampered_store_as_intact(
    srv: Server, c: httpx.Client
) -> None:
    ids = family(c)
    report = ok(c.get("/v1/audit/verify"))
    assert report["ok"] is True, report
    assert report["checked"] > 0
    assert report["head_hash"] is None or HEX64.match(report["head_hash"]), report
    assert report.get("first_bad_position") is None
    with key(srv, c, "auditor", ids["P"]) as (_, scoped):
        mine = ok(scoped.get("/v1/audit/verify"))
        assert mine["ok"] is True and mine["checked"] > 0, mine
        child = ok(scoped.get("/v1/audit/verify", params={"tenant_id": ids["C"]}))
        assert child["ok"] is True and child["checked"] > 0, child


# The scan budget ------------------------------------------------------------------


def test_a_filtered_page_scans_a_bounded_stretch_and_says_where_it_stopped(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, on the real store of either backend, with the budget made
    small: a page covers at most SCAN_BUDGET stored events, may hold none,
    and paging on from next_after until it is null misses nothing."""
    monkeypatch.setattr(history, "SCAN_BUDGET", 4)
    monkeypatch.setattr(history, "SCAN_BATCH", 3)
    c = container
    mine = result_id(run(c, CreateTenant(name=uniq())))
    for _ in range(5):  # a long stretch of other tenants' events
        run(c, CreateTenant(name=uniq()))
    run(c, UpdateTenant(tenant_id=mine, name=uniq()))
    head = c.log.head()
    pages, after = [], 0
    while True:
        found, next_after = c.reads.history._scan(after, 100, {str(mine)}, TEST_KEY)
        pages.append(found)
        if next_after is None:
            break
        assert after < next_after <= after + 4  # SQLite and PG: no gaps here
        after = next_after
    assert [] in pages  # a stretch of other tenants' events: an empty page
    positions = [e.position for page in pages for e in page]
    unbounded = [e.position for e in c.log.after(0, head) if e.tenant_id == str(mine)]
    assert positions == unbounded and len(positions) >= 2
