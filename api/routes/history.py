"""History (for auditors): the stored events in global order, and the check
of their hash chains.

Everything here reads the event store, never a projection: an auditor's view
must not depend on a read model being complete or up to date.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.deps import PAGE_LIMIT, principal, reads
from api.history_schemas import EventOut, EventsOut, VerifyOut
from api.policy import listed
from application.auth import Principal
from application.queries.history import SCAN_BUDGET
from application.queries.reads import Reads
from projections.envelope import Envelope

router = APIRouter(tags=["history"], dependencies=[Depends(listed)])
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


# Said once for both: what a key confined to its own tenant is not shown.
CONFINED = (
    " A key that reads its own tenant only (`tenant_admin`, `service`) is not "
    "shown the events whose payload names another tenant (`child_id`, "
    "`child_tenant_id`, `to_tenant_id`)."
)
EVENTS = (
    "The stored events of every tenant the key may read (events of no tenant "
    "only for the operator and unscoped auditors), or of `tenant_id` alone."
    + CONFINED
    + PAGING
)
HISTORY = "The stored events of one tenant." + CONFINED + PAGING


@router.get("/v1/events", response_model=EventsOut, description=EVENTS)
def events(
    after: int = After,
    limit: int = Limit,
    tenant_id: UUID | None = Query(default=None, description="only its events"),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> EventsOut:
    return _page(*r.history.events(who, after, limit, tenant_id))


@router.get(
    "/v1/tenants/{tenant_id}/history", response_model=EventsOut, description=HISTORY
)
def tenant_history(
    tenant_id: UUID,
    after: int = After,
    limit: int = Limit,
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> EventsOut:
    return _page(*r.history.tenant(who, tenant_id, after, limit))


@router.get("/v1/audit/verify", response_model=VerifyOut)
def verify(
    tenant_id: UUID | None = Query(
        default=None, description="this tenant and its descendants only"
    ),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> VerifyOut:
    """Recomputes the hash chains over the stored events: each event chained
    to its aggregate's previous one, and the checkpoints chained to each
    other, which record every aggregate's head (so a dropped tail is found).
    `head_hash` is the latest checkpoint's (null before the first one).

    Covers `tenant_id` and its descendants; without it, what the key may
    read (everything for the operator and unscoped auditors). A key that
    reads its own tenant only covers that tenant alone."""
    return VerifyOut.of(r.history.verify(who, tenant_id))


def _page(found: list[Envelope], next_after: int | None) -> EventsOut:
    return EventsOut(events=[EventOut.of(e) for e in found], next_after=next_after)
