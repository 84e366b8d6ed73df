"""Tamper evidence on real stores: rows of the event table are altered,
deleted, inserted and reordered directly with SQL, in SQLite and in
PostgreSQL, and `verify` must find each tampering and say where."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from domain.checkpoint import AUDIT_TRAIL_ID
from domain.commands import AssignSeat, CreateTenant, ReleaseSeat, SetSeatLimit
from infra.audit import verify, write_checkpoint
from infra.bootstrap import Container
from infra.chain import META, event_hash, split_hash
from tests.support import TEST_KEY, result_id, run


@dataclass(frozen=True)
class Row:
    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes

    def decoded(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.state)
        return found


class RawStore:
    """The event table, reached around the application, as a forger would."""

    def __init__(self, c: Container) -> None:
        self.settings = c.settings
        self.postgres = c.settings.database_url is not None

    @contextmanager
    def _sql(self) -> Iterator[Any]:
        if self.postgres:
            with psycopg.connect(str(self.settings.database_url)) as conn:
                conn.execute(f'SET search_path TO "{self.settings.postgres_schema}"')
                yield conn
        else:
            conn = sqlite3.connect(self.settings.data_dir / "seatledger.sqlite")
            try:
                with conn:
                    yield conn
            finally:
                conn.close()

    def _q(self, sql: str) -> str:
        """Written for PostgreSQL; SQLite's position is the rowid."""
        if self.postgres:
            return sql.replace("?", "%s")
        return sql.replace("seatledger_events", "stored_events").replace(
            "notification_id", "rowid"
        )

    def _id(self, aggregate_id: UUID) -> object:
        return aggregate_id if self.postgres else aggregate_id.hex

    def rows(self) -> list[Row]:
        with self._sql() as conn:
            found = conn.execute(
                self._q(
                    "SELECT notification_id, originator_id, originator_version,"
                    " topic, state FROM seatledger_events ORDER BY notification_id"
                )
            ).fetchall()
        return [
            Row(p, a if isinstance(a, UUID) else UUID(a), v, t, bytes(s))
            for p, a, v, t, s in found
        ]

    def set_state(self, position: int, state: dict[str, Any] | bytes) -> None:
        stored = state if isinstance(state, bytes) else json.dumps(state).encode()
        self._run(
            "UPDATE seatledger_events SET state = ? WHERE notification_id = ?",
            stored,
            position,
        )

    def set_version(self, position: int, version: int) -> None:
        self._run(
            "UPDATE seatledger_events SET originator_version = ?"
            " WHERE notification_id = ?",
            version,
            position,
        )

    def delete(self, position: int) -> None:
        self._run("DELETE FROM seatledger_events WHERE notification_id = ?", position)

    def insert(self, row: Row, version: int, state: bytes) -> int:
        self._run(
            "INSERT INTO seatledger_events"
            " (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
            self._id(row.aggregate_id),
            version,
            row.topic,
            state,
        )
        return self.rows()[-1].position

    def swap_positions(self, a: int, b: int) -> None:
        move = (
            "UPDATE seatledger_events SET notification_id = ? WHERE notification_id = ?"
        )
        with self._sql() as conn:
            conn.execute(self._q(move), (-1, a))
            conn.execute(self._q(move), (a, b))
            conn.execute(self._q(move), (b, -1))

    def swap_versions(self, a: Row, b: Row) -> None:
        self.set_version(a.position, -1)
        self.set_version(b.position, a.version)
        self.set_version(a.position, b.version)

    def _run(self, sql: str, *params: object) -> None:
        with self._sql() as conn:
            conn.execute(self._q(sql), params)


@dataclass
class History:
    tenant_a: UUID
    tenant_b: UUID
    pool_a: UUID
    checkpoints: list[int]


