"""`seatledger export` as an auditor runs it: a separate process on the store,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from rich.console import Console

from domain.commands import (
    AssignSeat,
    BookLicense,
    CreateTenant,
    SetSeatLimit,
    UpdateTenant,
)
from infra import export
from infra.bootstrap import Container
from infra.events import to_envelope
from infra.settings import Settings
from tests.conftest import OPERATOR_KEY
from tests.support import result_id
from tests.support import run as run_command


@dataclass(frozen=True)
class History:
    partner: UUID
    child: UUID
    other: UUID


@dataclass(frozen=True)
class Run:
    code: int
    lines: list[dict[str, Any]]
    stderr: str

    @property
    def read_through(self) -> int:
        found = re.search(r"continue with --after (\d+)", self.stderr)
        assert found, self.stderr
        return int(found.group(1))


def build_history(c: Container) -> History:
    """Three tenants whose events interleave in the log."""
    partner = result_id(run_command(c, CreateTenant(name="Partner")))
    other = result_id(run_command(c, CreateTenant(name="Other")))
    run_command(c, BookLicense(tenant_id=partner, feature="multi_tenant"))
    child = result_id(
        run_command(c, CreateTenant(name="Ünterfirma", parent_id=partner))
    )
    for tenant, limit in ((partner, 10), (other, 5), (child, 3)):
        run_command(c, SetSeatLimit(tenant_id=tenant, pool="expenses", limit=limit))
    for i in range(3):
        for tenant in (other, partner, child):
            assign(c, tenant, f"user-{i}")
    return History(partner, child, other)


def assign(c: Container, tenant: UUID, holder: str) -> None:
    run_command(c, AssignSeat(tenant_id=tenant, pool="expenses", holder_id=holder))


def events_of(c: Container, tenants: set[UUID], after: int = 0) -> list[int]:
    """The positions the export must write, read straight from the log."""
    notifications = c.persistence.recorder.select_notifications(after + 1, 10_000)
    transcoder = c.persistence.mapper.transcoder
    envelopes = [to_envelope(n, transcoder) for n in notifications]
    names = {str(t) for t in tenants}
    return [e.position for e in envelopes if e.tenant_id in names]


def cli_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEATLEDGER_")}
    env |= {
        "SEATLEDGER_DATA_DIR": str(settings.data_dir),
        "SEATLEDGER_BOOTSTRAP_KEY": OPERATOR_KEY,
        "SEATLEDGER_LOG_JSON": "true",
    }
    if settings.database_url is not None:
        env["SEATLEDGER_DATABASE_URL"] = settings.database_url
        env["SEATLEDGER_POSTGRES_SCHEMA"] = settings.postgres_schema
    return env


def run_export(settings: Settings, *args: str) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli", "export", *args],
        env=cli_env(settings),
        capture_output=True,
        timeout=120,
    )
    # Every line of stdout must be one JSON envelope: nothing else goes there.
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    return Run(done.returncode, lines, done.stderr.decode())


@pytest.fixture
def history(container: Container) -> History:
    return build_history(container)


def test_export_writes_only_the_tenants_events_in_log_order(
    container: Container, settings: Settings, history: History
) -> None:
    expected = events_of(container, {history.partner})

    run = run_export(settings, "--tenant", str(history.partner))

    assert run.code == 0, run.stderr
    assert [line["position"] for line in run.lines] == expected
    assert {line["tenant_id"] for line in run.lines} == {str(history.partner)}
    assert {"Tenant", "SeatPool"} <= {line["aggregate_type"] for line in run.lines}
    # The partner's side of what it gives its sub-tenant is the partner's own.
    assert "SeatAllocatedToChild" in {line["type"] for line in run.lines}
    first = run.lines[0]
    assert set(first) >= {"position", "event_id", "schema_version", "payload", "hash"}
    assert f"exported {len(expected)} event(s)" in run.stderr
    assert f"last at position {expected[-1]}" in run.stderr
    assert run.read_through == container.log.head()


def test_an_auditor_recomputes_every_hash_from_the_file_alone(
    container: Container, settings: Settings, history: History
) -> None:
    """The README's recipe, written independently of infra/chain.py."""
    run = run_export(settings, "--tenant", str(history.partner))
    assert run.code == 0, run.stderr
    previous: dict[str, str] = {}
    for line in run.lines:
        state = line["stored"]["state"]
        claimed = state["_meta"].pop("hash")
        assert claimed == line["hash"]
        prior = previous.get(line["aggregate_id"], "0" * 64)
        head = (
            f"{prior}\n{line['aggregate_id']}\n{line['aggregate_version']}\n"
            f"{line['stored']['topic']}\n"
        )
        body = json.dumps(
            state, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        assert hashlib.sha256((head + body).encode()).hexdigest() == claimed, line
        previous[line["aggregate_id"]] = claimed
    assert len(previous) >= 3  # tenant, pool, name claim: whole chains


def test_sub_tenants_are_included_only_when_asked(
    container: Container, settings: Settings, history: History
) -> None:
    subtree = events_of(container, {history.partner, history.child})

    run = run_export(settings, "--tenant", str(history.partner), "--include-subtenants")

    assert run.code == 0, run.stderr
    assert [line["position"] for line in run.lines] == subtree
    assert {line["tenant_id"] for line in run.lines} == {
        str(history.partner),
        str(history.child),
    }


def test_after_continues_exactly_where_an_export_stopped(
    container: Container, settings: Settings, history: History
) -> None:
    full = run_export(settings, "--tenant", str(history.partner))
    middle = full.lines[len(full.lines) // 2]["position"]

    rest = run_export(
        settings, "--tenant", str(history.partner), "--after", str(middle)
    )

    assert rest.code == 0, rest.stderr
    assert rest.lines == [line for line in full.lines if line["position"] > middle]
    # An auditor continuing from the summary gets exactly what came since.
    assign(container, history.other, "later-other")
    assign(container, history.partner, "later")
    run_command(container, UpdateTenant(tenant_id=history.partner, name="Partner 2"))
    since = run_export(
        settings, "--tenant", str(history.partner), "--after", str(full.read_through)
    )
    assert [line["position"] for line in since.lines] == events_of(
        container, {history.partner}, after=full.read_through
    )
    assert {"SeatAssigned", "TenantRenamed"} <= {line["type"] for line in since.lines}
    assert {line["position"] for line in since.lines}.isdisjoint(
        line["position"] for line in full.lines
    )


def test_export_to_a_file_writes_it_whole_and_nothing_to_stdout(
    container: Container, settings: Settings, history: History, tmp_path: Path
) -> None:
    target = tmp_path / "audit.jsonl"

    run = run_export(settings, "--tenant", str(history.child), "--output", str(target))

    assert run.code == 0, run.stderr
    assert run.lines == []
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["position"] for line in lines] == events_of(container, {history.child})
    assert lines[0]["payload"]["name"] == "Ünterfirma"
    # No temporary file left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.jsonl", "data"]


def test_unknown_tenant_is_refused_and_writes_no_file(
    settings: Settings, history: History, tmp_path: Path
) -> None:
    target = tmp_path / "audit.jsonl"

    run = run_export(settings, "--tenant", str(uuid4()), "--output", str(target))

    assert run.code == 2
    assert "unknown tenant" in run.stderr
    assert run.lines == []
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".audit")]


def test_a_tenant_id_that_is_no_uuid_is_refused(
    settings: Settings, history: History
) -> None:
    run = run_export(settings, "--tenant", "not-a-uuid")

    assert run.code == 2
    assert run.lines == []
    assert "--tenant" in run.stderr


def test_the_log_is_read_in_batches(
    container: Container,
    history: History,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In process, with batches of 2: the same lines as one read of the log."""
    monkeypatch.setattr(export, "BATCH", 2)
    target = tmp_path / "batched.jsonl"
    stderr = io.StringIO()

    export.run_export(
        container, history.other, 0, str(target), Console(file=stderr, width=200)
    )

    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["position"] for line in lines] == events_of(container, {history.other})
    assert f"continue with --after {container.log.head()}" in stderr.getvalue()
