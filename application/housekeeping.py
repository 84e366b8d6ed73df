"""The service's own bookkeeping, for cron: record the expiries time already
brought about, so history shows when seats were freed (reads and commands
never wait for it: they judge dates when they run)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from application.auth import system
from application.bus import CommandBus
from application.ports import ProjectionStore
from domain.commands import EndSeat, ExpireInvitation
from projections import members as members_view

HOUSEKEEPER = system("expire-invitations")


def expire_lapsed(
    bus: CommandBus, db: ProjectionStore, clock: Callable[[], datetime]
) -> tuple[int, int]:
    """Expires lapsed invitations and releases the seats of members whose
    end date passed; (invitations expired, ended members checked)."""
    now = clock()
    with db.read() as tx:
        lapsed = members_view.pending_lapsed(tx, now)
        ended = members_view.ended_members(tx, now.date())
    for invitation_id in lapsed:
        bus.handle(HOUSEKEEPER, ExpireInvitation(invitation_id=UUID(invitation_id)))
    for tenant_id, member_id in ended:
        bus.handle(
            HOUSEKEEPER, EndSeat(tenant_id=UUID(tenant_id), member_id=UUID(member_id))
        )
    return len(lapsed), len(ended)
