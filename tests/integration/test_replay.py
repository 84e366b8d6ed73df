"""`seatledger replay`: projections rebuilt from the store into shadow tables
and swapped in equal the live ones row for row, on SQLite and PostgreSQL,
while commands and the live projector go on."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from rich.console import Console
from typer.testing import CliRunner

from application.envelopes import CommandGateway
from consumers.log_follower import LogFollower
from domain.commands import (
    AssignSeat,
    CreateApiKey,
    CreateTenant,
    CreateWebhookEndpoint,
    ReleaseSeat,
    RevokeApiKey,
    SetSeatLimit,
    UpdateTenant,
)
from infra.bootstrap import Container
from infra.cli import app
from infra.db import Database, PostgresDatabase, SqliteDatabase
from infra.demo import Loader
from infra.replay import (
    ReplayBusy,
    batches,
    open_shadow,
    run_replay,
    select_projections,
)
from infra.replay import tables_of as tables_of_projections
from infra.settings import Settings
from projections.registry import PROJECTIONS, apply_batch, create_tables
from tests.conftest import OPERATOR_KEY, fresh_schema
from tests.support import result_id, run

ROOT = Path(__file__).resolve().parents[2]
TRACKING = ["projection_tenant_positions", "projection_checkpoints"]
PROJECTION_TABLES = tables_of_projections(PROJECTIONS)
USAGE_TABLES = tables_of_projections(select_projections(["usage"]))
SUMMARY = re.compile(
    r"Replayed (?P<events>[\d,]+) events into (?P<names>[\w, ]+) in [\d.]+ s "
    r"\([\d,]+ events/s\); swapped in at position (?P<position>\d+)\."
)


def quiet() -> Console:
    return Console(file=io.StringIO(), width=120)


def history(c: Container) -> dict[str, str]:
    """The five stories of docs/design.md (tenant tree, pools drawing from a
    parent's, members, invitations, orders), then seats coming and going."""
    loader = Loader(CommandGateway(c.bus), c.clock().date())
    tenants = loader.load()
    partner = UUID(tenants["Nordwind Partner"])
    for i in range(12):
        run(c, AssignSeat(tenant_id=partner, pool="expenses", holder_id=f"p-{i}"))
    for i in range(0, 12, 3):
        run(c, ReleaseSeat(tenant_id=partner, pool="expenses", holder_id=f"p-{i}"))
    churn = result_id(run(c, CreateTenant(name="Churn")))
    run(c, SetSeatLimit(tenant_id=churn, pool="seats", limit=100_000))
    tenants["Churn"] = str(churn)
    for role in ("tenant_admin", "service"):  # keys, one of them revoked
        key = run(c, CreateApiKey(name=role, role=role, tenant_id=churn))
        last = result_id(key)
    run(c, RevokeApiKey(key_id=last))
    hook = CreateWebhookEndpoint(
        url="https://93.184.216.34/hooks",
        tenant_id=churn,
        event_types=["TenantRenamed"],
    )
    run(c, hook)
    return tenants


def rows(db: Database, tables: list[str] | None = None) -> dict[str, list[Any]]:
    with db.read() as tx:
        return {
            table: sorted(tx.execute(f"SELECT * FROM {table}"), key=repr)
            for table in tables or [*PROJECTION_TABLES, *TRACKING]
        }


def reference(c: Container, where: Path) -> dict[str, list[Any]]:
    """Every projection built from scratch by the embedded follower's code."""
    url = c.settings.database_url
    db: Database = (
        PostgresDatabase(url, fresh_schema(url))
        if url
        else SqliteDatabase(where / f"reference-{time.monotonic_ns()}.sqlite")
    )
    try:
        with db.transaction() as tx:
            create_tables(tx)
        LogFollower(c.log, db).catch_up()
        return rows(db)
    finally:
        db.close()


def shadow_exists(c: Container) -> bool:
    if isinstance(c.db, SqliteDatabase):
        return any(c.db.path.parent.glob("*.replay.*sqlite*"))
    assert isinstance(c.db, PostgresDatabase) and c.settings.database_url
    with psycopg.connect(c.settings.database_url) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s",
            (f"{c.db.schema}_replay",),
        ).fetchone()
    return found is not None


