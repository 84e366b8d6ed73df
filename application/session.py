"""What one command's handler loads: aggregates by id, tenants, lineage.

Handlers call these instead of a repository, so the bus knows everything a
decision read (for the freshness check at save) and everything it may have
changed (to undo a refused command's partial effects).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.auth import Principal
from domain.errors import NotFound
from domain.tenant import Tenant

if TYPE_CHECKING:
    from application.batch import Batch

A = TypeVar("A", bound=Aggregate)


class Session:
    def __init__(self, batch: Batch, who: Principal, now: datetime) -> None:
        self.batch = batch
        self.who = who
        self.now = now  # "today" and expiries are judged at this instant
        self.seen: dict[UUID, Aggregate] = {}
        # Changed on the way, beside what the handler decides (a pool's due
        # contract changes, applied when it is loaded): saved with it.
        self.also: list[Aggregate] = []

    def touch(self, *aggregates: Aggregate) -> None:
        self.also.extend(aggregates)

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        found = self.batch.find(aggregate_id)
        if found is None:
            return None
        self.seen[aggregate_id] = found
        return found if isinstance(found, cls) else None

    def load(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        found = self.find(cls, aggregate_id)
        if found is None:
            raise NotFound(f"{what} not found")
        return found

    def tenant(self, tenant_id: UUID) -> Tenant:
        return self.load(Tenant, tenant_id, "tenant")

    def lineage(self, tenant_id: UUID) -> list[UUID]:
        """The tenant and its ancestors, nearest first; [] when unknown."""
        chain: list[UUID] = []
        current: UUID | None = tenant_id
        while current is not None and current not in chain:
            tenant = self.find(Tenant, current)
            if tenant is None:
                return chain
            chain.append(current)
            current = tenant.parent_id
        return chain
