"""An endpoint as the webhook sender knows it, at its position in the log."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from application.queries.scope import names_only
from projections.envelope import Envelope


def epoch(instant: str) -> float:
    return datetime.fromisoformat(instant).timestamp()


@dataclass
class Target:
    """An endpoint as the sender knows it at its position in the log."""

    endpoint_id: str
    tenant_id: str | None
    include_subtenants: bool
    event_types: set[str] | None
    url: str
    status: str
    secrets: list[list[Any]] = field(default_factory=list)  # [sealed, until]

    def row(self) -> tuple[Any, ...]:
        types = sorted(self.event_types) if self.event_types is not None else None
        return (
            self.endpoint_id,
            self.tenant_id,
            self.include_subtenants,
            json.dumps(types) if types is not None else None,
            self.url,
            self.status,
            json.dumps(self.secrets),
        )

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> Target:
        types = json.loads(row[3]) if row[3] is not None else None
        return cls(
            row[0],
            row[1],
            bool(row[2]),
            set(types) if types is not None else None,
            row[4],
            row[5],
            json.loads(row[6]),
        )

    def wants(self, e: Envelope, lineage: list[str]) -> bool:
        if self.status != "enabled" or e.aggregate_id == self.endpoint_id:
            return False  # an endpoint is not told of its own changes
        if self.event_types is not None and e.type not in self.event_types:
            return False
        if self.tenant_id is None:
            return True  # the operator's: every event
        if self.tenant_id == e.tenant_id:
            # An endpoint of its tenant alone is told what that tenant's
            # own-tenant keys are shown: not the events naming a sub-tenant
            # or a sibling (its deliveries are readable by those keys).
            return self.include_subtenants or names_only(e.payload, {self.tenant_id})
        return self.include_subtenants and self.tenant_id in lineage

    def change(self, e: Envelope, now: float) -> None:
        """Applies a change of the endpoint (not its creation or deletion)."""
        p = e.payload
        if e.type == "WebhookEndpointUpdated":
            types = p.get("event_types")
            self.url = p["url"]
            self.event_types = set(types) if types is not None else None
        elif e.type == "WebhookEndpointDisabled":
            self.status = "disabled"
        elif e.type == "WebhookEndpointEnabled":
            self.status = "enabled"
        elif e.type == "WebhookSecretRotated":
            until = epoch(p["previous_valid_until"])
            kept = [[s, u if u is not None else until] for s, u in self.secrets]
            live = [pair for pair in kept if pair[1] > now and pair[0] != p["secret"]]
            self.secrets = [*live, [p["secret"], None]]
