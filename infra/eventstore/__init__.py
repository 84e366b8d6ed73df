"""The event store: eventsourcing's recorders and mapper (with the hash chain)
composed into the small interfaces of application/ports.py."""

from infra.eventstore.log import Log
from infra.eventstore.persistence import Persistence
from infra.eventstore.store import Store

__all__ = ["Log", "Persistence", "Store"]
