"""Daily usage of every seat pool: one row per pool and UTC day on which it
was contracted, kept as its events arrive. The usage-history report, the
forecast and the monthly billing summary read it (projections/daily_read.py)
instead of replaying each pool's events per request.

A day's row holds its peaks (the most at any moment: its start, and right
after each of its events, at the event's own instant; between two events
usage only falls, as end dates stop counting at midnight and reservations at
their expiry) and the highest limit; its end values are written when a later
day's first event closes it. Days without events are written then too, each
judged on its own day from the state the pool had, so an ended member's seat
stops counting on the right day without any event. The days after a pool's
latest event are judged at read time from the same state, kept here: the
holders counted by end date, the reservations, the allocations.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from projections.daily_state import Carried, State, day_end, day_start, load_state
from projections.envelope import Envelope
from projections.sql import Tx

NAME = "daily_usage"

TABLES = [
    """CREATE TABLE IF NOT EXISTS proj_daily_pools (
        pool_aggregate_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        pool TEXT NOT NULL,
        seat_limit BIGINT,
        warning_threshold DOUBLE PRECISION NOT NULL,
        open_seats BIGINT NOT NULL,
        allocated BIGINT NOT NULL,
        last_day TEXT,
        UNIQUE (tenant_id, pool))""",
    """CREATE TABLE IF NOT EXISTS proj_daily_holders (
        pool_aggregate_id TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        end_date TEXT,
        PRIMARY KEY (pool_aggregate_id, holder_id))""",
    """CREATE TABLE IF NOT EXISTS proj_daily_ends (
        pool_aggregate_id TEXT NOT NULL,
        end_date TEXT NOT NULL,
        seats BIGINT NOT NULL,
        PRIMARY KEY (pool_aggregate_id, end_date))""",
    """CREATE TABLE IF NOT EXISTS proj_daily_reservations (
        pool_aggregate_id TEXT NOT NULL,
        reservation_id TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (pool_aggregate_id, reservation_id))""",
    """CREATE TABLE IF NOT EXISTS proj_daily_allocations (
        pool_aggregate_id TEXT NOT NULL,
        child_tenant_id TEXT NOT NULL,
        seat_limit BIGINT NOT NULL,
        PRIMARY KEY (pool_aggregate_id, child_tenant_id))""",
    """CREATE TABLE IF NOT EXISTS proj_daily_usage (
        pool_aggregate_id TEXT NOT NULL,
        day TEXT NOT NULL,
        peak_used BIGINT NOT NULL,
        peak_in_use BIGINT NOT NULL,
        limit_max BIGINT NOT NULL,
        end_used BIGINT,
        end_reserved BIGINT,
        end_allocated BIGINT,
        end_limit BIGINT,
        end_threshold DOUBLE PRECISION,
        PRIMARY KEY (pool_aggregate_id, day))""",
]


def apply(tx: Tx, e: Envelope) -> None:
    if e.aggregate_type != "SeatPool":
        return
    moment = datetime.fromisoformat(e.occurred_at)
    state = load_state(tx, e.aggregate_id)
    if state is None:
        if e.type == "SeatPoolOpened":
            _opened(tx, e, e.payload)
            _after(tx, e.aggregate_id, moment.date(), moment)
        return
    day = max(moment.date(), state.last_day or moment.date())
    if state.contracted and state.last_day is not None and day > state.last_day:
        carried = Carried.of(tx, state)
        _close(tx, state, carried)
        _fill(tx, state, carried, state.last_day + timedelta(days=1), day)
        _start(tx, state, carried, day)
    handler = _HANDLERS.get(e.type)
    if handler is not None:
        handler(tx, e, e.payload)
    _after(tx, e.aggregate_id, day, moment)


def _after(tx: Tx, pool: str, day: date, moment: datetime) -> None:
    """The pool right after the event: a sample of the day's peaks."""
    state = load_state(tx, pool)
    assert state is not None
    if state.contracted:
        usage = state.usage_at(tx, moment)
        _peak(tx, pool, day, usage.used, usage.in_use, usage.limit)
    tx.execute(
        "UPDATE proj_daily_pools SET last_day = ? WHERE pool_aggregate_id = ?",
        (day.isoformat(), pool),
    )


def _peak(tx: Tx, pool: str, day: date, used: int, in_use: int, limit: int) -> None:
    tx.execute(
        "INSERT INTO proj_daily_usage (pool_aggregate_id, day, peak_used,"
        " peak_in_use, limit_max) VALUES (?,?,?,?,?)"
        " ON CONFLICT (pool_aggregate_id, day) DO UPDATE SET"
        " peak_used = CASE WHEN excluded.peak_used > proj_daily_usage.peak_used"
        "  THEN excluded.peak_used ELSE proj_daily_usage.peak_used END,"
        " peak_in_use = CASE WHEN excluded.peak_in_use > proj_daily_usage.peak_in_use"
        "  THEN excluded.peak_in_use ELSE proj_daily_usage.peak_in_use END,"
        " limit_max = CASE WHEN excluded.limit_max > proj_daily_usage.limit_max"
        "  THEN excluded.limit_max ELSE proj_daily_usage.limit_max END",
        (pool, day.isoformat(), used, in_use, limit),
    )


def _start(tx: Tx, state: State, carried: Carried, day: date) -> None:
    """The first event of a new day: the day starts as the pool was."""
    usage = carried.usage(day_start(day))
    _peak(tx, state.pool, day, usage.used, usage.in_use, usage.limit)


