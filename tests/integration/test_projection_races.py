"""Two projectors applying the same batch at once on PostgreSQL (pipelined
transactions, tenants' positions locked per batch): each envelope is applied
exactly once, whichever wins."""

from __future__ import annotations

import threading

from infra.db import PostgresDatabase
from projections.registry import apply_batch, checkpoint, create_tables
from projections.usage import holders_of
from tests.conftest import fresh_schema
from tests.unit.sqlite_projections import Log


def test_racing_projectors_apply_each_envelope_once(pg_url: str) -> None:
    db = PostgresDatabase(pg_url, fresh_schema(pg_url))
    try:
        with db.transaction() as tx:
            create_tables(tx)
        log = Log()
        first, batch = [], []
        for name in ("Acme", "Beta", "Gamma"):
            tenant = log.tenant(name)
            t = tenant.aggregate_id
            first += [tenant, log.opened(t, "seats", 100)]
            batch += [
                log.pool(t, "seats", "SeatAssigned", holder_id=f"h{i}")
                for i in range(20)
            ]
        with db.batch() as tx:  # the tenants' positions exist before the race
            apply_batch(tx, first, "setup", first[-1].position)
        applied: list[int] = []
        barrier = threading.Barrier(4)

        def project(source: str) -> None:
            barrier.wait()
            with db.batch() as tx:
                applied.append(apply_batch(tx, batch, source, batch[-1].position))

        racers = [threading.Thread(target=project, args=(f"s{i}",)) for i in range(4)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()

        assert sorted(applied) == [0, 0, 0, len(batch)]
        with db.read() as tx:
            assert checkpoint(tx, "s3") == batch[-1].position
            pools = tx.execute("SELECT tenant_id, pool FROM proj_pools")
            assert len(pools) == 3
            for tenant_id, pool in pools:
                assert len(holders_of(tx, tenant_id, pool, None, 1000)) == 20
    finally:
        db.close()
