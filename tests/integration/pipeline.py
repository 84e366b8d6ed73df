"""The service as it runs in production: API, relay, projector and command
consumer as separate `seatledger` processes on real PostgreSQL and Kafka."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import fresh_schema
from tests.e2e.conftest import KEY, start_server

ROLES = ("relay", "project", "consume-commands")


@dataclass
class Pipeline:
    env: dict[str, str]
    workdir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    base_url: str = ""

    @classmethod
    def create(
        cls, pg_url: str, schema: str, bootstrap: str, workdir: Path
    ) -> Pipeline:
        env = {
            "SEATLEDGER_DATABASE_URL": pg_url,
            "SEATLEDGER_POSTGRES_SCHEMA": schema,
            "SEATLEDGER_KAFKA_BOOTSTRAP": bootstrap,
            "SEATLEDGER_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:10]}",
            "SEATLEDGER_TOPIC_PARTITIONS": "3",
            "SEATLEDGER_DATA_DIR": str(workdir / "data"),
            "SEATLEDGER_BOOTSTRAP_KEY": KEY,
            "SEATLEDGER_LOG_JSON": "true",
        }
        return cls(env, workdir)

    @property
    def topics_prefix(self) -> str:
        return self.env["SEATLEDGER_TOPIC_PREFIX"]

    def start_api(self) -> str:
        server = start_server(self.env, self.workdir)
        self.processes["serve"] = server.process
        self.base_url = server.base_url
        return self.base_url

    def start(self, role: str, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{role}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.cli", role, *args],
            env={**os.environ, **self.env, **extra_env},
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[role] = process
        return process

    def start_all(self) -> None:
        self.start_api()
        for role in ROLES:
            self.start(role)

    def kill(self, role: str) -> None:
        """kill -9: no clean-up, no final commit."""
        process = self.processes.pop(role)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def log(self, role: str) -> str:
        path = self.workdir / f"{role}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=30,
        )

    def wait_projected(
        self, client: httpx.Client, position: int, timeout: float = 120
    ) -> None:
        """Until the projections (through Kafka) reached `position`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = client.get("/readyz").json()
            if ready["projections"][0]["position"] >= position:
                return
            time.sleep(0.1)
        raise AssertionError(
            f"projections did not reach {position}: {ready}\n"
            + "\n".join(f"--- {r}\n{self.log(r)[-2000:]}" for r in ROLES)
        )

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


@contextmanager
def fresh_pipeline(pg_url: str, bootstrap: str, workdir: Path) -> Iterator[Pipeline]:
    """A pipeline on a schema of its own (nothing started yet); whatever it
    started is stopped afterwards."""
    p = Pipeline.create(pg_url, fresh_schema(pg_url), bootstrap, workdir)
    try:
        yield p
    finally:
        p.stop_all()
