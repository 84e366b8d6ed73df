"""The positions the shadow records as it applies, and the statements that
raise (never lower) them on either side."""

from __future__ import annotations

from collections.abc import Sequence

from consumers.log_follower import SOURCE
from projections.envelope import Envelope
from projections.registry import Projection, advance_checkpoint
from projections.sql import Tx

TRACKING = ("projection_tenant_positions", "projection_checkpoints")
_RAISE_POSITION = (
    "INSERT INTO projection_tenant_positions (tenant_id, position) {rows}"
    " ON CONFLICT (tenant_id) DO UPDATE SET position = excluded.position"
    " WHERE projection_tenant_positions.position < excluded.position"
)


def apply_to_shadow(
    tx: Tx, envelopes: Sequence[Envelope], projections: Sequence[Projection]
) -> None:
    """Only this replay writes the shadow, in log order: every envelope is new
    there, so positions are recorded once per batch, not checked per event."""
    last: dict[str, int] = {}
    for envelope in envelopes:
        for projection in projections:
            projection.apply(tx, envelope)
        last[envelope.tenant_id or ""] = envelope.position
    tx.executemany(_RAISE_POSITION.format(rows="VALUES (?, ?)"), list(last.items()))
    advance_checkpoint(tx, SOURCE, envelopes[-1].position)
