"""Fault drills: a private PostgreSQL and Kafka broker that a test may stop,
start, restart and cut under the real `seatledger` processes, a steady load of
commands over HTTP and Kafka, and recovery times read from the processes' JSON
logs. Nothing here is shared with the session's servers: a drill owns what it
breaks."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import psycopg
from kafka import KafkaConsumer, KafkaProducer

from infra.kafka import broker as kafka_broker
from infra.local.postgres import PgCluster, pg_ctl, throwaway_cluster
from tests.e2e.conftest import KEY


@dataclass
class Postgres:
    """A throwaway cluster with the faults of the drill."""

    cluster: PgCluster

    @property
    def url(self) -> str:
        return self.cluster.url

    def stop(self) -> None:
        pg_ctl(self.cluster, "stop", "-m", "fast")

    def start(self) -> None:
        pg_ctl(self.cluster, "start")

    def restart(self) -> None:
        pg_ctl(self.cluster, "restart", "-m", "fast")

    def terminate_backends(self) -> int:
        """Ends every client connection but this one (the services')."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchall()
        return len(rows)

    def reachable(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False

    def wait_reachable(self, timeout: float = 60) -> float:
        """The time it answered again."""
        deadline = time.monotonic() + timeout
        while not self.reachable():
            assert time.monotonic() < deadline, "PostgreSQL did not come back"
            time.sleep(0.02)
        return time.time()


@contextmanager
def private_postgres() -> Iterator[Postgres]:
    with throwaway_cluster() as cluster:
        yield Postgres(cluster)


@dataclass
class Broker:
    """A broker on fixed ports that may be down: started later, killed, back."""

    workdir: Path
    port: int
    controller_port: int
    running: kafka_broker.KafkaBroker | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.running = kafka_broker.start_broker(
            self.workdir, self.port, self.controller_port
        )

    def kill(self) -> None:
        if self.running is not None:
            self.running.kill()
            self.running = None


@contextmanager
def private_broker(workdir: Path) -> Iterator[Broker]:
    """Ports chosen now, broker not started: the test decides when."""
    port, controller = kafka_broker._free_ports(2, set())
    broker = Broker(workdir, port, controller)
    try:
        yield broker
    finally:
        if broker.running is not None:
            broker.running.stop()


def log_events(path: Path) -> list[dict]:
    """The JSON lines of a process's log (tracebacks and other text skipped)."""
    found = []
    text = path.read_text(errors="replace") if path.exists() else ""
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found


def stamp(event: dict) -> float:
    return datetime.fromisoformat(event["timestamp"]).timestamp()


def first_after(path: Path, event: str, since: float) -> float | None:
    """When the log first says `event` at or after `since` (epoch seconds)."""
    for e in log_events(path):
        if e.get("event") == event and stamp(e) >= since:
            return stamp(e)
    return None


@dataclass
class Outcome:
    at: float
    holder: str
    status: int
    retry_after: str | None = None


@dataclass
class SteadyLoad:
    """Assignments over HTTP and over the Kafka command topic, one every
    `interval` seconds on each path, each to a holder of its own; /readyz
    polled alongside."""

    base_url: str
    bootstrap: str
    topics_prefix: str
    tenant: str
    pool: str = "expenses"
    interval: float = 0.05
    http: list[Outcome] = field(default_factory=list)
    ready: list[tuple[float, int]] = field(default_factory=list)
    sent: dict[str, str] = field(default_factory=dict)  # command id -> holder
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for target in (self._post, self._produce, self._poll_ready):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {KEY}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def _post(self) -> None:
        path = f"/v1/tenants/{self.tenant}/seats/{self.pool}/assignments"
        with self._client() as api:
            for i in range(100_000):
                if self._stop.wait(self.interval):
                    return
                holder = f"http-{i:05d}"
                try:
                    r = api.post(path, json={"holder_id": holder})
                except httpx.TransportError:
                    self.http.append(Outcome(time.time(), holder, 0))
                    continue
                retry = r.headers.get("retry-after")
                self.http.append(Outcome(time.time(), holder, r.status_code, retry))

    def _produce(self) -> None:
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        try:
            for i in range(100_000):
                if self._stop.wait(self.interval):
                    return
                command_id, holder = str(uuid.uuid4()), f"kafka-{i:05d}"
                command = {
                    "command_id": command_id,
                    "type": "AssignSeat",
                    "tenant_id": self.tenant,
                    "payload": {"pool": self.pool, "holder_id": holder},
                }
                producer.send(
                    f"{self.topics_prefix}.commands", json.dumps(command).encode()
                )
                self.sent[command_id] = holder
        finally:
            producer.flush()
            producer.close()

    def _poll_ready(self) -> None:
        with self._client() as api:
            while not self._stop.wait(0.05):
                try:
                    status = api.get("/readyz", timeout=10).status_code
                except httpx.TransportError:
                    status = 0
                self.ready.append((time.time(), status))

    def first_write_ok(self, since: float) -> float | None:
        return next((o.at for o in self.http if o.at >= since and o.status < 300), None)

    def first_ready(self, since: float) -> float | None:
        return next((t for t, s in self.ready if t >= since and s == 200), None)


def command_results(bootstrap: str, topic: str, want: set[str]) -> dict[str, list]:
    """Every answer on the results topic, by command id, until each of `want`
    has one (or 120 s pass)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5_000,
    )
    found: dict[str, list] = {}
    deadline = time.monotonic() + 120
    try:
        while not want <= found.keys() and time.monotonic() < deadline:
            for record in consumer:
                answer = json.loads(record.value)
                found.setdefault(answer["command_id"], []).append(answer)
                if want <= found.keys():
                    break
    finally:
        consumer.close()
    return found
