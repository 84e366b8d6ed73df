"""HTTP cells: a real `seatledger serve` process, loaded by `wrk` (C, epoll:
a Python client on the same 2 cores would cost more CPU than the server it
measures). wrk is installed with apt when missing, like PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.measure import Cell, CpuMeter, load1
from bench.paths import KEY
from domain.common import MAX_LIMIT

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).with_name("assign.lua")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit("wrk is missing: install it, e.g. `apt-get install -y wrk`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        subprocess.run(cmd, env=env, capture_output=True, check=True)
    return shutil.which("wrk") or "wrk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`seatledger serve` (embedded projector on) on a free port."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int = 1) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "server.log"
        self.port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SEATLEDGER_")},
            "SEATLEDGER_DATA_DIR": str(workdir / "data"),
            "SEATLEDGER_BOOTSTRAP_KEY": KEY,
            "SEATLEDGER_LOG_JSON": "true",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        argv = [sys.executable, "-m", "infra.cli", "serve", "--port", str(self.port)]
        if workers > 1:
            argv += ["--workers", str(workers)]
        profile = os.environ.get("BENCH_PROFILE_DIR")
        if profile:  # the server under a CPU profiler, its report at exit
            out = Path(profile) / f"server-{self.port}.txt"
            argv[1:2] = ["-m", "bench.cpu_profile", str(out), "--", "-m"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                argv, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
            )
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
        )
        self._wait_ready()
        r = self.api.post("/v1/tenants", json={"name": "bench http"})
        r.raise_for_status()
        self.tenant_id = r.json()["tenant_id"]
        self.serial = 0

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if self.api.get("/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server did not get ready:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        """The server and its worker processes."""
        found = [self.process.pid]
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}")
            found += [int(p) for p in (children / "children").read_text().split()]
        return found

    def pool_paths(self, n: int) -> list[str]:
        paths = []
        for _ in range(n):
            self.serial += 1
            slug = f"p{self.serial}"
            base = f"/v1/tenants/{self.tenant_id}/seats/{slug}"
            self.api.put(base, json={"limit": MAX_LIMIT}).raise_for_status()
            paths.append(base + "/assignments")
        return paths

    def projection_lag(self) -> int | None:
        try:
            body = self.api.get("/readyz").json()
            return max(int(p["lag"]) for p in body["projections"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None

    def exceptions(self) -> Counter[str]:
        found: Counter[str] = Counter()
        with contextlib.suppress(OSError):
            for line in self.log.read_text(errors="replace").splitlines():
                if '"error"' in line or "Traceback" in line:
                    found[line[:200]] += 1
        return found

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError as exc:
            return f"(no log: {exc})"

    def close(self) -> None:
        self.api.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wrk_cell(
    server: Server,
    connections: int,
    warmup: float,
    seconds: float,
    tag: str,
    meter_pids: dict[str, list[int]],
) -> Cell:
    """wrk with one connection (and thread) per pool: a warm-up run, then the
    measured one; rate = 201s / duration, p50/p99 from wrk's distribution."""
    paths = server.pool_paths(connections)
    if warmup > 0:
        _wrk(server, paths, warmup, f"{tag}w")
    cell = Cell("HTTP (wrk)", connections)
    meter = CpuMeter(lambda: {**meter_pids, "server": server.pids()})
    meter.start()
    found = _wrk(server, paths, seconds, tag)
    cell.cpu = meter.stop()
    cell.load = load1()
    statuses = Counter({int(k): v for k, v in found["statuses"].items()})
    cell.seconds = found["duration_us"] / 1e6
    cell.ok = statuses.pop(201, 0)
    for status, n in statuses.items():
        cell.errors[f"http_{status}"] += n
    if found["socket_errors"]:
        cell.errors["socket"] += found["socket_errors"]
    cell.p50_ms = found["p50_us"] / 1000
    cell.p99_ms = found["p99_us"] / 1000
    lag = server.projection_lag()
    cell.note = f"projector lag {lag}" if lag else ""
    return cell


def _wrk(server: Server, paths: list[str], seconds: float, tag: str) -> dict:  # type: ignore[type-arg]
    n = len(paths)
    done = subprocess.run(
        [
            ensure_wrk(),
            *("-t", str(n), "-c", str(n), "-d", f"{max(1, round(seconds))}s"),
            *("--timeout", "10s", "-s", str(LUA), server.url, "--", tag, *paths),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_KEY": KEY},
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])  # type: ignore[no-any-return]
    raise RuntimeError(f"wrk said:\n{done.stdout}\n{done.stderr}")
