"""The daily-usage and contract-changes projections rebuilt by `seatledger
replay` equal the live ones, row for row, on SQLite and PostgreSQL; and the
scheduler finds exactly the pools with a change that fell due."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from typing import Any
from uuid import UUID

from rich.console import Console

from domain import commands as c
from domain.scheduled_change import ScheduledChange
from domain.seat_pool import SeatPool, pool_id
from infra.bootstrap import Container
from infra.replay import run_replay, select_projections
from infra.replay import tables_of as tables_of_projections
from infra.scheduling import contract_scheduler
from tests.e2e.scripted import ScriptedPool, at
from tests.support import load, result_id, run

OURS = ["daily_usage", "contract_changes"]
TABLES = tables_of_projections(select_projections(OURS))


def rows(container: Container) -> dict[str, list[Any]]:
    with container.db.read() as tx:
        return {t: sorted(tx.execute(f"SELECT * FROM {t}"), key=repr) for t in TABLES}


def quiet() -> Console:
    return Console(file=io.StringIO(), width=120)


def tenants(container: Container) -> tuple[UUID, UUID, UUID]:
    partner = result_id(run(container, c.CreateTenant(name="Partner")))
    run(container, c.BookLicense(tenant_id=partner, feature="multi_tenant"))
    a = result_id(run(container, c.CreateTenant(name="A", parent_id=partner)))
    b = result_id(run(container, c.CreateTenant(name="B", parent_id=partner)))
    return partner, a, b


def history(container: Container) -> None:
    """A year-old scripted pool, and today's contracts: limits, seats, a
    transfer, changes scheduled, one of them cancelled."""
    partner, a, b = tenants(container)
    old = ScriptedPool(container, partner, "archive", at("2025-01-10"), limit=5)
    old.assign(at("2025-01-11"), "x", end="2025-02-01")
    old.assign(at("2025-03-01"), "y")
    old.release(at("2025-06-30"), "y")
    run(container, c.SetSeatLimit(tenant_id=partner, pool="jobs", limit=10))
    run(container, c.SetSeatLimit(tenant_id=a, pool="jobs", limit=6))
    for holder in ("h1", "h2"):
        run(container, c.AssignSeat(tenant_id=a, pool="jobs", holder_id=holder))
    run(
        container, c.TransferSeats(tenant_id=a, pool="jobs", to_tenant_id=b, quantity=3)
    )
    soon = container.clock() + timedelta(days=3)
    for limit in (4, 8):
        run(
            container,
            c.SetSeatLimit(tenant_id=b, pool="jobs", limit=limit, effective_at=soon),
        )
    planned = run(
        container, c.SetSeatLimit(tenant_id=a, pool="jobs", limit=9, effective_at=soon)
    )
    run(container, c.CancelScheduledChange(change_id=change_of(planned)))


def test_replay_rebuilds_the_contract_projections_equal_to_the_live_ones(
    container: Container,
) -> None:
    history(container)
    container.follower.catch_up()
    live = rows(container)
    for table in ("proj_daily_usage", "proj_daily_pools", "proj_contract_changes"):
        assert live[table], f"{table} is empty"
    # A row for every day from January 10 to June 29, 2025: the latest event
    # day (June 30) and the days after it are judged from the pool's state.
    assert len(live["proj_daily_usage"]) == 171

    run_replay(container, OURS, 13, quiet())
    assert rows(container) == live
    run_replay(container, None, 500, quiet())
    assert rows(container) == live


def test_the_scheduler_applies_the_changes_that_fell_due_and_no_others(
    container: Container,
) -> None:
    _, a, b = tenants(container)
    for tenant in (a, b):
        run(container, c.SetSeatLimit(tenant_id=tenant, pool="jobs", limit=1))
    soon = container.clock() + timedelta(seconds=1)
    due = run(
        container, c.SetSeatLimit(tenant_id=a, pool="jobs", limit=3, effective_at=soon)
    )
    later = container.clock() + timedelta(days=30)
    waiting = run(
        container, c.SetSeatLimit(tenant_id=b, pool="jobs", limit=3, effective_at=later)
    )
    container.follower.catch_up()
    while container.clock() <= soon:  # the instant has to come first
        time.sleep(0.05)

    scheduler = contract_scheduler(container)
    assert scheduler.due() == [(str(a), "jobs")]
    assert scheduler.run_once() == 1

    assert load(container, ScheduledChange, change_of(due)).status == "applied"
    assert load(container, ScheduledChange, change_of(waiting)).status == "scheduled"
    assert load(container, SeatPool, pool_id(a, "jobs")).limit == 3
    applied = list(container.store.history(change_of(due)))[-1]
    assert applied.applied_at >= applied.effective_at
    container.follower.catch_up()
    assert scheduler.due() == []  # the projection saw it applied
    assert scheduler.run_once() == 0


def change_of(outcome: Any) -> UUID:
    change_id: UUID = outcome.view.change_id
    return change_id