def test_rebuilt_projections_equal_the_live_ones(container: Container) -> None:
    c = container
    history(c)
    c.follower.catch_up()
    live = rows(c.db)
    # Not vacuous: every read model holds what the stories made. Daily usage
    # holds closed days only, and the stories are all today: its replay is
    # compared over a scripted past in test_contract_projections.py.
    for table in PROJECTION_TABLES:
        assert live[table] or table == "proj_daily_usage", f"{table} is empty"

    result = run_replay(c, None, 7, quiet())

    assert rows(c.db) == live
    assert result.position == c.log.head()
    assert result.events == c.log.count(0, result.position)
    assert result.projections == tuple(p.name for p in PROJECTIONS)
    assert not shadow_exists(c)
    # A Kafka projector redelivering the whole log afterwards applies nothing:
    # every envelope is at or below its tenant's raised position.
    with c.db.transaction() as tx:
        applied = sum(
            apply_batch(tx, envelopes, "kafka:seatledger.events:0", 1)
            for envelopes in batches(c.log, 0, result.position, 50)
        )
    assert applied == 0
    unchanged = [*PROJECTION_TABLES, "projection_tenant_positions"]
    assert rows(c.db, unchanged) == {t: live[t] for t in unchanged}


def test_a_replay_takes_in_what_the_live_projector_had_not_applied_yet(
    container: Container, tmp_path: Path
) -> None:
    c = container
    tenants = history(c)
    c.follower.catch_up()
    lagging = c.follower.position()
    churn = UUID(tenants["Churn"])
    for i in range(5):  # recorded, not projected
        run(c, AssignSeat(tenant_id=churn, pool="seats", holder_id=f"late-{i}"))

    result = run_replay(c, None, 5, quiet())

    expected = reference(c, tmp_path)
    assert lagging < result.position == c.log.head()
    assert rows(c.db) == expected
    # Both projectors go on without applying anything twice: the follower
    # from its checkpoint, a Kafka projector by the raised tenant positions.
    assert c.follower.step() == 0
    with c.db.transaction() as tx:
        applied = sum(
            apply_batch(tx, envelopes, "kafka:seatledger.events:1", 1)
            for envelopes in batches(c.log, lagging, result.position, 2)
        )
    assert applied == 0
    assert rows(c.db, PROJECTION_TABLES) == {t: expected[t] for t in PROJECTION_TABLES}


def test_replay_repairs_corrupted_live_rows(container: Container) -> None:
    c = container
    tenants = history(c)
    c.follower.catch_up()
    live = rows(c.db)
    partner = tenants["Nordwind Partner"]
    with c.db.transaction() as tx:
        tx.execute(
            "UPDATE proj_pools SET seat_limit = 999 WHERE tenant_id = ?", (partner,)
        )
        tx.execute("DELETE FROM proj_pool_holders WHERE holder_id = ?", ("p-1",))
        tx.execute(
            "INSERT INTO proj_tenants VALUES (?,?,?,?,?,?,?,?)",
            ("ghost", None, "Ghost", "STANDARD", "BASIC", "active", "", 1),
        )
        tx.execute("UPDATE proj_members SET status = 'removed'")
        tx.execute("DELETE FROM proj_license_orders")
    assert rows(c.db) != live

    run_replay(c, None, 1000, quiet())

    assert rows(c.db) == live


