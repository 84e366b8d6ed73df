"""The answer given to each command id, so a redelivered command (Kafka
at-least-once, a client retry) is answered from the record without running
again. The effects themselves are protected by the CommandReceipt saved with
them; this table only keeps the answer."""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import UUID

from infra.db import Database
from projections.sql import Tx


class CommandLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def create_tables(tx: Tx) -> None:
        tx.execute(
            """CREATE TABLE IF NOT EXISTS command_results (
                command_id TEXT PRIMARY KEY,
                fingerprint TEXT NOT NULL,
                status INTEGER NOT NULL,
                body TEXT NOT NULL,
                recorded_at DOUBLE PRECISION NOT NULL)"""
        )

    def lookup(self, command_id: UUID) -> tuple[str, int, dict[str, Any]] | None:
        with self.db.read() as tx:
            rows = tx.execute(
                "SELECT fingerprint, status, body FROM command_results"
                " WHERE command_id = ?",
                (str(command_id),),
            )
        if not rows:
            return None
        fingerprint, status, body = rows[0]
        return str(fingerprint), int(status), json.loads(body)

    def record(
        self, command_id: UUID, fingerprint: str, status: int, body: dict[str, Any]
    ) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO command_results VALUES (?,?,?,?,?)"
                " ON CONFLICT (command_id) DO NOTHING",
                (str(command_id), fingerprint, status, json.dumps(body), time.time()),
            )
