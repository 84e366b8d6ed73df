"""Receipts: the one idempotency mechanism.

A command sent with an idempotency key (an HTTP `Idempotency-Key`, or the
`command_id` of `POST /v1/commands` and the Kafka topic) gets a receipt id
derived from (calling key, idempotency key), so keys never collide across
callers. The receipt is saved in the same transaction as the command's
events, so a command takes effect at most once; it keeps what the answer
needs (the aggregate and version answered about, the instant judged at, or
the refusal), so a repeat is answered alike without running again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid5

from domain.commands import Command

NAMESPACE = UUID("0d5d1f4e-64a4-4f0e-9a51-3c1c3f9e7b21")


def receipt_id(key_id: str, idempotency_key: str) -> UUID:
    return uuid5(NAMESPACE, f"{key_id}\n{idempotency_key}")


def fingerprint(command: Command) -> str:
    """What makes two requests the same: the command type and its fields as
    sent (a field left out differs from one sent as null)."""
    canonical = json.dumps(
        {
            "type": type(command).__name__,
            "command": command.model_dump(mode="json", exclude_unset=True),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Receipt:
    receipt_id: UUID
    key_id: str
    fingerprint: str
    command_type: str
    status: int
    decided_at: datetime
    changed: bool = False
    result_id: UUID | None = None
    result_version: int | None = None
    # A refusal: {"code", "detail", "extra"} of the domain error.
    error: dict[str, Any] | None = None
    position: int = 0  # set when saved


class ReceiptBook(Protocol):
    def lookup(self, ids: list[UUID]) -> dict[UUID, Receipt]: ...
