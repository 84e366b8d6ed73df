"""Projections built through Kafka (relay -> topic -> projector) equal the
projections built straight from the event store's log, row for row."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import Mapper
from kafka import KafkaConsumer, KafkaProducer

from consumers.log_follower import LogFollower
from domain.common import Edition, TenantType
from domain.tenant import Tenant
from infra.bootstrap import bootstrap
from infra.db import PostgresDatabase
from infra.events import EnvelopeMapper
from infra.eventstore import Log, Persistence
from infra.settings import Settings
from projections.registry import create_tables
from tests.conftest import OPERATOR_KEY, fresh_schema
from tests.e2e.helpers import ok
from tests.integration.pipeline import Pipeline, fresh_pipeline
from tests.support import load

TABLES = {
    "proj_pools": "pool_aggregate_id",
    "proj_pool_holders": "pool_aggregate_id, holder_id",
    "proj_pool_allocations": "pool_aggregate_id, child_tenant_id",
    "proj_tenants": "tenant_id",
}


@pytest.fixture
def pipeline(pg_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Pipeline]:
    with fresh_pipeline(pg_url, kafka_bootstrap, tmp_path) as p:
        p.start_all()
        yield p


def over_kafka(
    pipeline: Pipeline, bootstrap: str, commands: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Publishes commands on the command topic; returns their results in order."""
    for command in commands:
        command["command_id"] = str(uuid.uuid4())
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for command in commands:  # one key: handled in this order
        producer.send(
            f"{pipeline.topics_prefix}.commands",
            key=b"equivalence",
            value=json.dumps(command).encode(),
        )
    producer.flush()
    producer.close()
    wanted = {c["command_id"] for c in commands}
    consumer = KafkaConsumer(
        f"{pipeline.topics_prefix}.command-results",
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=90_000,  # a loaded machine joins groups slowly
    )
    answers: dict[str, dict[str, Any]] = {}
    for record in consumer:
        answer = json.loads(record.value)
        if answer["command_id"] in wanted:
            answers[answer["command_id"]] = answer
        if len(answers) == len(wanted):
            break
    consumer.close()
    return [answers[c["command_id"]] for c in commands]


def workload(api: httpx.Client, pipeline: Pipeline, bootstrap: str) -> list[str]:
    """Tenants, a sub-tenant tree, pools drawing from their parent's, seats
    assigned and released, limits raised and lowered; returns the tenant ids."""
    partner = ok(api.post("/v1/tenants", json={"name": "Partner"}), 201)["tenant_id"]
    lic = api.post(f"/v1/tenants/{partner}/licenses", json={"feature": "multi_tenant"})
    ok(lic, 201)
    seats = f"/v1/tenants/{partner}/seats"
    ok(api.put(f"{seats}/expenses", json={"limit": 20}))
    ok(api.put(f"{seats}/job_postings", json={"limit": 10, "warning_threshold": 0.5}))
    subs = []
    for name, extra in (
        ("Branch North", {"type": "CUSTOM", "charset": "ISO-8859-1"}),
        ("Branch South", {"edition": "PROFESSIONAL"}),
    ):
        body = {"name": name, "parent_id": partner, **extra}
        subs.append(ok(api.post("/v1/tenants", json=body), 201)["tenant_id"])
    north, south = subs
    ok(api.put(f"/v1/tenants/{north}/seats/expenses", json={"limit": 5}))
    ok(api.put(f"/v1/tenants/{south}/seats/expenses", json={"limit": 4}))

    def assign(tenant: str, pool: str, holder: str, status: int = 201) -> None:
        path = f"/v1/tenants/{tenant}/seats/{pool}/assignments"
        ok(api.post(path, json={"holder_id": holder}), status)

    def release(tenant: str, pool: str, holder: str) -> None:
        ok(api.delete(f"/v1/tenants/{tenant}/seats/{pool}/assignments/{holder}"))

    for i in range(6):
        assign(partner, "expenses", f"p-{i}")
        assign(partner, "job_postings", f"job-{i}")  # crosses the 0.5 warning
    for i in range(5):
        assign(north, "expenses", f"n-{i}")
    assign(north, "expenses", "n-overflow", 409)  # quota_exhausted: no event
    release(north, "expenses", "n-2")
    assign(north, "expenses", "n-5")
    release(partner, "job_postings", "job-0")
    ok(api.put(f"/v1/tenants/{north}/seats/expenses", json={"limit": 8}))
    ok(api.put(f"/v1/tenants/{south}/seats/expenses", json={"limit": 0}))
    ok(api.put(f"{seats}/expenses", json={"limit": 15}))  # 6 used + 8 allocated
    conflict = api.put(f"{seats}/expenses", json={"limit": 13})
    assert conflict.json()["code"] == "limit_below_usage", conflict.text
    ok(api.patch(f"/v1/tenants/{north}", json={"name": "Branch North-East"}))
    ok(api.patch(f"/v1/tenants/{south}", json={"edition": "ENTERPRISE"}))
    ok(api.post(f"/v1/tenants/{south}/suspend"))

    # And some of it through the command topic.
    [created] = over_kafka(
        pipeline, bootstrap, [{"type": "CreateTenant", "payload": {"name": "Solo"}}]
    )
    solo = created["result"]["tenant_id"]

    def pool_cmd(kind: str, **payload: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "tenant_id": solo,
            "payload": {"pool": "expenses", **payload},
        }

    answers = over_kafka(
        pipeline,
        bootstrap,
        [
            pool_cmd("SetSeatLimit", limit=3),
            *(pool_cmd("AssignSeat", holder_id=f"s-{i}") for i in range(4)),
            pool_cmd("ReleaseSeat", holder_id="s-1"),
        ],
    )
    codes = [a["ok"] or a["error"]["code"] for a in answers]
    assert codes == [True, True, True, True, "quota_exhausted", True], answers
    return [partner, north, south, solo]


