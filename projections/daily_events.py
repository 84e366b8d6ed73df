"""How each SeatPool event changes the state the daily-usage projection
keeps of a pool (projections/daily_state.py): its contract, its holders
counted by end date, its reservations, its allocations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.daily_state import State
from projections.sql import Tx

# A handler returns whether it changed the reservations (then usage right
# after the event counts them in SQL, not from the day's first reading).
Handler = Callable[[Tx, State, dict[str, Any]], bool]


def opened(pool: str, p: dict[str, Any]) -> State:
    return State(
        pool,
        p["tenant_id"],
        p["pool"],
        p["limit"],
        p["warning_threshold"],
        0,
        0,
        0,
        None,
    )


def _limit_set(tx: Tx, state: State, p: dict[str, Any]) -> bool:
    state.limit, state.warning_threshold = p["limit"], p["warning_threshold"]
    return False


def _allocated(tx: Tx, state: State, p: dict[str, Any]) -> bool:
    pool, child, limit = state.pool, p["child_tenant_id"], p["limit"]
    former = tx.execute(
        "DELETE FROM proj_daily_allocations WHERE pool_aggregate_id = ?"
        " AND child_tenant_id = ? RETURNING seat_limit",
        (pool, child),
    )
    if limit:
        tx.execute(
            "INSERT INTO proj_daily_allocations VALUES (?,?,?)", (pool, child, limit)
        )
    state.allocated += limit - sum(int(r[0]) for r in former)
    return False


def _count(state: State, end: str | None, delta: int) -> None:
    if end is None:
        state.open_seats += delta
    else:
        state.count(end, delta)


def _assigned(tx: Tx, state: State, p: dict[str, Any]) -> bool:
    end = p.get("end_date")
    if end is not None:
        tx.execute(
            "INSERT INTO proj_daily_holders VALUES (?,?,?)",
            (state.pool, p["holder_id"], end),
        )
    _count(state, end, 1)
    return False


def _former_end(tx: Tx, state: State, holder: str) -> str | None:
    """The holder's end date as it goes (None: it had none)."""
    found = tx.execute(
        "DELETE FROM proj_daily_holders WHERE pool_aggregate_id = ?"
        " AND holder_id = ? RETURNING end_date",
        (state.pool, holder),
    )
    return str(found[0][0]) if found else None


def _end_date_changed(tx: Tx, state: State, p: dict[str, Any]) -> bool:
    _count(state, _former_end(tx, state, p["holder_id"]), -1)
    return _assigned(tx, state, p)


def _released(tx: Tx, state: State, p: dict[str, Any]) -> bool:
    _count(state, _former_end(tx, state, p["holder_id"]), -1)
    return False


def _reserved(tx: Tx, state: State, p: dict[str, Any]) -> bool:
    tx.execute(
        "INSERT INTO proj_daily_reservations VALUES (?,?,?)"
        " ON CONFLICT (pool_aggregate_id, reservation_id) DO UPDATE"
        " SET expires_at = excluded.expires_at",
        (state.pool, p["invitation_id"], p["expires_at"]),
    )
    return _recount(tx, state)


def _reservation_released(tx: Tx, state: State, p: dict[str, Any]) -> bool:
    tx.execute(
        "DELETE FROM proj_daily_reservations WHERE pool_aggregate_id = ?"
        " AND reservation_id = ?",
        (state.pool, p["invitation_id"]),
    )
    return _recount(tx, state)


def _recount(tx: Tx, state: State) -> bool:
    state.reservations = int(
        tx.execute(
            "SELECT COUNT(*) FROM proj_daily_reservations WHERE pool_aggregate_id = ?",
            (state.pool,),
        )[0][0]
    )
    return True


HANDLERS: dict[str, Handler] = {
    "SeatPoolContracted": _limit_set,
    "SeatLimitSet": _limit_set,
    "SeatAllocatedToChild": _allocated,
    "SeatAssigned": _assigned,
    "SeatEndDateChanged": _end_date_changed,
    "SeatReleased": _released,
    "SeatReserved": _reserved,
    "ReservationReleased": _reservation_released,
}