@pytest.mark.parametrize("only", [None, ["usage"]], ids=["all", "usage"])
def test_commands_and_the_live_projector_go_on_during_a_replay(
    container: Container, tmp_path: Path, only: list[str] | None
) -> None:
    c = container
    churn = UUID(history(c)["Churn"])
    c.follower.start()
    stop = threading.Event()
    done: list[int] = []
    errors: list[Exception] = []

    def write() -> None:
        i = 0
        while not stop.is_set():
            holder = f"w-{i}"
            try:
                cmd = AssignSeat(tenant_id=churn, pool="seats", holder_id=holder)
                run(c, cmd)
                if i % 3 == 0:
                    run(
                        c,
                        ReleaseSeat(tenant_id=churn, pool="seats", holder_id=holder),
                    )
            except Exception as exc:  # reported below, with the rest
                errors.append(exc)
            i += 1
            done.append(i)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_for(lambda: len(done) >= 5)
        before = c.log.head()
        result = run_replay(c, only, 3, quiet())
        during = len(done)
        wait_for(lambda: len(done) >= during + 5)
    finally:
        stop.set()
        writer.join()
        c.follower.stop()
    c.follower.catch_up()

    assert not errors, errors
    # The swap took in events recorded while it replayed, and more came after.
    assert before < result.position < c.log.head()
    assert rows(c.db) == reference(c, tmp_path)


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_replaying_only_usage_leaves_the_other_projections_alone(
    container: Container, tmp_path: Path
) -> None:
    c = container
    tenants = history(c)
    c.follower.catch_up()
    partner, beta = tenants["Nordwind Partner"], UUID(tenants["Beta Logistik"])
    with c.db.transaction() as tx:
        tx.execute("UPDATE proj_pools SET seat_limit = 999")
        tx.execute(
            "UPDATE proj_tenants SET name = 'CORRUPT' WHERE tenant_id = ?", (partner,)
        )
    # Recorded but not projected yet: the live tables lag behind the store.
    run(c, UpdateTenant(tenant_id=beta, name="Beta Nord"))
    run(c, ReleaseSeat(tenant_id=beta, pool="expenses", holder_id="employee-1"))

    result = run_replay(c, ["usage"], 4, quiet())

    assert result.projections == ("usage",)
    live, expected = rows(c.db), reference(c, tmp_path)
    for table in [*USAGE_TABLES, *TRACKING]:
        assert live[table] == expected[table], table
    for table in set(PROJECTION_TABLES) - set(USAGE_TABLES) - {"proj_tenants"}:
        assert live[table] == expected[table], table
    # The tenant tree was not rebuilt (its corrupted row stays) but it took in
    # the rename that the live projector had not applied yet.
    names = {row[0]: row[2] for row in live["proj_tenants"]}
    assert names[partner] == "CORRUPT"
    assert names[str(beta)] == "Beta Nord"
    assert [r for r in live["proj_tenants"] if r[0] != partner] == [
        r for r in expected["proj_tenants"] if r[0] != partner
    ]
    # The follower goes on from the swap: nothing left, nothing twice.
    assert c.follower.step() == 0
    run(c, AssignSeat(tenant_id=beta, pool="expenses", holder_id="employee-9"))
    c.follower.catch_up()
    after = reference(c, tmp_path)
    assert rows(c.db, USAGE_TABLES) == {t: after[t] for t in USAGE_TABLES}


def cli_env(settings: Settings, data_dir: Path | None = None) -> dict[str, str]:
    return {
        "SEATLEDGER_DATA_DIR": str(data_dir or settings.data_dir),
        "SEATLEDGER_DATABASE_URL": settings.database_url or "",
        "SEATLEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        "SEATLEDGER_BOOTSTRAP_KEY": OPERATOR_KEY,
        "SEATLEDGER_KAFKA_BOOTSTRAP": "",
        "SEATLEDGER_LOG_JSON": "true",
    }


def test_an_unknown_projection_exits_2_and_changes_nothing(
    container: Container, settings: Settings, tmp_path: Path
) -> None:
    c = container
    history(c)
    c.follower.catch_up()
    live = rows(c.db)
    with c.db.transaction() as tx:  # a drift only a real replay would repair
        tx.execute("UPDATE proj_pools SET seat_limit = 999")
    drifted = rows(c.db)
    absent = tmp_path / "absent"
    for data_dir in (None, absent):
        result = CliRunner().invoke(
            app,
            ["replay", "--projection", "usage", "--projection", "nope"],
            env=cli_env(settings, data_dir),
        )
        assert result.exit_code == 2, result.output
        assert "unknown projection 'nope'" in result.output
        output = " ".join(result.output.split())  # as the terminal wrapped it
        assert ", ".join(p.name for p in PROJECTIONS) in output
    assert rows(c.db) == drifted != live
    assert not absent.exists()
    assert not shadow_exists(c)


def test_seatledger_replay_runs_as_a_command(
    container: Container, settings: Settings
) -> None:
    c = container
    history(c)
    c.follower.catch_up()
    live = rows(c.db)
    env = {**os.environ, "PYTHONPATH": str(ROOT), **cli_env(settings)}
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli", "replay", "--batch", "50"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = SUMMARY.search(done.stderr)
    assert found, done.stderr
    assert found["names"] == ", ".join(p.name for p in PROJECTIONS)
    assert int(found["position"]) == c.log.head()
    assert int(found["events"].replace(",", "")) == c.log.count(0, c.log.head())
    assert rows(c.db) == live


def test_a_second_replay_of_the_same_store_is_refused_while_one_runs(
    container: Container,
) -> None:
    c = container
    history(c)
    c.follower.catch_up()
    live = rows(c.db)
    with open_shadow(c), pytest.raises(ReplayBusy):
        run_replay(c, None, 100, quiet())
    assert rows(c.db) == live
    assert run_replay(c, None, 100, quiet()).position == c.log.head()
