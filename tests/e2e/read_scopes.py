"""What each kind of read covers, as data, and what the contract says it
must answer: the content matrix of test_read_scope_matrix.py.

A read names a tenant or none; it covers that tenant alone, the part of its
subtree the key reads, its whole subtree (or is refused), its readable
children, or everything the key may read. The expected tenants, events,
keys and counts are derived from the role table (matrix_contract.py) and
the tree and log as the operator sees them, never from the implementation.
An event of a covered tenant is shown only when every other tenant its
payload names is one the key may be told of (matrix_contract.may_name): a
key confined to its own tenant is not shown the events naming its
sub-tenants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.e2e.matrix_contract import (
    HISTORY,
    KEYS,
    READ,
    WEBHOOKS,
    Who,
    issues,
    read_refusal,
    role_may,
)
from tests.e2e.matrix_support import Route, revealed_tenants
from tests.e2e.matrix_world import Call, World

# What a read covers.
ONE = "the named tenant"
READABLE_SUBTREE = "the named tenant and what the key reads below it"
WHOLE_SUBTREE = "the named tenant and its whole subtree, else 403"
CHILDREN = "the named tenant's children the key reads"
EVERYTHING = "all the key may read (no tenant named)"

Observed = frozenset[Any] | int


@dataclass(frozen=True)
class Read:
    route: Route
    label: str
    action: str  # the role table's row
    covers: str
    query: dict[str, str] = field(default_factory=dict)
    unit: str = "tenants"  # what is compared: tenants, events, keys, checked
    # False: the answer names only some of what it covers (the billing lists
    # tenants with a contracted pool): it must show nothing beyond it.
    exact: bool = True

    @property
    def tenant_param(self) -> str | None:
        """The query parameter naming the tenant (None: in the path, or no
        tenant named)."""
        if self.covers == EVERYTHING or "{tenant_id}" in self.route[1]:
            return None
        return "parent_id" if self.covers == CHILDREN else "tenant_id"

    @property
    def params(self) -> frozenset[str]:
        """The query parameters this read exercises."""
        named = {self.tenant_param} if self.tenant_param else set()
        return frozenset(self.query) | named

    def call(self, tid: str | None, w: World) -> Call:
        query: dict[str, Any] = dict(self.query)
        if self.unit in ("tenants", "keys", "endpoints"):  # projections: wait
            query |= w.caught_up()
        if tid is None:
            return Call(query=query)
        if self.tenant_param is None:
            return Call({"tenant_id": tid}, query=query)
        return Call(query={**query, self.tenant_param: tid})


T = "/v1/tenants/{tenant_id}"
EVENTS, VERIFY = ("GET", "/v1/events"), ("GET", "/v1/audit/verify")
ACTIVE, TENANTS = ("GET", f"{T}/reports/active-users"), ("GET", "/v1/tenants")
KEY_LIST = ("GET", "/v1/api-keys")
BILLING = ("GET", f"{T}/reports/billing")
HOOKS = ("GET", "/v1/webhook-endpoints")
SUBTENANTS = {"include_subtenants": "true"}

READS = (
    Read(EVENTS, "everything", HISTORY, EVERYTHING, unit="events"),
    Read(EVENTS, "tenant_id", HISTORY, ONE, unit="events"),
    Read(("GET", f"{T}/history"), "", HISTORY, ONE, unit="events"),
    Read(VERIFY, "everything", HISTORY, EVERYTHING, unit="checked"),
    Read(VERIFY, "tenant_id", HISTORY, READABLE_SUBTREE, unit="checked"),
    Read(ACTIVE, "", READ, ONE),
    Read(ACTIVE, "csv", READ, ONE, {"format": "csv"}),
    Read(ACTIVE, "include_subtenants", READ, WHOLE_SUBTREE, SUBTENANTS),
    Read(
        ACTIVE,
        "include_subtenants csv",
        READ,
        WHOLE_SUBTREE,
        SUBTENANTS | {"format": "csv"},
    ),
    Read(BILLING, "", READ, ONE, exact=False),
    Read(BILLING, "csv", READ, ONE, {"format": "csv"}, exact=False),
    Read(BILLING, "include_subtenants", READ, WHOLE_SUBTREE, SUBTENANTS, exact=False),
    Read(
        BILLING,
        "include_subtenants csv",
        READ,
        WHOLE_SUBTREE,
        SUBTENANTS | {"format": "csv"},
        exact=False,
    ),
    Read(("GET", f"{T}/tree"), "", READ, READABLE_SUBTREE),
    Read(TENANTS, "everything", READ, EVERYTHING),
    Read(TENANTS, "parent_id", READ, CHILDREN),
    Read(KEY_LIST, "everything", KEYS, EVERYTHING, unit="keys"),
    Read(KEY_LIST, "tenant_id", KEYS, ONE, unit="keys"),
    Read(HOOKS, "everything", WEBHOOKS, EVERYTHING, unit="endpoints"),
    Read(HOOKS, "tenant_id", WEBHOOKS, ONE, unit="endpoints"),
)

# Reads whose path names a resource of one tenant (not the tenant): what
# they cover is that resource's, and the route matrix checks its scope (404
# for a resource out of the key's scope).
OF_A_RESOURCE = {
    "/v1/webhook-endpoints/{endpoint_id}/deliveries": "one endpoint's own log",
}

# Query parameters that select within what a read covers and so cannot
# widen it; every other parameter of a GET route needs a read above.
NOT_SCOPE = {
    "limit": "paging: fewer of the same rows",
    "after": "paging: where the same rows resume",
    "cursor": "paging: where the same rows resume",
    "min_position": "waits for the projection; the same rows",
    "wait_ms": "how long to wait for the projection",
    "status": "a filter on the same tenant's rows",
    "q": "a filter on the names of the same tenants",
    "at": "the same tenant's state at an instant",
    "as_of": "the day the same members are judged on",
    "pool": "one of the tenant's own pools",
    "from": "the first day of the same tenant's history",
    "to": "the last day of the same tenant's history",
    "basis_days": "how much of the same pool's history a forecast reads",
    "month": "which month of the same tenant's billing",
}


@dataclass(frozen=True)
class Universe:
    """The tree, the log and the keys as the operator sees them."""

    parents: dict[str, str | None]  # tenant id -> parent id
    # position, tenant, aggregate type, the other tenants its payload names
    # (field, tenant id)
    events: list[tuple[int, str | None, str, frozenset[tuple[str, str]]]]
    keys: list[tuple[str, str, str | None]]  # key id, role, tenant
    endpoints: list[tuple[str, str | None]]  # webhook endpoint id, tenant

    def subtree(self, tid: str) -> set[str]:
        found = {tid}
        while more := {t for t, p in self.parents.items() if p in found} - found:
            found |= more
        return found


def expected(
    w: World, u: Universe, who: Who, read: Read, tid: str | None
) -> tuple[int, Observed | None]:
    """The status the contract requires, and with 200 what the answer must
    show exactly (the tenants, events or keys it covers, or their count)."""
    status, covered = coverage(w, u, who, read, tid)
    if covered is None:
        return status, None
    events = [e for e in u.events if e[1] in covered]
    if read.unit == "events":
        return status, frozenset(
            position
            for position, _, _, named in events
            if all(w.nameable(who, t, field, read.action) for field, t in named)
        )
    if read.unit == "checked":  # every checkpoint is checked by every verify
        trail = [e for e in u.events if e[2] == "AuditTrail" and e[1] not in covered]
        return status, len(events) + len(trail)
    if read.unit == "keys":
        return status, frozenset(
            key_id
            for key_id, role, owner in u.keys
            if owner in covered and issues(who.role, w.relation(who, owner), role)
        )
    if read.unit == "endpoints":
        return status, frozenset(e for e, owner in u.endpoints if owner in covered)
    return status, frozenset(t for t in covered if t is not None)  # tenants


def coverage(
    w: World, u: Universe, who: Who, read: Read, tid: str | None
) -> tuple[int, set[str | None] | None]:
    """The status, and the tenants the read covers (None in the set: data of
    no tenant)."""
    may = w.readable
    if tid is None:
        every: set[str | None] = {t for t in u.parents if may(who, t, read.action)}
        if not every and not may(who, None, read.action):
            return (403 if not role_may(who.role, read.action) else 404), None
        return 200, every | ({None} if may(who, None, read.action) else set())
    if tid not in u.parents:
        return 404, None
    if not may(who, tid, read.action):
        refusal = read_refusal(who.role, w.relation(who, tid), read.action)
        return (403 if refusal == "forbidden" else 404), None
    below = u.subtree(tid)
    if read.covers == ONE:
        return 200, {tid}
    if read.covers == CHILDREN:
        children = {t for t in below if u.parents[t] == tid}
        return 200, {t for t in children if may(who, t, read.action)}
    if read.covers == WHOLE_SUBTREE and not all(
        may(who, t, read.action) for t in below
    ):
        return 403, None
    return 200, {t for t in below if may(who, t, read.action)}


Observe = Callable[[httpx.Response], Observed]


def observe(read: Read, r: httpx.Response) -> Observed:
    """What one page of a read's answer shows, in the read's unit."""
    body = r.json() if r.headers["content-type"].startswith("application/json") else {}
    if read.unit == "events":
        return frozenset(e["position"] for e in body["events"])
    if read.unit == "checked":
        return int(body["checked"])
    if read.unit == "keys":
        return frozenset(k["key_id"] for k in body["keys"])
    if read.unit == "endpoints":
        return frozenset(e["endpoint_id"] for e in body["endpoints"])
    return frozenset(revealed_tenants(r))


def fetch(client: httpx.Client, read: Read, call: Call) -> tuple[httpx.Response, Any]:
    """The first answer, and what all of its pages show together."""
    template = read.route[1].format(**call.path)
    r = client.get(template, params={**call.query, **_first_page(read)})
    if r.status_code != 200:
        return r, None
    seen = observe(read, r)
    while isinstance(seen, frozenset) and (following := _next_page(read, r)):
        more = client.get(template, params={**call.query, **following})
        assert more.status_code == 200, more.text
        seen = seen | frozenset(observe(read, more))
        r = more
    return r, seen


def _first_page(read: Read) -> dict[str, Any]:
    if read.unit == "events":
        return {"after": 0, "limit": 1000}
    return {"limit": 1000} if read.route in (TENANTS, HOOKS) else {}


def _next_page(read: Read, r: httpx.Response) -> dict[str, Any] | None:
    if read.unit == "events" and (after := r.json()["next_after"]) is not None:
        return {"after": after, "limit": 1000}
    if read.route in (TENANTS, HOOKS) and (cursor := r.json()["next_cursor"]):
        return {"cursor": cursor, "limit": 1000}
    return None
