"""History for auditors: the stored events in global order, and the check of
their hash chains. Everything here reads the event store, never a projection:
an auditor's view must not depend on a read model being complete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from application.auth import Action, Principal
from application.ports import EventLog
from application.queries.scope import Scope, event_shown
from projections.envelope import Envelope

# A filtered page scans at most this many stored events, so a request costs
# the same whether the tenant's next event is near or a million positions on.
SCAN_BUDGET = 20_000
SCAN_BATCH = 1_000
READ = Action.READ_HISTORY

Verify = Callable[[set[str] | None], Any]


class HistoryReads:
    def __init__(self, log: EventLog, scope: Scope, verify: Verify) -> None:
        self.log = log
        self.scope = scope
        self._verify = verify

    def events(
        self, who: Principal, after: int, limit: int, tenant_id: UUID | None
    ) -> tuple[list[Envelope], int | None]:
        """The key's events (or those of `tenant_id` alone); the page and the
        last position scanned (None at the end of the log)."""
        tenants = self.scope.covered(who, READ, tenant_id, subtree=False)
        return self._scan(after, limit, tenants, who)

    def tenant(
        self, who: Principal, tenant_id: UUID, after: int, limit: int
    ) -> tuple[list[Envelope], int | None]:
        self.scope.check(who, READ, tenant_id)
        self.scope.existing(tenant_id)
        return self._scan(after, limit, {str(tenant_id)}, who)

    def verify(self, who: Principal, tenant_id: UUID | None) -> Any:
        """The check over `tenant_id` and its descendants (as far as the key
        reads), or over everything the key may read."""
        return self._verify(self.scope.covered(who, READ, tenant_id, subtree=True))

    def _scan(
        self,
        after: int,
        limit: int,
        tenants: set[str] | None,
        who: Principal,
    ) -> tuple[list[Envelope], int | None]:
        """The events of `tenants` (None: every event) after `after` that
        `who` is shown."""
        found: list[Envelope] = []
        position, budget = after, SCAN_BUDGET
        size = limit if tenants is None else SCAN_BATCH
        while budget > 0:
            batch = self.log.page(position, min(size, budget))
            for notification in batch:
                position = notification.id
                envelope = self.log.envelope(notification)
                if self._shown(envelope, tenants, who):
                    found.append(envelope)
                    if len(found) == limit:
                        return found, position
            if len(batch) < min(size, budget):
                return found, None
            budget -= len(batch)
        return found, position

    @staticmethod
    def _shown(envelope: Envelope, tenants: set[str] | None, who: Principal) -> bool:
        if tenants is not None and envelope.tenant_id not in tenants:
            return False
        return event_shown(who, tenants, envelope.payload)
