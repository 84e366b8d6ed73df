"""CommandReceipt: proof that a command with this id took effect.

Saved in the same atomic save as the command's effects, with an id derived
from the command id, so a redelivered command can never take effect twice:
the second save collides on the receipt's version.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import derive_id


def receipt_id(command_id: UUID) -> UUID:
    return derive_id("command", command_id)


class CommandReceipt(Aggregate):
    @staticmethod
    def create_id(command_id: UUID, command_type: str, tenant_id: UUID | None) -> UUID:
        return receipt_id(command_id)

    @event("CommandApplied")
    def __init__(
        self, command_id: UUID, command_type: str, tenant_id: UUID | None
    ) -> None:
        self.command_id = command_id
        self.command_type = command_type
        self.tenant_id = tenant_id
