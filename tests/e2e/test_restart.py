"""A restart on the same store: state, projections and the rules still hold
when aggregates load cold from their snapshots (Tenant and SeatPool snapshot
every 50 events; enum state once came back as plain strings)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.e2e.conftest import server_env, start_server, stop_server
from tests.e2e.helpers import head, problem, tenant, uniq


def renamed(c: httpx.Client, tid: str, times: int) -> None:
    for i in range(times):
        r = c.patch(f"/v1/tenants/{tid}", json={"name": f"Renamed {tid} {i}"})
        assert r.status_code == 200, r.text


@pytest.fixture(scope="module", params=BACKENDS)
def restarted(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, dict]]:
    """A server that recorded aggregates of 50+ events (so snapshots exist),
    then was restarted on the same store: every aggregate now loads cold."""
    pg = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    workdir = tmp_path_factory.mktemp(f"restart-{request.param}")
    env = server_env(request.param, workdir, pg)
    first = start_server(env, workdir)
    facts: dict = {}
    try:
        with first.client() as c:
            facts["pool"] = pool = tenant(c)["tenant_id"]
            c.put(f"/v1/tenants/{pool}/seats/jobs", json={"limit": 100})
            for i in range(50):  # SeatPoolOpened + 49: a snapshot at 50
                r = c.post(
                    f"/v1/tenants/{pool}/seats/jobs/assignments",
                    json={"holder_id": f"h{i:02}"},
                )
                assert r.status_code == 201, r.text
            c.delete(f"/v1/tenants/{pool}/seats/jobs/assignments/h00")
            # Each tenant below reaches version 50 (a snapshot) in its state.
            facts["closed"] = closed = tenant(c)["tenant_id"]
            renamed(c, closed, 48)
            assert c.post(f"/v1/tenants/{closed}/close").status_code == 200
            facts["provisioning"] = prov = tenant(c)["tenant_id"]
            renamed(c, prov, 49)
            facts["suspended"] = susp = tenant(c)["tenant_id"]
            assert c.post(f"/v1/tenants/{susp}/suspend").status_code == 200
            renamed(c, susp, 48)
            facts["head"] = head(c)
    finally:
        stop_server(first)
    second = start_server(env, workdir)
    try:
        with second.client() as c:
            yield c, facts
    finally:
        stop_server(second)


def test_state_and_projections_survive_a_restart(restarted) -> None:
    c, facts = restarted
    path = f"/v1/tenants/{facts['pool']}/seats/jobs"
    pool = c.get(path).json()
    assert (pool["limit"], pool["used"], pool["available"]) == (100, 49, 51)
    holders = c.get(
        f"{path}/assignments",
        params={"min_position": facts["head"], "wait_ms": 5000, "limit": 1000},
    )
    assert holders.status_code == 200, holders.text
    assert len(holders.json()["holders"]) == 49
    again = c.post(f"{path}/assignments", json={"holder_id": "h00"})
    assert again.status_code == 201, again.text
    assert again.json()["used"] == 50
    assert again.json()["position"] > facts["head"]
    problem(
        c.post(f"{path}/assignments", json={"holder_id": "h01"}),
        409,
        "already_assigned",
    )
    closed = c.get(f"/v1/tenants/{facts['closed']}")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    prov = c.get(f"/v1/tenants/{facts['provisioning']}").json()
    assert prov["name"] == f"Renamed {facts['provisioning']} 48"


def test_a_closed_tenant_still_refuses_changes_after_a_restart(restarted) -> None:
    c, facts = restarted
    r = c.patch(f"/v1/tenants/{facts['closed']}", json={"name": uniq()})
    problem(r, 409, "invalid_state")


def test_handover_without_admins_after_a_restart_is_admin_required(
    restarted,
) -> None:
    c, facts = restarted
    problem(
        c.post(f"/v1/tenants/{facts['provisioning']}/handover"), 409, "admin_required"
    )


def test_suspending_twice_after_a_restart_is_invalid_state(restarted) -> None:
    c, facts = restarted
    problem(c.post(f"/v1/tenants/{facts['suspended']}/suspend"), 409, "invalid_state")
