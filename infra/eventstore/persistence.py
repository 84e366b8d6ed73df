"""eventsourcing's infrastructure, built once: factory, transcoder, the
mapper that adds who-and-why and the hash chain, the recorders."""

from __future__ import annotations

import json
import os
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    DatetimeAsISO,
    DecimalAsStr,
    EventStore,
    InfrastructureFactory,
    JSONTranscoder,
    UUIDAsHex,
)
from eventsourcing.utils import Environment

from infra.chain import GENESIS, HashChain, event_hash, split_hash
from infra.events import EnvelopeMapper

# The application name names the tables (seatledger_events, ...): existing
# stores are found under it.
NAME = "seatledger"


class Persistence:
    def __init__(self, env: dict[str, str]) -> None:
        # As eventsourcing's Application does: the process environment first,
        # so a `SEATLEDGER_<LIBRARY SETTING>` variable can tune the library.
        merged = {**os.environ, **env, "IS_SNAPSHOTTING_ENABLED": "y"}
        environment = Environment(NAME, merged)
        self.factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(
            environment
        )
        transcoder = self.factory.transcoder()
        if isinstance(transcoder, JSONTranscoder):
            for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
                transcoder.register(transcoding)
        mapper = self.factory.mapper(transcoder=transcoder, mapper_class=EnvelopeMapper)
        assert isinstance(mapper, EnvelopeMapper)
        self.mapper = mapper
        self.recorder: ApplicationRecorder = self.factory.application_recorder()
        snapshot_recorder = self.factory.aggregate_recorder(purpose="snapshots")
        self.events: EventStore[UUID] = EventStore(mapper, self.recorder)
        self.snapshots: EventStore[UUID] = EventStore(mapper, snapshot_recorder)
        self.mapper.chain = HashChain(self.stored_hash)

    @property
    def dialect(self) -> str:
        module = type(self.factory).__module__
        return "sqlite" if "sqlite" in module else "postgres"

    def stored_hash(self, aggregate_id: UUID, version: int) -> str | None:
        """The hash of a stored event, for chaining the next one to it (None
        when there is no such event)."""
        found = self.recorder.select_events(
            aggregate_id, gt=version - 1, lte=version, limit=1
        )
        if not found:
            return None
        recorded = split_hash(json.loads(found[0].state))
        if recorded is not None:
            return recorded
        # Recorded before events carried hashes: what it would have hashed to,
        # folded from the aggregate's first event (a loop, not a recursion:
        # such histories can be long).
        previous = GENESIS
        for stored in self.recorder.select_events(aggregate_id, lte=version):
            state = json.loads(stored.state)
            previous = split_hash(state) or event_hash(
                previous, aggregate_id, stored.originator_version, stored.topic, state
            )
        return previous

    def to_domain_events(self, stored: Any) -> list[DomainEventProtocol[UUID]]:
        return [self.mapper.to_domain_event(s) for s in stored]

    def close(self) -> None:
        self.factory.close()