def rows(pg_url: str, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(pg_url) as conn:
        return {
            table: conn.execute(
                f'SELECT * FROM "{schema}".{table} ORDER BY {key}'
            ).fetchall()
            for table, key in TABLES.items()
        }


def rebuild_from_store(pg_url: str, store_schema: str) -> str:
    """The same projections, fed from the store's own log into a fresh schema."""
    env = Settings(database_url=pg_url, postgres_schema=store_schema)
    store = Persistence(env.eventsourcing_env())
    schema = fresh_schema(pg_url)
    db = PostgresDatabase(pg_url, schema)
    try:
        with db.transaction() as tx:
            create_tables(tx)
        LogFollower(Log(store), db).catch_up()
    finally:
        db.close()
        store.close()
    return schema


def test_projections_through_kafka_equal_projections_from_the_store(
    pipeline: Pipeline, pg_url: str, kafka_bootstrap: str
) -> None:
    with pipeline.client() as api:
        tenants = workload(api, pipeline, kafka_bootstrap)
        pipeline.wait_projected(api, int(api.get("/readyz").json()["store_position"]))
        partner = {
            p["pool"]: p
            for p in api.get(f"/v1/tenants/{tenants[0]}/usage").json()["pools"]
        }
    assert (partner["expenses"]["used"], partner["expenses"]["allocated"]) == (6, 8)
    assert partner["job_postings"]["used"] == 5

    via_kafka = rows(pg_url, pipeline.env["SEATLEDGER_POSTGRES_SCHEMA"])
    from_store = rows(
        pg_url, rebuild_from_store(pg_url, pipeline.env["SEATLEDGER_POSTGRES_SCHEMA"])
    )
    # Not vacuous: every table holds what the workload made.
    assert len(via_kafka["proj_tenants"]) == len(tenants)
    names = {row[2]: row[5] for row in via_kafka["proj_tenants"]}  # name: status
    assert names["Branch North-East"] == "provisioning"
    assert names["Branch South"] == "suspended"
    assert len(via_kafka["proj_pools"]) == 5
    assert len(via_kafka["proj_pool_holders"]) == 6 + 5 + 5 + 2
    assert len(via_kafka["proj_pool_allocations"]) == 1  # south went back to 0
    for table in TABLES:
        assert via_kafka[table] == from_store[table], table


class PreviousRelease(Application[UUID]):
    """How earlier releases wrote the store: an eventsourcing application named
    `seatledger`, whose mapper put who-and-why under `_meta`."""

    name = "seatledger"  # the application's name before the split

    def construct_mapper(self) -> Mapper[UUID]:
        transcoder = self.construct_transcoder()
        return self.factory.mapper(transcoder=transcoder, mapper_class=EnvelopeMapper)


def test_the_store_written_by_the_previous_release_is_still_the_store(
    pg_url: str, tmp_path: Path
) -> None:
    """The log that relay and rebuilds read is the one earlier releases wrote."""
    env = Settings(
        database_url=pg_url,
        postgres_schema=fresh_schema(pg_url),
        data_dir=tmp_path / "data",
        bootstrap_key=OPERATOR_KEY,
    )
    old = PreviousRelease(env=env.eventsourcing_env())
    try:
        tenant = Tenant(
            name="Old Customer",
            parent_id=None,
            tenant_type=TenantType.STANDARD,
            edition=Edition.BASIC,
            charset="UTF-8",
            logo_url=None,
        )
        old.save(tenant)
    finally:
        old.close()
    c = bootstrap(env, configure_logging=False)
    try:
        assert c.log.head() > 0, "the upgraded service sees an empty store"
        assert load(c, Tenant, tenant.id).name == "Old Customer"
    finally:
        c.close()
