"""History (for auditors): the stored events in global order, and the check
of their hash chains.

Everything here reads the event store, never a projection: an auditor's view
must not depend on a read model being complete or up to date.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.auth import Guard
from api.deps import PAGE_LIMIT, container
from api.history_schemas import EventOut, EventsOut, VerifyOut
from api.policy import guard
from infra import audit
from infra.bootstrap import Container
from infra.events import readable_envelope
from infra.ledger import Ledger
from projections.envelope import Envelope

router = APIRouter(tags=["history"])

# A filtered page scans at most this many stored events, so a request costs
# the same whether the tenant's next event is near or a million positions on.
SCAN_BUDGET = 20_000
SCAN_BATCH = 1_000
MAX_POSITION = 2**62

PAGING = f"""

Paging: events come in global (position) order, starting after `after`.
`next_after` is the last position this request looked at: pass it as
`after` for the next page. It is null once the end of the log was reached
(to follow the log later, page on from the last position you received).
When events are filtered (by tenant, or to a scoped key's subtree), one
request scans at most {SCAN_BUDGET:,} stored events, so a page may hold
fewer than `limit` events, even none, while `next_after` is not null: keep
paging until it is null. Positions only grow but may skip numbers; the hash
chains (`hash`, and `GET /v1/audit/verify`), not the numbering, prove that
no event is missing.
"""

After = Query(default=0, ge=0, le=MAX_POSITION, description="only events after it")
Limit = Query(default=100, ge=1, le=PAGE_LIMIT, description="events per page")


EVENTS = (
    "The stored events of every tenant the key may read (events of no tenant "
    "only for the operator and unscoped auditors), or of `tenant_id` alone." + PAGING
)
HISTORY = "The stored events of one tenant." + PAGING


@router.get("/v1/events", response_model=EventsOut, description=EVENTS)
def events(
    after: int = After,
    limit: int = Limit,
    tenant_id: UUID | None = Query(default=None, description="only its events"),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> EventsOut:
    tenants = _readable(access, c.ledger, tenant_id, subtree=False)
    return _page(c.ledger, after, limit, tenants)


@router.get(
    "/v1/tenants/{tenant_id}/history", response_model=EventsOut, description=HISTORY
)
def tenant_history(
    tenant_id: UUID,
    after: int = After,
    limit: int = Limit,
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> EventsOut:
    access.check(tenant_id)
    c.ledger.tenant(tenant_id)  # an unknown tenant is 404
    return _page(c.ledger, after, limit, {str(tenant_id)})


@router.get("/v1/audit/verify", response_model=VerifyOut)
def verify(
    tenant_id: UUID | None = Query(
        default=None, description="this tenant and its descendants only"
    ),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> VerifyOut:
    """Recomputes the hash chains over the stored events: each event chained
    to its aggregate's previous one, and the checkpoints chained to each
    other, which record every aggregate's head (so a dropped tail is found).
    `head_hash` is the latest checkpoint's (null before the first one).

    Covers `tenant_id` and its descendants; without it, the key's subtree
    (everything for the operator and unscoped auditors)."""
    tenants = _readable(access, c.ledger, tenant_id, subtree=True)
    return VerifyOut.of(audit.verify(c.ledger, tenants))


def _readable(
    access: Guard, ledger: Ledger, tenant_id: UUID | None, subtree: bool
) -> set[str] | None:
    """The tenants whose events the call covers; None: every event."""
    if tenant_id is None:
        home = access.who.tenant_id
        # A scoped key covers its own subtree; of the unscoped keys only the
        # operator and auditors pass (analysts, tenant roles: 404).
        access.check(home)
        return None if home is None else _subtree(ledger, home)
    access.check(tenant_id)
    if subtree:
        return _subtree(ledger, tenant_id)
    ledger.tenant(tenant_id)  # an unknown tenant is 404
    return {str(tenant_id)}


def _subtree(ledger: Ledger, root: UUID) -> set[str]:
    return {str(t) for t in ledger.subtree(root)}


def _page(
    ledger: Ledger, after: int, limit: int, tenants: set[str] | None
) -> EventsOut:
    found, next_after = _scan(ledger, after, limit, tenants)
    return EventsOut(events=[EventOut.of(e) for e in found], next_after=next_after)


def _scan(
    ledger: Ledger, after: int, limit: int, tenants: set[str] | None
) -> tuple[list[Envelope], int | None]:
    """Up to `limit` events after `after` (of `tenants` only, when given) and
    the last position scanned; None when the end of the log was reached."""
    transcoder = ledger.mapper.transcoder
    found: list[Envelope] = []
    position, budget = after, SCAN_BUDGET
    size = limit if tenants is None else SCAN_BATCH
    while budget > 0:
        batch = ledger.recorder.select_notifications(position + 1, min(size, budget))
        for notification in batch:
            position = notification.id
            envelope = readable_envelope(notification, transcoder)
            if tenants is None or envelope.tenant_id in tenants:
                found.append(envelope)
                if len(found) == limit:
                    return found, position
        if len(batch) < min(size, budget):
            return found, None
        budget -= len(batch)
    return found, position
