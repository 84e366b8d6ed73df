"""The contract the isolation matrices check, as data (README "Keys, roles and scopes"):
the role table, where a tenant stands seen from a key, the tree and the keys.

The implementation (Principal.in_scope, RULES, ROUTE_RULES) is what is
checked, never consulted: everything here is written from docs/http.md.

Tree: R (root) -> P (the partner's tenant) -> C -> G, a sibling S of C under
P, and an unrelated root X; every tenant holds `multi_tenant`; C and S draw
seats from a pool of P, and C passed one of them to S. Keys sit at P
and at C, so each role meets a tenant at every position: its own, its
parent, an ancestor above that, a child, a descendant below that, a
sibling, and an unrelated one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Rows of the role table.
CREATE_ROOT = "create root tenant"
CREATE_SUB = "create sub-tenant"
CONTRACT = "pool limits, feature licenses, handover, suspend, close"
APPROVE = "approve / reject license orders"
MANAGE = "rename, logo, members, invitations, assignments, place/cancel orders"
ACCEPT = "accept an invitation"
READ = "read state, projections and reports"
HISTORY = "history, /v1/events, verify"
KEYS = "create / revoke / list keys"
WEBHOOKS = "webhook endpoints"

# The table's columns: where the target stands, seen from the key's tenant.
OWN = "own tenant"
DESC = "strict descendant"
OUTSIDE = "outside the subtree"
ANY = "any tenant (unscoped key)"
NONE = "no tenant (a root tenant, an unscoped key)"

# Positions in a tree, each falling in one column: what is not the key's own
# tenant or below it is outside, however near ("own tenant" is exact).
PARENT, ANCESTOR, SIBLING, UNRELATED = "parent", "ancestor", "sibling", "unrelated"
CHILD, GRANDCHILD = "child", "grandchild"
COLUMN = {
    OWN: OWN,
    CHILD: DESC,
    GRANDCHILD: DESC,
    PARENT: OUTSIDE,
    ANCESTOR: OUTSIDE,
    SIBLING: OUTSIDE,
    UNRELATED: OUTSIDE,
    ANY: ANY,
    NONE: NONE,
}

EVERYTHING = frozenset(
    {
        CREATE_ROOT,
        CREATE_SUB,
        CONTRACT,
        APPROVE,
        MANAGE,
        ACCEPT,
        READ,
        HISTORY,
        KEYS,
        WEBHOOKS,
    }
)
OWN_TENANT = frozenset({CREATE_SUB, MANAGE, ACCEPT, READ, HISTORY})

# (role, column) -> the actions the contract allows; anything missing: none.
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("operator", ANY): EVERYTHING,
    ("operator", NONE): frozenset({CREATE_ROOT, KEYS, WEBHOOKS}),
    ("partner", OWN): OWN_TENANT | {KEYS, WEBHOOKS},
    ("partner", DESC): OWN_TENANT | {CONTRACT, APPROVE, KEYS, WEBHOOKS},
    ("tenant_admin", OWN): OWN_TENANT | {KEYS, WEBHOOKS},
    ("service", OWN): OWN_TENANT,
    ("auditor", OWN): frozenset({READ, HISTORY}),
    ("auditor", DESC): frozenset({READ, HISTORY}),
    ("auditor", ANY): frozenset({READ, HISTORY}),
    ("analyst", OWN): frozenset({READ}),
    ("analyst", DESC): frozenset({READ}),
    ("analyst", ANY): frozenset({READ}),
}
# Key roles a key may never issue or revoke, even where it manages keys: a
# key never grants more than it holds (a tenant_admin's auditor or analyst
# key would read the whole subtree, which the tenant_admin cannot).
NEVER_ISSUES: dict[str, frozenset[str]] = {
    "operator": frozenset(),
    "partner": frozenset({"operator"}),
    "tenant_admin": frozenset({"operator", "partner", "auditor", "analyst"}),
}
ROLES = ("operator", "partner", "tenant_admin", "service", "auditor", "analyst")


def allowed(role: str, position: str, action: str) -> bool:
    return action in ALLOWED.get((role, COLUMN[position]), frozenset())


def role_may(role: str, action: str) -> bool:
    """Whether the role may take `action` anywhere at all."""
    return any(action in acts for (r, _), acts in ALLOWED.items() if r == role)


def read_refusal(role: str, position: str, action: str) -> str:
    """How a read the table does not allow is refused: "forbidden" (403,
    the role may not do this) when the role may not take the action
    anywhere and the key reads the tenant's state, or names none, so the
    answer reveals nothing; else "not_found" (404: out of scope, existence
    not revealed)."""
    if not role_may(role, action) and (
        position == NONE or allowed(role, position, READ)
    ):
        return "forbidden"
    return "not_found"


# Where an answer names a tenant besides a `tenant_id`: a tenant's sub-tenants
# (`children`), and an event's payload naming another tenant than the event's
# own (SubTenantAttached, SeatAllocatedToChild, SeatsTransferred). "Own
# tenant" is exact for every read: each must be a tenant the key reads.
CHILDREN = "children"
NAMING_FIELDS = ("child_id", "child_tenant_id", "to_tenant_id")
# The one exception, kept as it is: a key that reads subtrees is shown the
# events of the tenants it covers as stored, so in the history of the giver
# of a transfer between siblings it reads the receiver, a sibling outside
# its subtree (SeatsTransferred.to_tenant_id). A key confined to its own
# tenant is not shown that event.
TOLD_OF_A_SIBLING = ("to_tenant_id", SIBLING)


def reads_subtree(role: str) -> bool:
    """Operator, partner, auditor and analyst keys read below their tenant;
    tenant_admin and service keys do not."""
    return allowed(role, CHILD, READ) or allowed(role, ANY, READ)


def may_name(role: str, position: str, field: str, action: str) -> bool:
    """Whether an answer of `action` to a `role` key may name, in `field`, a
    tenant standing at `position` for the key."""
    if allowed(role, position, action):
        return True
    return reads_subtree(role) and (field, position) == TOLD_OF_A_SIBLING


def issues(role: str, position: str, key_role: str) -> bool:
    """Whether a key of `role` may create or revoke a `key_role` key of a
    tenant at `position`."""
    if not allowed(role, position, KEYS):
        return False
    return key_role not in NEVER_ISSUES.get(role, frozenset())


PARENTS: dict[str, str | None] = {
    "R": None,
    "P": "R",
    "C": "P",
    "S": "P",
    "G": "C",
    "X": None,
}
GHOST = "00000000-0000-4000-8000-00000000dead"  # a tenant that does not exist


@dataclass(frozen=True)
class Who:
    name: str
    role: str
    home: str | None  # the key's tenant (a label of PARENTS), None: unscoped
    targets: tuple[str, ...]  # tenants the route matrix aims this key at


FROM_P = ("R", "P", "C", "G", "X")  # parent, own, child, grandchild, unrelated
FROM_C = ("P", "C", "G", "S", "X")  # parent, own, child, sibling, unrelated
PRINCIPALS = (
    Who("operator", "operator", None, ("C", "X")),
    Who("partner@P", "partner", "P", FROM_P),
    Who("partner@C", "partner", "C", FROM_C),
    Who("tenant_admin@C", "tenant_admin", "C", FROM_C),
    Who("service@C", "service", "C", FROM_C),
    Who("auditor@P", "auditor", "P", FROM_P),
    Who("auditor@C", "auditor", "C", FROM_C),
    Who("analyst@P", "analyst", "P", FROM_P),
    Who("analyst@C", "analyst", "C", FROM_C),
    Who("auditor", "auditor", None, ("C", "X")),
    Who("analyst", "analyst", None, ("C", "X")),
)
BY_NAME = {who.name: who for who in PRINCIPALS}

Parent = Callable[[str], str | None]


def position_of(home: str | None, target: str | None, parent: Parent) -> str:
    """Where `target` stands seen from a key at `home`, in a tree given by
    `parent` (labels or tenant ids alike)."""
    if target is None:
        return NONE
    if home is None:
        return ANY
    if target == home:
        return OWN
    up, depth = parent(target), 1
    while up is not None:
        if up == home:
            return CHILD if depth == 1 else GRANDCHILD
        up, depth = parent(up), depth + 1
    above = _ancestors(home, parent)
    if target in above:
        return PARENT if above[0] == target else ANCESTOR
    if above and parent(target) == above[0]:
        return SIBLING
    return UNRELATED


def _ancestors(tenant: str, parent: Parent) -> list[str]:
    found: list[str] = []
    up = parent(tenant)
    while up is not None:
        found.append(up)
        up = parent(up)
    return found


def position(who: Who, target: str | None) -> str:
    """Where the tree's tenant `target` (a label) stands for `who`."""
    return position_of(who.home, target, PARENTS.__getitem__)
