"""Usage dashboard over time: end dates, reservations and tracked pools are
counted when read, for the moment the reader gives, as the aggregate does."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.seat_pool import MEMBERS, SeatPool
from projections.envelope import Envelope
from projections.usage import holders_of, pools_of
from tests.unit.builders import NOW, day, expiry, later
from tests.unit.sqlite_projections import ENVELOPE_META, Log, SqliteTx, feed

T = "6ed23969-be7e-49d7-949e-bbb0651e2a49"
TOMORROW = datetime.fromisoformat(f"{day(1)}T00:00:00+00:00")


def counted(tx: SqliteTx, moment: datetime, pool: str = "seats") -> tuple[int, ...]:
    (row,) = [p for p in pools_of(tx, T, moment) if p["pool"] == pool]
    return (row["used"], row["reserved"], row["allocated"])


def envelopes(log: Log, pool: SeatPool) -> list[Envelope]:
    """The aggregate's pending events as the store would hand them on."""
    out = []
    for event in pool.collect_events():
        payload = {
            k: str(v) if isinstance(v, UUID) else v
            for k, v in vars(event).items()
            if k not in ENVELOPE_META
        }
        name = type(event).__name__
        out.append(log.pool(str(pool.tenant_id), pool.pool, name, **payload))
    return out


def test_hand_built_payloads_have_the_domain_events_keys() -> None:
    pool = SeatPool.open(UUID(T), MEMBERS, None)
    pool.assign("a", NOW, day(0))
    pool.set_limit(3, None, NOW)
    pool.change_end_date("a", day(1), NOW)
    pool.reserve("i1", expiry(days=1), NOW)
    pool.release_reservation("i1", NOW)

    keys = {
        type(e).__name__: set(vars(e)) - ENVELOPE_META for e in pool.collect_events()
    }

    assert keys == {
        "SeatPoolOpened": {"tenant_id", "pool", "limit", "warning_threshold"}
        | {"parent_pool_id"},
        "SeatAssigned": {"holder_id", "end_date"},
        "SeatPoolContracted": {"limit", "warning_threshold", "parent_pool_id"}
        | {"level"},
        "SeatEndDateChanged": {"holder_id", "end_date"},
        "SeatReserved": {"invitation_id", "expires_at"},
        "ReservationReleased": {"invitation_id"},
    }


def test_a_tracked_pool_is_not_on_the_dashboard_until_contracted(
    tx: SqliteTx, log: Log
) -> None:
    seats = "SeatAssigned"
    feed(
        tx,
        log.opened(T, MEMBERS, None),
        log.pool(T, MEMBERS, seats, holder_id="m1", end_date=None),
        log.pool(T, MEMBERS, seats, holder_id="m2", end_date=day(-1)),
        log.pool(
            T, MEMBERS, "SeatReserved", invitation_id="i1", expires_at=expiry(days=7)
        ),
    )
    assert pools_of(tx, T, NOW) == []

    contracted = {"limit": 5, "warning_threshold": 0.8, "parent_pool_id": None}
    feed(tx, log.pool(T, MEMBERS, "SeatPoolContracted", **contracted, level="ok"))

    (row,) = pools_of(tx, T, NOW)
    assert (row["limit"], row["position"]) == (5, log.position)
    assert counted(tx, NOW, MEMBERS) == (1, 1, 0)


def test_a_holder_counts_through_its_end_day_and_counts_again_once_extended(
    tx: SqliteTx, log: Log
) -> None:
    feed(
        tx,
        log.opened(T, "seats", 5),
        log.pool(T, "seats", "SeatAssigned", holder_id="a", end_date=day(0)),
        log.pool(T, "seats", "SeatAssigned", holder_id="b"),
    )
    assert counted(tx, later(hours=11, minutes=59)) == (2, 0, 0)
    assert counted(tx, TOMORROW) == (1, 0, 0)

    changed = log.pool(T, "seats", "SeatEndDateChanged", holder_id="a", end_date=None)
    feed(tx, changed)

    assert counted(tx, TOMORROW) == (2, 0, 0)
    rows = holders_of(tx, T, "seats", None, 10)
    assert [(h["holder_id"], h["end_date"]) for h in rows] == [("a", None), ("b", None)]
    assert pools_of(tx, T, NOW)[0]["position"] == changed.position


def test_a_reservation_counts_until_its_expiry_and_a_new_one_replaces_it(
    tx: SqliteTx, log: Log
) -> None:
    reserve = "SeatReserved"
    feed(
        tx,
        log.opened(T, "seats", 5),
        log.pool(T, "seats", reserve, invitation_id="i1", expires_at=expiry(hours=1)),
        log.pool(T, "seats", reserve, invitation_id="i2", expires_at=expiry(days=7)),
    )
    assert counted(tx, later(minutes=59, seconds=59)) == (0, 2, 0)
    assert counted(tx, later(hours=1)) == (0, 1, 0)

    feed(
        tx, log.pool(T, "seats", reserve, invitation_id="i1", expires_at=expiry(days=3))
    )
    assert counted(tx, later(hours=1)) == (0, 2, 0)

    feed(tx, log.pool(T, "seats", "ReservationReleased", invitation_id="i2"))
    assert counted(tx, NOW) == (0, 1, 0)
    assert counted(tx, later(days=3)) == (0, 0, 0)


def test_every_pool_event_moves_the_pool_position(tx: SqliteTx, log: Log) -> None:
    feed(tx, log.opened(T, "seats", 1))
    crossing = log.pool(T, "seats", "UsageLevelChanged", level="full", previous="ok")

    feed(tx, crossing)

    assert pools_of(tx, T, NOW)[0]["position"] == crossing.position


def test_the_dashboard_counts_what_the_aggregate_counts_at_every_moment(
    tx: SqliteTx, log: Log
) -> None:
    pool = SeatPool.open(UUID(T), MEMBERS, None)
    pool.assign("ended", NOW, day(-1))
    pool.assign("leaver", NOW, day(0))
    pool.assign("stayer", NOW, day(3))
    pool.reserve("soon", expiry(hours=2), NOW)
    pool.set_limit(8, 0.5, NOW)
    pool.reserve("later", expiry(days=2), NOW)
    pool.allocate_to_child(UUID(int=7), 2, NOW)
    pool.change_end_date("ended", day(1), NOW)
    pool.release_reservation("soon", later(hours=1))
    pool.assign("newcomer", later(hours=1))
    feed(tx, *envelopes(log, pool))

    for moment in (NOW, later(hours=3), TOMORROW, later(days=2), later(days=5)):
        usage = pool.usage(moment)
        (row,) = pools_of(tx, T, moment)
        assert (row["limit"], row["warning_threshold"]) == (8, 0.5)
        assert counted(tx, moment, MEMBERS) == (
            usage.used,
            usage.reserved,
            usage.allocated,
        )
