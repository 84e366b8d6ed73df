"""LicenseOrder: placed, then fulfilled, rejected or cancelled, exactly once."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from domain.errors import InvalidState
from domain.license_order import LicenseOrder
from tests.unit.builders import event_names, new_order, payloads


def test_placing_an_order_records_what_was_asked_for() -> None:
    tenant_id = uuid4()

    order = LicenseOrder(
        tenant_id=tenant_id, pool="members", quantity=25, note=None, placed_by="k:1"
    )

    assert (order.tenant_id, order.pool, order.quantity) == (tenant_id, "members", 25)
    assert (order.status, order.reason, order.placed_by) == ("placed", None, "k:1")
    assert event_names(order) == ["LicenseOrderPlaced"]


def test_fulfilling_a_placed_order_records_it() -> None:
    order = new_order()

    order.fulfil()

    assert order.status == "fulfilled"
    assert event_names(order) == ["LicenseOrderFulfilled"]


def test_rejecting_a_placed_order_records_the_reason() -> None:
    order = new_order()

    order.reject("over budget")

    assert (order.status, order.reason) == ("rejected", "over budget")
    assert payloads(order) == [("LicenseOrderRejected", {"reason": "over budget"})]


def test_cancelling_a_placed_order_records_it() -> None:
    order = new_order()

    order.cancel()

    assert order.status == "cancelled"
    assert event_names(order) == ["LicenseOrderCancelled"]


ACTIONS: dict[str, Callable[[LicenseOrder], object]] = {
    "fulfil": lambda o: o.fulfil(),
    "reject": lambda o: o.reject("no"),
    "cancel": lambda o: o.cancel(),
}
DONE = {"fulfil": "fulfilled", "reject": "rejected", "cancel": "cancelled"}


@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS)
@pytest.mark.parametrize("first", ACTIONS, ids=[f"{s}-order" for s in DONE.values()])
def test_an_order_no_longer_placed_refuses_every_transition(
    first: str, action: Callable[[LicenseOrder], object]
) -> None:
    order = new_order()
    ACTIONS[first](order)
    order.collect_events()
    before = vars(order).copy()

    with pytest.raises(InvalidState) as caught:
        action(order)

    assert caught.value.code == "invalid_state"
    assert caught.value.extra == {"status": DONE[first]}
    assert vars(order) == before
    assert event_names(order) == []