@pytest.fixture
def history(container: Container) -> History:
    """Two tenants with seat pools; checkpoints after each of three rounds of
    assignments and releases, and a few events after the last one."""
    c = container
    a = result_id(run(c, CreateTenant(name="Tenant A")))
    b = result_id(run(c, CreateTenant(name="Tenant B")))
    checkpoints: list[int] = []
    for tenant in (a, b):
        run(c, SetSeatLimit(tenant_id=tenant, pool="p", limit=50))
    for round_ in range(3):
        for tenant in (a, b):
            for i in range(4):
                holder = f"r{round_}-{i}"
                run(c, AssignSeat(tenant_id=tenant, pool="p", holder_id=holder))
            run(c, ReleaseSeat(tenant_id=tenant, pool="p", holder_id=f"r{round_}-0"))
        position = checkpoint(c)
        assert position is not None
        checkpoints.append(position)
    run(c, AssignSeat(tenant_id=a, pool="p", holder_id="tail"))
    pool_a = next(r.aggregate_id for r in _raw_rows(container) if _is_pool(r, a))
    return History(a, b, pool_a, checkpoints)


def checkpoint(c: Container, **kw: int) -> int | None:
    return write_checkpoint(c.log, c.store, c.bus, **kw)


def _raw_rows(c: Container) -> list[Row]:
    return RawStore(c).rows()


def _is_pool(row: Row, tenant: UUID) -> bool:
    meta = row.decoded()[META]
    return "SeatPool" in row.topic and meta["tenant_id"] == str(tenant)


def _events_of(rows: list[Row], aggregate_id: UUID) -> list[Row]:
    return [r for r in rows if r.aggregate_id == aggregate_id]


def _bad(c: Container, tenants: set[str] | None = None) -> tuple[int | None, str]:
    report = verify(c.log, tenants)
    assert report.ok is (report.first_bad_position is None)
    return report.first_bad_position, report.reason or ""


def test_an_untouched_store_verifies(container: Container, history: History) -> None:
    rows = RawStore(container).rows()
    report = verify(container.log)
    assert report.ok, report
    assert report.checked == len(rows)
    last_checkpoint = next(r for r in rows if r.position == history.checkpoints[-1])
    assert last_checkpoint.aggregate_id == AUDIT_TRAIL_ID
    assert report.head_hash == last_checkpoint.decoded()[META]["hash"]
    assert report.checkpoint_position == history.checkpoints[-1]
    assert report.since_checkpoint == 1  # the "tail" assignment


