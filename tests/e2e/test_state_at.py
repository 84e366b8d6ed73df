"""A tenant, a seat pool and a member read `?at=` an instant answer exactly
what the live (strongly consistent) reads answered at that instant."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx

from tests.e2e.helpers import ok, tenant


def test_state_reads_at_each_instant_equal_the_live_answers_then(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    t, pool = f"/v1/tenants/{tid}", f"/v1/tenants/{tid}/seats/expenses"
    ok(c.put(pool, json={"limit": 3}))
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    m = ok(c.post(f"{t}/members", json={"email": email, "role": "admin"}), 201)
    member = f"{t}/members/{m['member_id']}"
    seen: list[tuple[str, dict[str, dict]]] = []

    def record() -> None:
        live = {path: ok(c.get(path)) for path in (t, pool, member)}
        seen.append((datetime.now(UTC).isoformat(), live))
        time.sleep(0.02)  # the next write's events come strictly after

    record()
    ok(c.post(f"{pool}/assignments", json={"holder_id": "anna"}), 201)
    ok(c.patch(t, json={"name": f"Renamed {uuid.uuid4().hex[:6]}"}))
    record()
    ok(c.put(pool, json={"limit": 5, "warning_threshold": 0.5}))
    ok(c.patch(member, json={"end_date": "2999-12-31", "role": "admin"}))
    ok(c.post(f"{t}/handover"))
    record()
    ok(c.post(f"{pool}/assignments", json={"holder_id": "ben"}), 201)
    ok(c.post(f"{pool}/assignments", json={"holder_id": "cleo"}), 201)
    ok(c.delete(f"{pool}/assignments/anna"))
    record()

    for then, live in seen:
        for path, answer in live.items():
            assert ok(c.get(path, params={"at": then})) == answer, (path, then)
    # Not vacuous: the answers differ from one instant to the next.
    assert len({str(live[pool]) for _, live in seen}) == len(seen)
