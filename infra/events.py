"""Who and why of every stored event, and the envelope read back from the log.

Domain events carry business facts only. The command context (actor,
correlation id) and the owning tenant are added here, at the mapper, under the
`_meta` key of the stored state, so the domain stays free of request concerns.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import DomainEventProtocol, Snapshot
from eventsourcing.persistence import Mapper, Notification, StoredEvent, Transcoder

from infra.chain import HASH, META, HashChain, event_hash
from infra.sealing import Sealer
from projections.envelope import Envelope

# Event attributes stored sealed, by aggregate (infra/sealing.py): the
# webhook signing secrets.
SEALED: dict[str, frozenset[str]] = {"WebhookEndpoint": frozenset({"secret"})}


class EnvelopeMapper(Mapper[UUID]):
    # Set once the recorder exists (infra/eventstore/persistence.py).
    chain: HashChain | None = None
    # Set by the composition root; without it a secret is never stored.
    sealer: Sealer | None = None

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        if isinstance(domain_event, Snapshot):
            return super().to_stored_event(domain_event)  # not history
        return self.stored(domain_event, {})

    def stored(
        self, domain_event: DomainEventProtocol[UUID], meta: dict[str, Any]
    ) -> StoredEvent:
        """The stored form of a history event: `meta` (actor, correlation and
        causation id, owning tenant) under `_meta`, chained by hash to its
        aggregate's previous event."""
        meta = {
            "actor": meta.get("actor"),
            "correlation_id": meta.get("correlation_id"),
            "causation_id": meta.get("causation_id"),
            "tenant_id": meta.get("tenant_id"),
        }
        # Events are frozen: map a copy that carries the metadata.
        copy = object.__new__(type(domain_event))
        state = self._sealed(domain_event, {**vars(domain_event), META: meta})
        object.__setattr__(copy, "__dict__", state)
        stored = super().to_stored_event(copy)
        if self.chain is None:
            return stored
        return self._chained(stored, self.chain)

    def _sealed(
        self, domain_event: DomainEventProtocol[UUID], state: dict[str, Any]
    ) -> dict[str, Any]:
        aggregate = type(domain_event).__qualname__.split(".")[0]
        for name in SEALED.get(aggregate, frozenset()) & state.keys():
            if self.sealer is None:
                raise RuntimeError("no sealing key: a secret is never stored in clear")
            bound_to = str(domain_event.originator_id)
            state[name] = self.sealer.seal(state[name], bound_to)
        return state

    @staticmethod
    def _chained(stored: StoredEvent, chain: HashChain) -> StoredEvent:
        state = json.loads(stored.state)
        aggregate_id, version = stored.originator_id, stored.originator_version
        assert isinstance(aggregate_id, UUID)
        previous = chain.previous(aggregate_id, version)
        hash_ = event_hash(previous, aggregate_id, version, stored.topic, state)
        state[META][HASH] = hash_
        chain.saving(aggregate_id, version, hash_)
        return StoredEvent(
            originator_id=aggregate_id,
            originator_version=version,
            topic=stored.topic,
            state=json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode(),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event = super().to_domain_event(stored_event)
        meta = vars(domain_event).pop(META, None)
        if self.chain is not None and isinstance(meta, dict):
            self.chain.seen(
                domain_event.originator_id,
                domain_event.originator_version,
                meta.get(HASH),
            )
        return domain_event


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def _names(topic: str) -> tuple[str, str]:
    qualname = topic.split(":", 1)[-1]
    parts = qualname.split(".")
    return parts[0], parts[-1]


def to_envelope(notification: Notification, transcoder: Transcoder) -> Envelope:
    state: dict[str, Any] = transcoder.decode(notification.state)
    meta = state.pop(META, None) or {}
    occurred = state.pop("timestamp", None)
    state.pop("originator_topic", None)
    return _envelope(
        notification,
        schema_version=int(state.pop("class_version", 1)),
        occurred_at=jsonable(occurred) if occurred else "",
        meta=meta,
        payload=jsonable(state),
    )


def readable_envelope(notification: Notification, transcoder: Transcoder) -> Envelope:
    """The envelope, or for a stored row that cannot be decoded (only ever a
    tampered one) a placeholder saying so, so auditors can page past it."""
    try:
        return to_envelope(notification, transcoder)
    except (ValueError, TypeError, KeyError, AttributeError):
        unreadable = {"unreadable": "the stored event cannot be decoded"}
        return _envelope(notification, 0, "", {}, unreadable)


def _envelope(
    notification: Notification,
    schema_version: int,
    occurred_at: str,
    meta: dict[str, Any],
    payload: dict[str, Any],
) -> Envelope:
    aggregate_type, event_type = _names(notification.topic)
    aggregate_id = str(notification.originator_id)
    version = notification.originator_version
    return Envelope(
        position=notification.id,
        event_id=str(uuid5(UUID(aggregate_id), str(version))),
        aggregate_id=aggregate_id,
        aggregate_type=aggregate_type,
        aggregate_version=version,
        type=event_type,
        schema_version=schema_version,
        occurred_at=occurred_at,
        tenant_id=meta.get("tenant_id"),
        actor=meta.get("actor"),
        correlation_id=meta.get("correlation_id"),
        causation_id=meta.get("causation_id"),
        payload=payload,
        hash=meta.get(HASH),
    )
