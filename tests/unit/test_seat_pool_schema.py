"""SeatAssigned schema 2 (`end_date`): the upcaster, and the library's mapper
turning a stored version-1 event into today's class (no I/O: bytes in memory)."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic

from domain.seat_pool import SeatPool
from tests.unit.builders import NOW, day, open_pool

TOPIC = "domain.seat_pool:SeatPool.SeatAssigned"


def mapper() -> Mapper[Any]:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder)


def stored(pool: SeatPool, state: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=pool.id,
        originator_version=pool.version + 1,
        topic=TOPIC,
        state=mapper().transcoder.encode({"timestamp": NOW, **state}),
    )


def test_upcaster_gives_a_version_1_event_no_end_date() -> None:
    state: dict[str, Any] = {"holder_id": "anna"}

    SeatPool.SeatAssigned.upcast_v1_v2(state)

    assert state == {"holder_id": "anna", "end_date": None}


def test_upcaster_keeps_an_end_date_recorded_before_the_version_existed() -> None:
    state: dict[str, Any] = {"holder_id": "anna", "end_date": day(30)}

    SeatPool.SeatAssigned.upcast_v1_v2(state)

    assert state == {"holder_id": "anna", "end_date": day(30)}


def test_the_declared_event_keeps_its_stored_topic_and_is_version_2() -> None:
    assert get_topic(SeatPool.SeatAssigned) == TOPIC
    assert SeatPool.SeatAssigned.class_version == 2


def test_a_stored_version_1_event_rebuilds_the_seat_without_end_date() -> None:
    pool = open_pool(limit=3)

    event = mapper().to_domain_event(stored(pool, {"holder_id": "anna"}))
    event.mutate(pool)  # type: ignore[attr-defined]

    assert isinstance(event, SeatPool.SeatAssigned)
    assert pool.holders == {"anna": None}
    assert pool.usage(NOW).used == 1


def test_an_unversioned_event_with_an_end_date_keeps_it() -> None:
    pool = open_pool(limit=3)

    event = mapper().to_domain_event(
        stored(pool, {"holder_id": "anna", "end_date": day(-1)})
    )
    event.mutate(pool)  # type: ignore[attr-defined]

    assert pool.holders == {"anna": day(-1)}
    assert pool.usage(NOW).used == 0


def test_a_new_assignment_is_stored_as_version_2() -> None:
    pool = open_pool(limit=3)
    pool.assign("anna", NOW, end_date=day(5))
    (event,) = pool.collect_events()[:1]

    state = mapper().transcoder.decode(mapper().to_stored_event(event).state)

    assert state["class_version"] == 2
    assert (state["holder_id"], state["end_date"]) == ("anna", day(5))
