"""The event envelope (docs/design.md): what every projection is fed, from any
source."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Envelope:
    position: int
    event_id: str
    aggregate_id: str
    aggregate_type: str
    aggregate_version: int
    type: str
    schema_version: int
    occurred_at: str
    tenant_id: str | None
    actor: str | None
    correlation_id: str | None
    causation_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Envelope:
        fields: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        return cls(**fields)
