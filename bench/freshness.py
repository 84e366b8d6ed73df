"""Freshness through Kafka: from a command's HTTP response to the usage
projection reflecting it, beside the raw Kafka produce-to-consume latency
measured in the same run on the same broker.

    .venv/bin/python -m bench.freshness [--rate 200] [--seconds 10]

Starts its own throwaway PostgreSQL and Kafka broker, runs `seatledger serve`,
`relay` and `project` as real processes, and drives assignments over HTTP at a
steady rate. A watcher reads the projector's per-partition watermark straight
from the database every millisecond; an assignment counts as visible when its
tenant's partition has applied its position.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient
from rich.console import Console
from rich.table import Table

from infra.kafka.broker import throwaway_broker
from infra.kafka_io import partition_for
from infra.local.postgres import throwaway_cluster

KEY = "bench-operator-key-0123456789abcdef"
PARTITIONS = 6


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def paced(rate: float, seconds: float) -> Iterator[int]:
    """Yields at a steady rate (no catch-up bursts beyond one tick)."""
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield i


def raw_kafka(bootstrap: str, rate: float, seconds: float) -> list[float]:
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2
    )
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
    )
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics(
        {topic: {"num_partitions": PARTITIONS, "replication_factor": -1}},
        wait_for_metadata=True,
    )
    admin.close()
    consumer.subscribe([topic])
    latencies: list[float] = []
    expected = int(rate * seconds)
    done = threading.Event()

    def consume() -> None:
        seen = 0
        while seen < expected and not done.is_set():
            for records in consumer.poll(timeout_ms=100).values():
                now = time.time()
                for r in records:
                    seen += 1
                    sent = json.loads(r.value).get("t")
                    if sent:
                        latencies.append(now - sent)

    reader = threading.Thread(target=consume)
    reader.start()
    time.sleep(2)  # let the group join before the clock starts
    for _ in paced(rate, seconds):
        producer.send(topic, json.dumps({"t": time.time()}).encode())
    producer.flush()
    reader.join(timeout=30)
    done.set()
    producer.close()
    consumer.close()
    return latencies


@contextmanager
def pipeline(pg_url: str, bootstrap: str, workdir: Path) -> Iterator[tuple[str, str]]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "SEATLEDGER_DATABASE_URL": pg_url,
        "SEATLEDGER_POSTGRES_SCHEMA": schema,
        "SEATLEDGER_KAFKA_BOOTSTRAP": bootstrap,
        "SEATLEDGER_TOPIC_PARTITIONS": str(PARTITIONS),
        "SEATLEDGER_BOOTSTRAP_KEY": KEY,
        "SEATLEDGER_DATA_DIR": str(workdir),
        "SEATLEDGER_LOG_LEVEL": "WARNING",
        "SEATLEDGER_LOG_JSON": "true",
    }
    roles = [["serve", "--port", str(port)], ["relay"], ["project"]]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "infra.cli", *role],
            env=env,
            stdout=(workdir / f"{role[0]}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for role in roles
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url, schema
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=20)


def watch(
    pg_url: str,
    schema: str,
    pending: dict[int, tuple[int, float]],
    stop: threading.Event,
) -> list[float]:
    """Freshness of each (position -> partition, response time) as it appears;
    after `stop`, waits up to 30 s for the stragglers."""
    seen: list[float] = []
    deadline: float | None = None
    with psycopg.connect(pg_url, autocommit=True) as conn:
        while not stop.is_set() or pending:
            rows = conn.execute(
                f'SELECT source, position FROM "{schema}".projection_checkpoints'
                " WHERE source LIKE 'kafka-wm:%'"
            ).fetchall()
            now = time.time()
            marks = {int(s.rsplit(":", 1)[1]): int(p) for s, p in rows}
            for position, (partition, answered) in list(pending.items()):
                if marks.get(partition, 0) >= position:
                    seen.append(now - answered)
                    del pending[position]
            if stop.is_set():
                deadline = deadline or time.monotonic() + 30
                if time.monotonic() > deadline:
                    break
            time.sleep(0.001)
    return seen


def drive(
    url: str, rate: float, seconds: float, pg_url: str, schema: str
) -> tuple[list[float], dict[str, int], float]:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as api:
        tenants = []
        for i in range(PARTITIONS * 2):
            tenant = api.post("/v1/tenants", json={"name": f"T{i}"}).json()["tenant_id"]
            api.put(f"/v1/tenants/{tenant}/seats/expenses", json={"limit": 10**8})
            tenants.append(tenant)
    pending: dict[int, tuple[int, float]] = {}
    lock = threading.Lock()
    stop = threading.Event()
    result: list[float] = []
    watcher = threading.Thread(
        target=lambda: result.extend(watch(pg_url, schema, pending, stop))
    )
    watcher.start()
    local = threading.local()
    failures: dict[str, int] = {}

    def assign(i: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(
                base_url=url, headers=headers, timeout=30
            )
        tenant = tenants[i % len(tenants)]
        response = client.post(
            f"/v1/tenants/{tenant}/seats/expenses/assignments",
            json={"holder_id": f"h{i}"},
        )
        answered = time.time()
        if response.status_code != 201:
            with lock:
                code = response.json().get("code", str(response.status_code))
                failures[code] = failures.get(code, 0) + 1
            return
        with lock:
            pending[response.json()["position"]] = (
                partition_for(tenant, PARTITIONS),
                answered,
            )

    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        for i in paced(rate, seconds):
            pool.submit(assign, i)
    achieved = rate * seconds / (time.perf_counter() - started)
    stop.set()
    watcher.join()
    return result, failures, achieved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200, help="commands per second")
    parser.add_argument("--seconds", type=float, default=10, help="duration per run")
    args = parser.parse_args(argv)
    console = Console()
    with (
        tempfile.TemporaryDirectory() as tmp,
        throwaway_cluster() as pg,
        throwaway_broker() as broker,
    ):
        console.print(f"nproc={os.cpu_count()}  rate={args.rate}/s  {args.seconds}s")
        raw = raw_kafka(broker.bootstrap, args.rate, args.seconds)
        with pipeline(pg.url, broker.bootstrap, Path(tmp)) as (url, schema):
            fresh, failures, achieved = drive(
                url, args.rate, args.seconds, pg.url, schema
            )
    table = Table(title="Freshness through Kafka (ms)")
    for column in ("measure", "n", "p50", "p90", "p99", "max"):
        table.add_column(column, justify="right")
    for name, values in (
        ("raw Kafka produce->consume", raw),
        ("HTTP response->projection", fresh),
    ):
        ms = [v * 1000 for v in values]
        if not ms:  # nothing arrived: say so rather than invent a figure
            table.add_row(name, "0", "-", "-", "-", "-")
            continue
        table.add_row(
            name,
            str(len(ms)),
            *(f"{percentile(ms, q):.1f}" for q in (0.5, 0.9, 0.99)),
            f"{max(ms):.1f}",
        )
    console.print(table)
    ratio = (
        f"{statistics.median(fresh) / statistics.median(raw):.1f}x"
        if fresh and raw
        else "n/a"
    )
    console.print(
        f"achieved command rate {achieved:.0f}/s, failed commands {failures}; "
        f"p50 ratio pipeline/raw = {ratio}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
