"""Which endpoint gets which event: the sender's half that follows the log.

Each batch of the log is matched in one transaction that also records the
sender's position: the delivery rows (pending) of every endpoint the event
matches, the endpoints' own changes, and how far it got. A crash before the
commit matches the batch again, after it never (and a delivery's id derives
from its endpoint and event, so even a second matcher inserts nothing
twice): every event is matched exactly once.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from application.ports import EventLog
from consumers.webhooks.targets import Target
from infra.db import Database
from projections.envelope import Envelope
from projections.sql import Tx
from projections.webhook_sender import advance, sender_position

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


def delivery_id(endpoint_id: str, event_id: str) -> str:
    return str(uuid5(UUID(endpoint_id), event_id))


class Matcher:
    def __init__(self, log: EventLog, db: Database, batch: int = 500) -> None:
        self.log = log
        self.db = db
        self.batch = batch
        self.parents: dict[str, str | None] = {}  # tenants never move
        # As committed by this matcher (the one writer); read again after a
        # failure, when what was committed is not known.
        self._reached: int | None = None

    def position(self) -> int:
        with self.db.read() as tx:
            return sender_position(tx)

    def step(self, now: float) -> tuple[int, list[Envelope]]:
        """Matches the next batch; returns how many events it read and those
        it made deliveries of."""
        if self._reached is None:
            self._reached = self.position()
        envelopes = self.log.after(self._reached, self.batch)
        if not envelopes:
            return 0, []
        self._reached = None
        with self.db.transaction() as tx:
            targets = {t.endpoint_id: t for t in _targets(tx)}
            made = [e for e in envelopes if self._apply(tx, e, targets, now)]
            advance(tx, envelopes[-1].position)
        self._reached = envelopes[-1].position
        return len(envelopes), made

    def _apply(
        self, tx: Tx, e: Envelope, targets: dict[str, Target], now: float
    ) -> int:
        if e.type == "TenantCreated":
            self._tenant(tx, e)
        elif e.aggregate_type == "WebhookEndpoint":
            _endpoint_changed(tx, e, targets, now)
        lineage = self.lineage(tx, e.tenant_id) if e.tenant_id else []
        made = 0
        for target in targets.values():
            if target.wants(e, lineage):
                made += _deliver(tx, target, e, now)
        return made

    def _tenant(self, tx: Tx, e: Envelope) -> None:
        parent = e.payload.get("parent_id")
        self.parents[e.aggregate_id] = parent
        tx.execute(
            "INSERT INTO webhook_tenants VALUES (?, ?) ON CONFLICT DO NOTHING",
            (e.aggregate_id, parent),
        )

    def lineage(self, tx: Tx, tenant_id: str) -> list[str]:
        """The tenant and its ancestors, nearest first."""
        chain: list[str] = []
        current: str | None = tenant_id
        while current is not None and current not in chain:
            chain.append(current)
            if current not in self.parents:
                rows = tx.execute(
                    "SELECT parent_id FROM webhook_tenants WHERE tenant_id = ?",
                    (current,),
                )
                if not rows:
                    return chain
                self.parents[current] = rows[0][0]
            current = self.parents[current]
        return chain


def _targets(tx: Tx) -> list[Target]:
    rows = tx.execute(
        "SELECT endpoint_id, tenant_id, include_subtenants, event_types, url,"
        " status, secrets FROM webhook_targets"
    )
    return [Target.of(r) for r in rows]


def _deliver(tx: Tx, target: Target, e: Envelope, now: float) -> int:
    inserted = tx.execute(
        "INSERT INTO webhook_deliveries (delivery_id, endpoint_id, event_id,"
        " position, type, status, attempts, next_attempt_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)"
        " ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id",
        (
            delivery_id(target.endpoint_id, e.event_id),
            target.endpoint_id,
            e.event_id,
            e.position,
            e.type,
            PENDING,
            now,
            now,
        ),
    )
    return len(inserted)


def _endpoint_changed(
    tx: Tx, e: Envelope, targets: dict[str, Target], now: float
) -> None:
    p, endpoint_id = e.payload, e.aggregate_id
    target = targets.get(endpoint_id)
    if e.type == "WebhookEndpointCreated":
        types = p.get("event_types")
        target = Target(
            endpoint_id,
            p.get("tenant_id"),
            bool(p.get("include_subtenants")),
            set(types) if types is not None else None,
            p["url"],
            "enabled",
            [[p["secret"], None]],
        )
    elif target is None:
        return  # an endpoint created before a history this sender never saw
    elif e.type == "WebhookDeliveryRetryRequested":
        _retry(tx, endpoint_id, str(p["delivery_id"]), now)
        return
    elif e.type == "WebhookEndpointDeleted":
        _deleted(tx, endpoint_id, targets)
        return
    else:
        target.change(e, now)
    targets[endpoint_id] = target
    tx.execute(
        "INSERT INTO webhook_targets VALUES (?,?,?,?,?,?,?) ON CONFLICT (endpoint_id)"
        " DO UPDATE SET url = excluded.url, event_types = excluded.event_types,"
        " status = excluded.status, secrets = excluded.secrets",
        target.row(),
    )


def _retry(tx: Tx, endpoint_id: str, delivery: str, now: float) -> None:
    tx.execute(
        "UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?"
        " WHERE delivery_id = ? AND endpoint_id = ?",
        (PENDING, now, delivery, endpoint_id),
    )


def _deleted(tx: Tx, endpoint_id: str, targets: dict[str, Target]) -> None:
    """Nothing more is sent to a deleted endpoint; its log stays readable."""
    targets.pop(endpoint_id, None)
    tx.execute("DELETE FROM webhook_targets WHERE endpoint_id = ?", (endpoint_id,))
    tx.execute(
        "UPDATE webhook_deliveries SET status = ?, next_attempt_at = NULL,"
        " last_error = ? WHERE endpoint_id = ? AND status = ?",
        (FAILED, "the endpoint was deleted", endpoint_id, PENDING),
    )
