"""A command waiting for the committer, and the answer it gets."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application.auth import Principal
from application.context import Context
from domain.commands import Command

if TYPE_CHECKING:
    from application.catalogue import Entry


@dataclass(eq=False)
class Job:
    who: Principal
    command: Command
    entry: Entry
    context: Context
    receipt_id: UUID | None = None
    fingerprint: str | None = None
    # Resolved with an Outcome, a Receipt (answered from the record) or an
    # exception (the refusal, or a store fault).
    future: Future[Any] = field(default_factory=Future)

    @property
    def dry_run(self) -> bool:
        return self.context.dry_run

    @property
    def actor(self) -> str:
        return self.who.actor

    @property
    def correlation_id(self) -> str:
        return self.context.correlation_id

    @property
    def causation_id(self) -> str | None:
        return self.context.causation_id

    @property
    def command_type(self) -> str:
        return type(self.command).__name__
