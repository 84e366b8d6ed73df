"""Daily usage of every seat pool: one row per pool and UTC day on which it
was contracted, kept as its events arrive. The usage-history report, the
forecast and the monthly billing summary read it (projections/daily_read.py)
instead of replaying each pool's events per request.

A day's peaks (the most at any moment: its start, and right after each of
its events, at the event's own instant; between two events usage only
falls, as end dates stop counting at midnight and reservations at their
expiry) and its highest limit are kept with the pool while the day is the
pool's latest; its row, with its end values, is written when a later day's
first event closes it. Days without events are written then too, each judged
on its own day from the state the pool had, so an ended member's seat stops
counting on the right day without any event. The latest day's end and the
days after it are judged at read time from the same state, kept here: the
holders counted by end date, the reservations, the allocations.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from projections.daily_events import HANDLERS, opened
from projections.daily_state import (
    Carried,
    State,
    day_end,
    day_start,
    load_state,
    save_state,
)
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
        reservations BIGINT NOT NULL,
        allocated BIGINT NOT NULL,
        last_day TEXT,
        peak_used BIGINT,
        peak_in_use BIGINT,
        limit_max BIGINT,
        ends TEXT NOT NULL,
        UNIQUE (tenant_id, pool))""",
    # Holders with an end date (one without is only counted): what a release
    # or a new end date takes off.
    """CREATE TABLE IF NOT EXISTS proj_daily_holders (
        pool_aggregate_id TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        end_date TEXT NOT NULL,
        PRIMARY KEY (pool_aggregate_id, holder_id))""",
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
        end_used BIGINT NOT NULL,
        end_reserved BIGINT NOT NULL,
        end_allocated BIGINT NOT NULL,
        end_limit BIGINT NOT NULL,
        end_threshold DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (pool_aggregate_id, day))""",
]


def apply(tx: Tx, e: Envelope) -> None:
    """A few statements per event: the pool's row read and (when it moved)
    written once, the holder's row; a day's row only when a later day's
    first event closes it."""
    if e.aggregate_type != "SeatPool":
        return
    moment = datetime.fromisoformat(e.occurred_at)
    state = load_state(tx, e.aggregate_id)
    if state is None:
        if e.type != "SeatPoolOpened":
            return  # not expected: a pool's first event opens it
        state = opened(e.aggregate_id, e.payload)
    before = state.row()
    day = max(moment.date(), state.last_day or moment.date())
    carried = None
    if state.contracted and state.last_day is not None and day > state.last_day:
        carried = Carried.of(tx, state)
        _next_day(tx, state, day, carried)
    state.forget_before(day)
    handler = HANDLERS.get(e.type)
    reserved = handler(tx, state, e.payload) if handler is not None else False
    if state.contracted:
        if carried is not None and not reserved:
            state.sample(carried.usage(moment))  # the same expiries, no query
        else:
            state.sample(state.usage_at(tx, moment))
    state.last_day = day
    if state.row() != before:
        save_state(tx, state)


def _next_day(tx: Tx, state: State, day: date, carried: Carried) -> None:
    """Closes the pool's latest day, writes the days without events up to
    `day`, and starts `day` as the pool was at its start."""
    assert state.last_day is not None
    rows = []
    if state.peak_used is not None:
        rows.append(_closed(state, state.last_day, carried))
    for offset in range(1, (day - state.last_day).days):
        rows.append(_closed(state, state.last_day + timedelta(days=offset), carried))
    if rows:  # one statement, however many days
        values = ", ".join(["(?,?,?,?,?,?,?,?,?,?)"] * len(rows))
        tx.execute(
            f"INSERT INTO proj_daily_usage VALUES {values}"
            " ON CONFLICT (pool_aggregate_id, day) DO NOTHING",
            [v for row in rows for v in row],
        )
    state.peak_used = state.peak_in_use = state.limit_max = None
    state.sample(carried.usage(day_start(day)))


def _closed(state: State, day: date, carried: Carried) -> tuple[object, ...]:
    """A day that is over: its peaks (the pool's, for the latest event day;
    else its start, as usage only falls without events) and its end."""
    end = carried.usage(day_end(day))
    if day == state.last_day:
        peaks = (state.peak_used, state.peak_in_use, state.limit_max)
    else:
        start = carried.usage(day_start(day))
        peaks = (start.used, start.in_use, start.limit)
    return (
        state.pool,
        day.isoformat(),
        *peaks,
        end.used,
        end.reserved,
        end.allocated,
        end.limit,
        end.warning_threshold,
    )