def test_an_altered_payload_is_found_at_its_position(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    victim = _events_of(raw.rows(), history.pool_a)[5]
    state = victim.decoded()
    state["holder_id"] = "someone-else"
    raw.set_state(victim.position, state)
    position, reason = _bad(container)
    assert position == victim.position
    assert "does not match its hash" in reason


def test_an_altered_event_with_a_recomputed_hash_breaks_the_next_link(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    events = _events_of(raw.rows(), history.pool_a)
    victim, successor = events[2], events[3]  # both before the first checkpoint
    raw.set_state(victim.position, _forged(events[1], victim, "someone-else"))
    position, reason = _bad(container)
    assert position == successor.position
    assert "does not match its hash" in reason


def test_a_rehashed_head_is_caught_by_the_checkpoint_that_recorded_it(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    rows = raw.rows()
    before = [
        r
        for r in _events_of(rows, history.pool_a)
        if r.position < history.checkpoints[0]
    ]
    head, previous = before[-1], before[-2]
    raw.set_state(head.position, _forged(previous, head, "someone-else"))
    position, reason = _bad(container)
    assert position == head.position
    assert "not accounted for" in reason


def test_a_deleted_event_is_a_gap_in_its_aggregate(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    events = _events_of(raw.rows(), history.pool_a)
    raw.delete(events[3].position)
    position, reason = _bad(container)
    assert position == events[4].position
    assert f"v{events[3].version} missing" in reason


def test_a_dropped_tail_is_found_by_the_next_checkpoint(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    rows = raw.rows()
    before = [
        r
        for r in _events_of(rows, history.pool_a)
        if r.position < history.checkpoints[0]
    ]
    raw.delete(before[-1].position)
    position, reason = _bad(container)
    assert position == history.checkpoints[0]
    assert "records" in reason


def test_an_inserted_event_does_not_chain(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    events = _events_of(raw.rows(), history.pool_a)
    copied = events[-2]
    position = raw.insert(copied, events[-1].version + 1, copied.state)
    found, reason = _bad(container)
    assert found == position
    assert "does not match its hash" in reason


def test_a_forged_event_chained_correctly_is_caught_by_a_checkpoint(
    container: Container, history: History
) -> None:
    """A forger who chains a new event correctly and slips it in before a
    checkpoint still leaves the checkpoint's recorded head behind."""
    raw = RawStore(container)
    rows = raw.rows()
    events = _events_of(rows, history.pool_a)
    head = events[-1]  # the "tail" event, after the last checkpoint
    forged = raw.insert(head, head.version + 1, _forged(head, head, "ghost", bump=1))
    assert _bad(container)[0] is None  # after the last checkpoint: not anchored
    # Now move it before the last checkpoint, in place of another tenant's event.
    other = next(
        r
        for r in rows
        if r.position < history.checkpoints[-1]
        and r.position > history.checkpoints[-2]
        and r.aggregate_id not in (history.pool_a, AUDIT_TRAIL_ID)
    )
    raw.delete(other.position)
    raw.swap_positions(forged, other.position)
    position, _ = _bad(container)
    assert position is not None and position <= other.position


def test_events_of_one_aggregate_out_of_order_are_found(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    events = _events_of(raw.rows(), history.pool_a)
    raw.swap_versions(events[4], events[5])
    position, _ = _bad(container)
    assert position == events[4].position


def test_an_event_moved_across_a_checkpoint_is_found(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    rows = raw.rows()
    first = history.checkpoints[0]
    early = next(
        r
        for r in reversed(rows)
        if r.position < first and r.aggregate_id != AUDIT_TRAIL_ID
    )
    late = next(
        r
        for r in rows
        if first < r.position < history.checkpoints[1]
        and r.aggregate_id not in (early.aggregate_id, AUDIT_TRAIL_ID)
    )
    raw.swap_positions(early.position, late.position)
    position, _ = _bad(container)
    assert position is not None and position <= first


def test_a_deleted_checkpoint_breaks_the_checkpoint_chain(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    raw.delete(history.checkpoints[1])
    position, reason = _bad(container)
    assert position == history.checkpoints[2]
    assert "missing" in reason


def test_a_tenant_scoped_check_sees_its_own_tampering_only(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    pool_b = next(r for r in raw.rows() if _is_pool(r, history.tenant_b))
    victim = _events_of(raw.rows(), pool_b.aggregate_id)[3]
    state = victim.decoded()
    state["holder_id"] = "someone-else"
    raw.set_state(victim.position, state)
    assert _bad(container, {str(history.tenant_a)})[0] is None
    assert _bad(container, {str(history.tenant_b)})[0] == victim.position
    assert _bad(container)[0] == victim.position


def test_the_verify_command_exits_1_and_names_the_position(
    container: Container, history: History
) -> None:
    env = {
        "SEATLEDGER_DATA_DIR": str(container.settings.data_dir),
        "SEATLEDGER_LOG_JSON": "true",
        "COLUMNS": "200",
    }
    if container.settings.database_url:
        env["SEATLEDGER_DATABASE_URL"] = container.settings.database_url
        env["SEATLEDGER_POSTGRES_SCHEMA"] = container.settings.postgres_schema

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "infra.cli", "verify", *args],
            env={"PATH": "/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    intact = run()
    assert intact.returncode == 0, intact.stderr
    assert "ok" in intact.stderr
    raw = RawStore(container)
    victim = _events_of(raw.rows(), history.pool_a)[2]
    raw.delete(victim.position)
    broken = run()
    assert broken.returncode == 1, broken.stderr
    assert "TAMPERED" in broken.stderr
    assert f"position {_events_of(raw.rows(), history.pool_a)[2].position}" in (
        broken.stderr
    )
    # Scoped to the other tenant, its history is intact; an unknown tenant is
    # an error, not an empty success.
    assert run("--tenant", str(history.tenant_b)).returncode == 0
    assert run("--tenant", str(history.tenant_a)).returncode == 1
    unknown = run("--tenant", str(uuid4()))
    assert unknown.returncode == 2 and "unknown tenant" in unknown.stderr


def _forged(previous: Row, victim: Row, holder: str, bump: int = 0) -> bytes:
    """`victim`'s content with another holder, hashed as if it were genuine
    (chained to `previous`), as a forger who knows the scheme would."""
    state = victim.decoded()
    state["holder_id"] = holder
    split_hash(state)
    version = victim.version + bump
    hash_ = event_hash(
        previous.decoded()[META]["hash"],
        victim.aggregate_id,
        version,
        victim.topic,
        state,
    )
    state[META]["hash"] = hash_
    return json.dumps(state).encode()


def test_a_store_older_than_the_chain_verifies_and_takes_writes(
    container: Container,
) -> None:
    """Events recorded before events carried hashes: a long pool history
    (deeper than Python's recursion limit would allow to fold recursively)
    still takes new writes, verifies as `unhashed` until the first checkpoint
    anchors it, and tampering with it is still found."""
    c = container
    mapper = c.persistence.mapper
    chain = mapper.chain
    mapper.chain = None  # the old release
    try:
        tenant = result_id(run(c, CreateTenant(name="Old")))
        run(c, SetSeatLimit(tenant_id=tenant, pool="p", limit=5000))
        for i in range(1200):
            run(c, AssignSeat(tenant_id=tenant, pool="p", holder_id=f"old-{i}"))
    finally:
        mapper.chain = chain
    legacy = c.log.head()
    run(c, AssignSeat(tenant_id=tenant, pool="p", holder_id="new"))
    report = verify(c.log)
    assert report.ok, report
    assert report.unhashed == legacy
    assert checkpoint(c) is not None
    assert verify(c.log).ok
    raw = RawStore(container)
    victim = next(r for r in raw.rows() if r.decoded().get("holder_id") == "old-7")
    state = victim.decoded()
    state["holder_id"] = "forged"
    raw.set_state(victim.position, state)
    assert _bad(container)[0] is not None


def test_checkpoints_stay_small_and_still_chain(container: Container) -> None:
    for i in range(5):
        run(container, CreateTenant(name=f"Small {i}"))
    first = container.log.head()
    last = checkpoint(container, max_heads=3)
    assert last is not None
    trail = [r for r in RawStore(container).rows() if r.aggregate_id == AUDIT_TRAIL_ID]
    recorded = [r.decoded() for r in trail if "heads" in r.decoded()]
    assert len(recorded) >= 3 and all(len(r["heads"]) <= 3 for r in recorded)
    assert recorded[-1]["through"] >= first
    report = verify(container.log)
    assert report.ok and report.since_checkpoint == 0, report


def test_a_forged_checkpoint_of_odd_shape_is_tampering_not_a_crash(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    rows = raw.rows()
    checkpoint = next(r for r in rows if r.position == history.checkpoints[0])
    previous = next(
        r for r in rows if r.aggregate_id == AUDIT_TRAIL_ID and r.version == 1
    )
    for odd in (["seven", "x" * 64, None], [1, "h", ["a", "list"]], "nonsense"):
        state = checkpoint.decoded()
        split_hash(state)
        state["heads"] = {str(history.pool_a): odd}
        state[META]["hash"] = event_hash(
            previous.decoded()[META]["hash"],
            checkpoint.aggregate_id,
            checkpoint.version,
            checkpoint.topic,
            state,
        )
        raw.set_state(checkpoint.position, state)
        for scope in (None, {str(history.tenant_a)}):
            position, reason = _bad(container, scope)
            assert position == checkpoint.position, (odd, reason)


def test_an_unreadable_row_is_reported_and_history_pages_past_it(
    container: Container, history: History
) -> None:
    raw = RawStore(container)
    victim = _events_of(raw.rows(), history.pool_a)[4]
    raw.set_state(victim.position, b"\x00 not json at all")
    position, reason = _bad(container)
    assert position == victim.position and "not readable" in reason
    page, _ = container.reads.history.events(TEST_KEY, 0, 1000, None)
    [shown] = [e for e in page if e.position == victim.position]
    assert "unreadable" in shown.payload and shown.tenant_id is None
    assert page[-1].position == raw.rows()[-1].position  # nothing after it lost
