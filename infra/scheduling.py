"""The contract scheduler of `serve`, wired to the container."""

from __future__ import annotations

from uuid import UUID

from application.auth import system
from consumers.scheduler import Scheduler
from domain.commands import ApplyDueChanges
from infra.bootstrap import Container
from projections import contracts

ROUND = 500  # pools visited per round at most; the next round takes the rest
SCHEDULER = system("scheduler")


def contract_scheduler(c: Container) -> Scheduler:
    def due() -> list[tuple[str, str]]:
        with c.db.read() as tx:
            return contracts.due(tx, c.clock(), ROUND)

    def apply(tenant_id: str, pool: str) -> object:
        command = ApplyDueChanges(tenant_id=UUID(tenant_id), pool=pool)
        return c.bus.handle(SCHEDULER, command)

    return Scheduler(due, apply, c.settings.scheduler_interval_s)
