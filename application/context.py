"""What an entry point knows about a command besides the command itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import uuid4


@dataclass(frozen=True)
class Context:
    correlation_id: str = field(default_factory=lambda: str(uuid4()))
    # An HTTP Idempotency-Key or a command's command_id: with the calling key
    # it names the command's receipt, so a repeat is answered from it.
    idempotency_key: str | None = None
    causation_id: str | None = None
    # Decide on current state, answer as the command would be answered, and
    # record nothing ("would this be allowed?").
    dry_run: bool = False
