"""Two command buses on one store (as two processes are): each keeps its own
aggregates in memory, and neither decides on state the other changed. The
loser of a race decides again under the store's write lock, so contention
costs a retry, never an oversold seat or a `concurrency_conflict`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.commands import AssignSeat, CreateTenant, SetSeatLimit
from domain.errors import DomainError
from domain.seat_pool import SeatPool, pool_id
from infra.bootstrap import Container, bootstrap
from infra.settings import Settings
from tests.support import load, result_id, run


@pytest.fixture
def twin(settings: Settings, container: Container) -> Iterator[Container]:
    """A second container on the same store, with caches of its own."""
    other = bootstrap(settings, configure_logging=False)
    try:
        yield other
    finally:
        other.close()


def test_two_buses_racing_on_one_pool_never_oversell(
    container: Container, twin: Container
) -> None:
    tenant = result_id(run(container, CreateTenant(name="Race")))
    run(container, SetSeatLimit(tenant_id=tenant, pool="p", limit=150))
    codes: Counter[str] = Counter()

    def assign(c: Container, holder: str) -> None:
        try:
            run(c, AssignSeat(tenant_id=tenant, pool="p", holder_id=holder))
            codes["ok"] += 1
        except DomainError as refused:
            codes[refused.code] += 1

    calls = [
        (c, f"{name}{i}")
        for i in range(100)
        for c, name in ((container, "a"), (twin, "b"))
    ]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda call: assign(*call), calls))
    assert codes == {"ok": 150, "quota_exhausted": 50}, codes
    stored = load(container, SeatPool, pool_id(tenant, "p"))
    assert len(stored.holders) == 150
    assert load(twin, SeatPool, pool_id(tenant, "p")).holders == stored.holders
