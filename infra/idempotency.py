"""Stored responses for `Idempotency-Key`, scoped to the calling key.

A key is claimed before the call runs (a primary-key insert, so two concurrent
repeats cannot both run) and completed with the response afterwards. A claim
whose call died is released, or taken over once it is stale.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from infra.db import Database
from projections.sql import Tx

STALE_AFTER_S = 60.0


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    content_type: str


class KeyReused(Exception):
    """Same idempotency key, different request."""


class KeyInFlight(Exception):
    """The first request with this key is still running."""


class IdempotencyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def create_tables(tx: Tx) -> None:
        tx.execute(
            """CREATE TABLE IF NOT EXISTS idempotency_keys (
                scope TEXT NOT NULL,
                idem_key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                status INTEGER,
                content_type TEXT,
                body TEXT,
                claimed_at DOUBLE PRECISION NOT NULL,
                claim TEXT NOT NULL,
                PRIMARY KEY (scope, idem_key))"""
        )

    def claim(self, scope: str, key: str, fingerprint: str) -> StoredResponse | None:
        """None: the caller runs the request. A response: replay it."""
        now, mine = time.time(), uuid.uuid4().hex
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO idempotency_keys (scope, idem_key, fingerprint,"
                " claimed_at, claim) VALUES (?,?,?,?,?)"
                " ON CONFLICT (scope, idem_key) DO NOTHING",
                (scope, key, fingerprint, now, mine),
            )
            rows = tx.execute(
                "SELECT fingerprint, status, content_type, body, claimed_at, claim"
                " FROM idempotency_keys WHERE scope = ? AND idem_key = ?",
                (scope, key),
            )
            stored_fp, status, content_type, body, claimed_at, claim = rows[0]
            if stored_fp != fingerprint:
                raise KeyReused
            if status is not None:
                return StoredResponse(int(status), body.encode(), content_type)
            if claim == mine:
                return None
            if now - claimed_at < STALE_AFTER_S:
                raise KeyInFlight
            tx.execute(
                "UPDATE idempotency_keys SET claimed_at = ?, claim = ?"
                " WHERE scope = ? AND idem_key = ?",
                (now, mine, scope, key),
            )
            return None

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE idempotency_keys SET status = ?, content_type = ?, body = ?"
                " WHERE scope = ? AND idem_key = ?",
                (
                    response.status,
                    response.content_type,
                    response.body.decode(),
                    scope,
                    key,
                ),
            )

    def release(self, scope: str, key: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ?"
                " AND status IS NULL",
                (scope, key),
            )
