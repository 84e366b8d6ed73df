"""The isolation matrices' world: one real server, the tree of
matrix_contract.py, a client per key, fresh resources on demand, and the
tree as the store knows it (a tenant's parent, asked once)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import Server
from tests.e2e.matrix_contract import (
    ANY,
    GHOST,
    PARENTS,
    PRINCIPALS,
    Who,
    allowed,
    may_name,
    position_of,
)
from tests.e2e.matrix_support import Route

# A public address (the matrix server refuses private ones), and an event
# type these tenants never record: the sender has nothing to try meanwhile.
HOOK = "https://93.184.216.34/matrix"
RARE = ["AuditTrailStarted"]
SHARED = "shared"  # the pool P's sub-tenants draw from and trade


class World:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.op = server.client()  # the bootstrap operator key
        self.anonymous = httpx.Client(base_url=server.base_url, timeout=30)
        self.position = 0
        self.ids: dict[str, str] = {}
        self.secrets: dict[str, str] = {}
        self.clients: dict[str, httpx.Client] = {}
        self.parents: dict[str, str | None] = {}  # tenant id -> parent id

    def build(self) -> None:
        for label, parent in PARENTS.items():  # parents come first
            self.ids[label] = self.tenant(self.ids[parent] if parent else None)
        self.trade_seats()
        for who in PRINCIPALS:
            tenant = self.ids[who.home] if who.home else None
            body = {"name": f"matrix {who.name}", "role": who.role}
            if tenant:
                body["tenant_id"] = tenant
            created = self.ok(self.op.post("/v1/api-keys", json=body), 201)
            assert created["secret"], created
            self.secrets[who.name] = created["secret"]
            self.clients[who.name] = self.server.client(created["secret"])

    def trade_seats(self) -> None:
        """P gives seats of a pool to C and S, and C passes one on to S: P's
        history names C and S (SeatAllocatedToChild), C's names S
        (SeatsTransferred), besides the sub-tenants every parent's names
        (SubTenantAttached)."""
        for label, limit in (("P", 10), ("C", 3), ("S", 2)):
            path = f"/v1/tenants/{self.ids[label]}/seats/{SHARED}"
            self.ok(self.op.put(path, json={"limit": limit}), 200)
        path = f"/v1/tenants/{self.ids['C']}/seats/{SHARED}/transfers"
        move = {"to_tenant_id": self.ids["S"], "quantity": 1}
        self.ok(self.op.post(path, json=move), 200)

    def close(self) -> None:
        self.op.close()
        self.anonymous.close()
        for client in self.clients.values():
            client.close()

    def ok(self, r: httpx.Response, status: int) -> dict[str, Any]:
        req = r.request
        assert r.status_code == status, (
            f"setup {req.method} {req.url}: {r.status_code} {r.text}"
        )
        body: dict[str, Any] = r.json()
        self.position = max(self.position, int(body.get("position") or 0))
        return body

    # Values ------------------------------------------------------------------
    @staticmethod
    def slug(prefix: str) -> str:
        return f"{prefix}_{uuid.uuid4().hex[:12]}"

    @staticmethod
    def name() -> str:
        return f"Matrix {uuid.uuid4().hex}"

    @staticmethod
    def email() -> str:
        return f"m{uuid.uuid4().hex[:16]}@matrix.example"

    def caught_up(self) -> dict[str, int]:
        """Query for projection reads: wait until every setup write is in."""
        return {"min_position": self.position, "wait_ms": 5000}

    # Fresh resources, created with the operator key (random ids for GHOST) ----
    def tenant(self, parent: str | None) -> str:
        body: dict[str, Any] = {"name": self.name()}
        if parent:
            body["parent_id"] = parent
        tid = str(self.ok(self.op.post("/v1/tenants", json=body), 201)["tenant_id"])
        self.parents[tid] = parent
        licenses = f"/v1/tenants/{tid}/licenses"
        self.ok(self.op.post(licenses, json={"feature": "multi_tenant"}), 201)
        return tid

    def child(self, tid: str) -> str:
        return self.tenant(tid)

    def license(self, tid: str) -> str:
        feature = self.slug("f")
        if tid != GHOST:
            path = f"/v1/tenants/{tid}/licenses"
            self.ok(self.op.post(path, json={"feature": feature}), 201)
        return feature

    def pool(self, tid: str) -> str:
        pool = self.slug("p")
        if tid != GHOST:
            path = f"/v1/tenants/{tid}/seats/{pool}"
            self.ok(self.op.put(path, json={"limit": 5}), 200)
        return pool

    def holder(self, tid: str) -> dict[str, str]:
        pool, holder = self.pool(tid), f"holder-{uuid.uuid4().hex[:8]}"
        if tid != GHOST:
            path = f"/v1/tenants/{tid}/seats/{pool}/assignments"
            self.ok(self.op.post(path, json={"holder_id": holder}), 201)
        return {"pool": pool, "holder_id": holder}

    def member(self, tid: str, role: str = "member") -> str:
        if tid == GHOST:
            return str(uuid.uuid4())
        body = {"email": self.email(), "role": role}
        r = self.op.post(f"/v1/tenants/{tid}/members", json=body)
        return str(self.ok(r, 201)["member_id"])

    def with_admin(self, tid: str) -> str:
        self.member(tid, role="admin")
        return tid

    def invitation(self, tid: str) -> str:
        body = {"email": self.email(), "role": "member"}
        r = self.op.post(f"/v1/tenants/{tid}/invitations", json=body)
        return str(self.ok(r, 201)["invitation_id"])

    def order(self, tid: str) -> str:
        body = {"pool": self.slug("o"), "quantity": 1}
        r = self.op.post(f"/v1/tenants/{tid}/license-orders", json=body)
        return str(self.ok(r, 201)["order_id"])

    def change(self, tid: str) -> str:
        """A contract change of a fresh pool, scheduled for tomorrow."""
        if tid == GHOST:
            return str(uuid.uuid4())
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        path = f"/v1/tenants/{tid}/seats/{self.slug('s')}"
        r = self.op.put(path, json={"limit": 5, "effective_at": tomorrow})
        return str(self.ok(r, 202)["change_id"])

    def transfer(self, tid: str) -> Call:
        """Seats of a pool of `tid` to a fresh sibling, both drawing from a
        pool of their parent (a root tenant has no sibling: the call is
        refused, which only the shape tests aim at)."""
        parent = self.op.get(f"/v1/tenants/{tid}").json().get("parent_id")
        pool = self.slug("t")
        sibling = self.tenant(parent) if parent else str(uuid.uuid4())
        if parent:
            for owner, limit in ((parent, 10), (tid, 3)):
                path = f"/v1/tenants/{owner}/seats/{pool}"
                self.ok(self.op.put(path, json={"limit": limit}), 200)
        body = {"to_tenant_id": sibling, "quantity": 1}
        return Call({"tenant_id": tid, "pool": pool}, body)

    def key(self, tid: str | None, role: str = "auditor") -> str:
        body: dict[str, Any] = {"name": "matrix victim", "role": role}
        if tid:
            body["tenant_id"] = tid
        return str(self.ok(self.op.post("/v1/api-keys", json=body), 201)["key_id"])

    def endpoint(self, tid: str | None) -> str:
        body: dict[str, Any] = {"url": HOOK, "event_types": RARE}
        if tid:
            body["tenant_id"] = tid
        r = self.op.post("/v1/webhook-endpoints", json=body)
        return str(self.ok(r, 201)["endpoint_id"])

    def delivery(self, tid: str) -> dict[str, str]:
        """An endpoint of the tenant with one delivery (a rename's), once the
        sender has recorded it."""
        body = {"url": HOOK, "tenant_id": tid, "event_types": ["TenantRenamed"]}
        made = self.ok(self.op.post("/v1/webhook-endpoints", json=body), 201)
        self.ok(self.op.patch(f"/v1/tenants/{tid}", json={"name": self.name()}), 200)
        log = f"/v1/webhook-endpoints/{made['endpoint_id']}/deliveries"
        deadline = time.monotonic() + 30
        while not (found := self.ok(self.op.get(log), 200)["deliveries"]):
            assert time.monotonic() < deadline, "the sender recorded no delivery"
            time.sleep(0.02)
        return {
            "endpoint_id": made["endpoint_id"],
            "delivery_id": found[0]["delivery_id"],
        }

    # The tree as stored ---------------------------------------------------------
    def parent_of(self, tid: str) -> str | None:
        """A tenant's parent, from the operator's read of it (once): tenants
        made by the calls under test are placed like the world's own."""
        if tid not in self.parents:
            found = self.ok(self.op.get(f"/v1/tenants/{tid}"), 200)
            self.parents[tid] = found["parent_id"]
        return self.parents[tid]

    def relation(self, who: Who, tid: str | None) -> str:
        """Where the tenant with id `tid` stands for `who`."""
        home = self.ids[who.home] if who.home else None
        return position_of(home, tid, self.parent_of)

    def readable(self, who: Who, tid: str | None, action: str) -> bool:
        """Whether `who` may see data of tenant `tid` by `action`; data of
        no tenant (None) only unscoped keys see (the operator, unscoped
        auditors and analysts, as far as their role reaches)."""
        if tid is None:
            return who.home is None and allowed(who.role, ANY, action)
        return allowed(who.role, self.relation(who, tid), action)

    def nameable(self, who: Who, tid: str, field: str, action: str) -> bool:
        """Whether an answer of `action` may name tenant `tid` to `who` in
        `field` (a tenant's `children`, an event's payload)."""
        return may_name(who.role, self.relation(who, tid), field, action)

    # Sending -------------------------------------------------------------------
    def send(self, who: str, route: Route, call: Call) -> httpx.Response:
        method, template = route
        client = self.op if who == "bootstrap" else self.clients[who]
        return client.request(
            method,
            template.format(**call.path),
            json=call.json,
            params=call.query,
        )


@dataclass
class Call:
    path: dict[str, str] = field(default_factory=dict)
    json: Any = None
    query: dict[str, Any] = field(default_factory=dict)


Build = Callable[[World, str], Call]


@dataclass(frozen=True)
class Variant:
    action: str  # the contract's row
    build: Build  # a request on a fresh resource of the target tenant
    ok: frozenset[int]  # what an allowed call answers
    label: str = ""
    targeted: bool = True  # False: aims at no tenant (root tenant, unscoped key)
    fresh: bool = False  # acts on a fresh child of the target (same relation)
    named: bool = True  # the tenant is in the path or body, not behind a resource id


def v(action: str, build: Build, *ok: int, **kw: Any) -> Variant:
    return Variant(action, build, frozenset(ok), **kw)


def command(kind: str, tid: str | None, **payload: Any) -> Call:
    envelope = {"command_id": str(uuid.uuid4()), "type": kind, "payload": payload}
    if tid:
        envelope["tenant_id"] = tid
    return Call(json=envelope)
