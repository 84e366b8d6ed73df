"""What the hash chain costs, beside a baseline measured in the same run.

* mapping: ``EnvelopeMapper.to_stored_event`` of a real ``SeatAssigned``
  event, without a chain (the baseline) and with one (canonical JSON, SHA-256,
  the hash written into the stored state);
* verifying: ``infra.audit.verify`` over a SQLite store of real events,
  beside the raw rate of reading and JSON-decoding the same rows.

    .venv/bin/python -m bench.hash_chain [--events N] [--mappings N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from application.auth import Principal, Role
from domain.commands import AssignSeat, CreateTenant, SetSeatLimit
from domain.seat_pool import SeatPool
from infra.audit import stream, verify, write_checkpoint
from infra.bootstrap import bootstrap
from infra.chain import HashChain
from infra.events import EnvelopeMapper
from infra.logging import configure
from infra.settings import Settings


def _mapping(n: int) -> tuple[float, float]:
    """Microseconds per event mapped: without a chain, with one."""
    with tempfile.TemporaryDirectory() as folder:
        c = bootstrap(Settings(data_dir=Path(folder)), configure_logging=False)
        try:
            mapper = c.persistence.mapper
            assert isinstance(mapper, EnvelopeMapper)
            pool = SeatPool.open(uuid4(), "expenses", 10**9)
            for i in range(n):
                pool.assign(f"holder-{i:07d}@example.com", c.clock())
            events = pool.collect_events()
            chain = HashChain(lambda _id, _v: None, size=2 * n)
            timings = []
            for with_chain in (None, chain):
                mapper.chain = with_chain
                chain.begin()
                started = time.perf_counter()
                for e in events:
                    mapper.to_stored_event(e)
                timings.append((time.perf_counter() - started) / len(events) * 1e6)
            return timings[0], timings[1]
        finally:
            c.close()


def _verifying(n: int) -> tuple[float, float, int]:
    """Events/s: raw read + JSON decode, and verify; events in the store."""
    with tempfile.TemporaryDirectory() as folder:
        c = bootstrap(Settings(data_dir=Path(folder)), configure_logging=False)
        try:
            who = Principal("bench", Role.OPERATOR)
            tenants = [
                c.bus.handle(who, CreateTenant(name=f"T{t}")).view.tenant_id  # type: ignore[union-attr]
                for t in range(10)
            ]
            for t in tenants:
                c.bus.handle(who, SetSeatLimit(tenant_id=t, pool="p", limit=10**6))
            for i in range(n):
                cmd = AssignSeat(tenant_id=tenants[i % 10], pool="p", holder_id=f"h{i}")
                c.bus.handle(who, cmd)
                if i % 1000 == 999:
                    write_checkpoint(c.log, c.store, c.bus)
            total = c.log.head()
            started = time.perf_counter()
            read = sum(1 for n_ in stream(c.log) if json.loads(n_.state))
            raw = read / (time.perf_counter() - started)
            started = time.perf_counter()
            report = verify(c.log)
            checked = report.checked / (time.perf_counter() - started)
            assert report.ok, report
            return raw, checked, total
        finally:
            c.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--mappings", type=int, default=20_000)
    args = parser.parse_args()
    configure("WARNING")
    plain, chained = _mapping(args.mappings)
    print(f"mapping one SeatAssigned ({args.mappings} events)")
    print(f"  without chain (baseline) {plain:8.1f} µs/event")
    extra = chained - plain
    print(f"  with hash chain          {chained:8.1f} µs/event  (+{extra:.1f} µs)")
    raw, checked, total = _verifying(args.events)
    print(f"verifying a SQLite store of {total} events (checkpoint every 1000)")
    print(f"  raw read + JSON decode (baseline) {raw:10,.0f} events/s")
    print(
        f"  verify (chains + checkpoints)     {checked:10,.0f} events/s "
        f"({checked / raw:.0%} of raw)"
    )


if __name__ == "__main__":
    main()