def _close(tx: Tx, state: State, carried: Carried) -> None:
    """The latest day is over (a later day has an event): its end is known."""
    assert state.last_day is not None
    end = carried.usage(day_end(state.last_day))
    tx.execute(
        "UPDATE proj_daily_usage SET end_used = ?, end_reserved = ?,"
        " end_allocated = ?, end_limit = ?, end_threshold = ?"
        " WHERE pool_aggregate_id = ? AND day = ?",
        (
            end.used,
            end.reserved,
            end.allocated,
            end.limit,
            end.warning_threshold,
            state.pool,
            state.last_day.isoformat(),
        ),
    )


def _fill(tx: Tx, state: State, carried: Carried, first: date, stop: date) -> None:
    """The days without events, from `first` up to (not including) `stop`."""
    rows = []
    for offset in range((stop - first).days):
        day = first + timedelta(days=offset)
        start, end = carried.usage(day_start(day)), carried.usage(day_end(day))
        rows.append(
            (
                state.pool,
                day.isoformat(),
                max(start.used, end.used),
                max(start.in_use, end.in_use),
                end.limit,
                end.used,
                end.reserved,
                end.allocated,
                end.limit,
                end.warning_threshold,
            )
        )
    if rows:
        tx.executemany(
            "INSERT INTO proj_daily_usage VALUES (?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (pool_aggregate_id, day) DO NOTHING",
            rows,
        )


# -- the pool's state, event by event ------------------------------------------


def _opened(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO proj_daily_pools VALUES (?,?,?,?,?,?,?,?)"
        " ON CONFLICT (pool_aggregate_id) DO NOTHING",
        (
            e.aggregate_id,
            p["tenant_id"],
            p["pool"],
            p["limit"],
            p["warning_threshold"],
            0,
            0,
            None,
        ),
    )


def _limit_set(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "UPDATE proj_daily_pools SET seat_limit = ?, warning_threshold = ?"
        " WHERE pool_aggregate_id = ?",
        (p["limit"], p["warning_threshold"], e.aggregate_id),
    )


def _allocated(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    pool, child = e.aggregate_id, p["child_tenant_id"]
    tx.execute(
        "DELETE FROM proj_daily_allocations WHERE pool_aggregate_id = ?"
        " AND child_tenant_id = ?",
        (pool, child),
    )
    if p["limit"]:
        tx.execute(
            "INSERT INTO proj_daily_allocations VALUES (?,?,?)",
            (pool, child, p["limit"]),
        )
    tx.execute(
        "UPDATE proj_daily_pools SET allocated = COALESCE((SELECT SUM(seat_limit)"
        " FROM proj_daily_allocations a WHERE a.pool_aggregate_id = ?), 0)"
        " WHERE pool_aggregate_id = ?",
        (pool, pool),
    )


def _count(tx: Tx, pool: str, end: str | None, delta: int) -> None:
    """Holders counted by end date, as the pool counts them."""
    if end is None:
        tx.execute(
            "UPDATE proj_daily_pools SET open_seats = open_seats + ?"
            " WHERE pool_aggregate_id = ?",
            (delta, pool),
        )
        return
    tx.execute(
        "INSERT INTO proj_daily_ends VALUES (?,?,?) ON CONFLICT"
        " (pool_aggregate_id, end_date) DO UPDATE"
        " SET seats = proj_daily_ends.seats + excluded.seats",
        (pool, end, delta),
    )
    tx.execute(
        "DELETE FROM proj_daily_ends WHERE pool_aggregate_id = ? AND end_date = ?"
        " AND seats = 0",
        (pool, end),
    )


def _holder_end(tx: Tx, pool: str, holder: str) -> tuple[bool, str | None]:
    found = tx.execute(
        "SELECT end_date FROM proj_daily_holders WHERE pool_aggregate_id = ?"
        " AND holder_id = ?",
        (pool, holder),
    )
    return (True, found[0][0]) if found else (False, None)


def _assigned(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    pool, holder, end = e.aggregate_id, p["holder_id"], p.get("end_date")
    if _holder_end(tx, pool, holder)[0]:
        return
    tx.execute("INSERT INTO proj_daily_holders VALUES (?,?,?)", (pool, holder, end))
    _count(tx, pool, end, 1)


def _end_date_changed(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    pool, holder, end = e.aggregate_id, p["holder_id"], p.get("end_date")
    held, former = _holder_end(tx, pool, holder)
    if not held:
        return
    _count(tx, pool, former, -1)
    _count(tx, pool, end, 1)
    tx.execute(
        "UPDATE proj_daily_holders SET end_date = ? WHERE pool_aggregate_id = ?"
        " AND holder_id = ?",
        (end, pool, holder),
    )


def _released(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    pool, holder = e.aggregate_id, p["holder_id"]
    held, former = _holder_end(tx, pool, holder)
    if not held:
        return
    _count(tx, pool, former, -1)
    tx.execute(
        "DELETE FROM proj_daily_holders WHERE pool_aggregate_id = ? AND holder_id = ?",
        (pool, holder),
    )


def _reserved(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO proj_daily_reservations VALUES (?,?,?)"
        " ON CONFLICT (pool_aggregate_id, reservation_id) DO UPDATE"
        " SET expires_at = excluded.expires_at",
        (e.aggregate_id, p["invitation_id"], p["expires_at"]),
    )


def _reservation_released(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "DELETE FROM proj_daily_reservations WHERE pool_aggregate_id = ?"
        " AND reservation_id = ?",
        (e.aggregate_id, p["invitation_id"]),
    )


_HANDLERS: dict[str, Callable[[Tx, Envelope, dict[str, Any]], None]] = {
    "SeatPoolContracted": _limit_set,
    "SeatLimitSet": _limit_set,
    "SeatAllocatedToChild": _allocated,
    "SeatAssigned": _assigned,
    "SeatEndDateChanged": _end_date_changed,
    "SeatReleased": _released,
    "SeatReserved": _reserved,
    "ReservationReleased": _reservation_released,
}
