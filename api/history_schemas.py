"""Response bodies of the History routes (for auditors): events as stored."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from infra.audit.walk import VerifyReport
from projections.envelope import Envelope


class EventOut(BaseModel):
    """One stored event: where it stands in the log, what happened, who and
    why (the command context recorded with it), and its chain hash."""

    position: int = Field(description="global position in the store's log")
    event_id: UUID
    aggregate_id: UUID
    aggregate_type: str
    aggregate_version: int
    type: str
    schema_version: int
    occurred_at: datetime | None
    tenant_id: UUID | None = Field(
        description="the owning tenant; null for events of no tenant"
    )
    actor: str | None = Field(description="the key that caused it, `key:<key_id>`")
    correlation_id: str | None
    causation_id: str | None
    payload: dict[str, Any]
    hash: str | None = Field(
        description="sha256 chaining it to its aggregate's previous event"
    )

    @classmethod
    def of(cls, envelope: Envelope) -> EventOut:
        fields = envelope.to_dict()
        fields["occurred_at"] = fields["occurred_at"] or None
        return cls(**fields)


class EventsOut(BaseModel):
    events: list[EventOut]
    next_after: int | None = Field(
        description="pass as `after` for the next page; null at the end of the log"
    )


class VerifyOut(BaseModel):
    ok: bool
    checked: int = Field(description="how many events were checked")
    head_hash: str | None = Field(
        description="the latest checkpoint's hash; null before the first checkpoint"
    )
    first_bad_position: int | None = Field(
        default=None, description="where the first fault was found (when not ok)"
    )
    reason: str | None = Field(default=None, description="what is wrong there")
    checkpoint_position: int | None = Field(
        default=None, description="the latest checkpoint's own position"
    )
    since_checkpoint: int = Field(
        default=0,
        description="checked events after what the latest checkpoint covers"
        " (chained, but not yet anchored by a checkpoint)",
    )
    unhashed: int = Field(
        default=0,
        description="events recorded before events carried hashes, accepted at"
        " the start of their aggregates' histories before the first checkpoint",
    )

    @classmethod
    def of(cls, report: VerifyReport) -> VerifyOut:
        found = asdict(report)
        return cls(**{k: v for k, v in found.items() if k in cls.model_fields})
