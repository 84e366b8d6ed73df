"""Reading the store as a second process would: from snapshots with nothing
cached, or from every event with no snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from infra.bootstrap import Container, bootstrap


def cold_container(c: Container) -> Container:
    """Another container on the same store with no cache: every load starts
    from the aggregate's latest snapshot. Close it when done."""
    cold = c.settings.model_copy(update={"aggregate_cache": 0, "bus_cache": 0})
    return bootstrap(cold, configure_logging=False)


def replayed(c: Container, aggregate_id: UUID) -> Any:
    """The aggregate folded from every one of its events: no snapshot."""
    return c.store.at(aggregate_id, datetime.now(UTC) + timedelta(days=1))
