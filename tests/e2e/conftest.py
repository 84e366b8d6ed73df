"""A real `seatledger serve` process (uvicorn) per test, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS, settings_for

KEY = "e2e-operator-key-0123456789abcdef"


@dataclass
class Server:
    base_url: str
    key: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, key: str | None = None, **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key or self.key}"}
        return httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=30,
            **kwargs,  # type: ignore[arg-type]
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    env: dict[str, str],
    workdir: Path,
    key: str | None = KEY,
    args: tuple[str, ...] = (),
) -> Server:
    """`key=None`: no SEATLEDGER_BOOTSTRAP_KEY, so the server uses the key kept
    in its data folder (generating one if none is there), as `make run` does."""
    port = _free_port()
    log = workdir / "server.log"
    # No periodic audit checkpoints unless a test asks: a checkpoint landing
    # between two calls would move the head that position tests compare.
    full_env = {**os.environ, "SEATLEDGER_CHECKPOINT_INTERVAL_S": "0"}
    full_env.pop("SEATLEDGER_BOOTSTRAP_KEY", None)
    if key is not None:
        full_env["SEATLEDGER_BOOTSTRAP_KEY"] = key
    full_env.update(env)  # a test's own environment may name another key
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "serve", "--port", str(port), *args],
        env=full_env,
        cwd=workdir,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return Server(base_url, key or "", process, log)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not get ready:\n{log.read_text()[-3000:]}")


def server_env(backend: str, workdir: Path, pg_url: str | None) -> dict[str, str]:
    """The environment of a `seatledger serve` on a fresh store of `backend`."""
    settings = settings_for(backend, workdir, pg_url)
    env = {"SEATLEDGER_DATA_DIR": str(settings.data_dir), "SEATLEDGER_LOG_JSON": "true"}
    if settings.database_url:
        env["SEATLEDGER_DATABASE_URL"] = settings.database_url
        env["SEATLEDGER_POSTGRES_SCHEMA"] = settings.postgres_schema
    return env


def stop_server(server: Server) -> None:
    """Terminates the server; kills it when it does not stop in time."""
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@contextmanager
def running_server(backend: str, workdir: Path, pg_url: str | None) -> Iterator[Server]:
    """A `seatledger serve` on a fresh store of `backend`, stopped afterwards."""
    srv = start_server(server_env(backend, workdir, pg_url), workdir)
    try:
        yield srv
    finally:
        stop_server(srv)


def _pg(backend: str, request: pytest.FixtureRequest) -> str | None:
    return str(request.getfixturevalue("pg_url")) if backend == "postgres" else None


@pytest.fixture
def server(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """A server of its own per test."""
    with running_server(backend, tmp_path, _pg(backend, request)) as srv:
        yield srv


@pytest.fixture(scope="module", params=BACKENDS)
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One server per test module and backend (tests make their own tenants)."""
    backend = str(request.param)
    workdir = tmp_path_factory.mktemp(f"module-{backend}")
    with running_server(backend, workdir, _pg(backend, request)) as server:
        yield server


@pytest.fixture(scope="module")
def c(srv: Server) -> Iterator[httpx.Client]:
    """The operator's client on the module's server."""
    with srv.client() as client:
        yield client
