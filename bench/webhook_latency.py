"""Webhook delivery latency: from sending a command to the receiver holding
its signed webhook, at a steady rate, beside the raw HTTP round trip to the
same receiver and the command's own round trip, measured in the same run on
the same machine.

    .venv/bin/python -m bench.webhook_latency [--rate 50] [--seconds 10] [--postgres]

Starts `seatledger serve` (SQLite, the in-process sender: the embedded
default) or, with --postgres, a throwaway PostgreSQL with `serve` and
`seatledger send-webhooks` as separate processes (the production shape), and
an HTTP receiver in this process. Each command is an AssignSeat over HTTP;
its answer's position names the event, whose webhook the receiver matches by
`data.position`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bench.freshness import paced, percentile
from infra.local.postgres import throwaway_cluster

KEY = "bench-operator-key-0123456789abcdef"


class Receiver:
    """Notes when each webhook arrives, by the event's position."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                now = time.perf_counter()
                if self.path == "/hook":
                    position = json.loads(body)["data"]["position"]
                    receiver.arrived.setdefault(position, now)
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def service(workdir: Path, postgres: bool) -> Iterator[str]:
    port = _port()
    env = {
        **os.environ,
        "SEATLEDGER_BOOTSTRAP_KEY": KEY,
        "SEATLEDGER_DATA_DIR": str(workdir / "data"),
        "SEATLEDGER_LOG_LEVEL": "WARNING",
        "SEATLEDGER_LOG_JSON": "true",
        "SEATLEDGER_CHECKPOINT_INTERVAL_S": "0",
        "SEATLEDGER_WEBHOOKS_ALLOW_PRIVATE": "true",
    }
    roles = [["serve", "--port", str(port)]]
    with ExitStack() as stack:
        if postgres:
            cluster = stack.enter_context(throwaway_cluster())
            env["SEATLEDGER_DATABASE_URL"] = cluster.url
            env["SEATLEDGER_WEBHOOKS_IN_PROCESS"] = "false"
            roles.append(["send-webhooks"])
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
            _ready(url)
            yield url
        finally:
            for p in processes:
                p.terminate()
                p.wait(timeout=30)


def _ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("seatledger serve did not get ready")


def raw_http(receiver: Receiver, rate: float, seconds: float) -> list[float]:
    """POST round trips to the receiver: what one webhook's HTTP costs."""
    body = json.dumps({"type": "raw", "data": {"position": 0}}).encode()
    times: list[float] = []
    with httpx.Client() as client:

        def one() -> None:
            start = time.perf_counter()
            client.post(receiver.url("/raw"), content=body)
            times.append(time.perf_counter() - start)

        with ThreadPoolExecutor(8) as pool:
            for _ in paced(rate, seconds):
                pool.submit(one)
    return times


def commands(
    url: str, receiver: Receiver, rate: float, seconds: float
) -> tuple[list[float], list[float], int]:
    """(command round trips, command-to-webhook latencies, undelivered)."""
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
        tid = c.post("/v1/tenants", json={"name": f"Bench {uuid.uuid4()}"}).json()[
            "tenant_id"
        ]
        c.put(f"/v1/tenants/{tid}/seats/jobs", json={"limit": 1_000_000})
        hook = {
            "url": receiver.url("/hook"),
            "tenant_id": tid,
            "event_types": ["SeatAssigned"],
        }
        assert c.post("/v1/webhook-endpoints", json=hook).status_code == 201
        sent: dict[int, float] = {}
        trips: list[float] = []

        def one(i: int) -> None:
            start = time.perf_counter()
            r = c.post(
                f"/v1/tenants/{tid}/seats/jobs/assignments",
                json={"holder_id": f"h{i}"},
            )
            trips.append(time.perf_counter() - start)
            sent[int(r.json()["position"])] = start

        with ThreadPoolExecutor(8) as pool:
            for i in paced(rate, seconds):
                pool.submit(one, i)
        deadline = time.monotonic() + 30
        while not sent.keys() <= receiver.arrived.keys():
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    latencies = [
        receiver.arrived[p] - t for p, t in sent.items() if p in receiver.arrived
    ]
    return trips, latencies, len(sent) - len(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50, help="commands per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--postgres", action="store_true", help="production shape")
    args = parser.parse_args()
    receiver = Receiver()
    with (
        tempfile.TemporaryDirectory(prefix="seatledger-bench-") as tmp,
        service(Path(tmp), args.postgres) as url,
    ):
        commands(url, receiver, args.rate, 1)  # warm-up, not counted
        receiver.arrived.clear()
        raw = raw_http(receiver, args.rate, args.seconds)
        trips, latencies, lost = commands(url, receiver, args.rate, args.seconds)
    shape = "PostgreSQL, send-webhooks" if args.postgres else "SQLite, in-process"
    table = Table(title=f"{shape}: {args.rate:g}/s for {args.seconds:g} s")
    for column in ("measured", "n", "p50 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="right" if column != "measured" else "left")
    for name, values in (
        ("raw HTTP POST to the receiver", raw),
        ("command round trip (AssignSeat)", trips),
        ("command sent -> webhook received", latencies),
    ):
        table.add_row(
            name,
            str(len(values)),
            f"{percentile(values, 0.5) * 1000:.1f}",
            f"{percentile(values, 0.99) * 1000:.1f}",
            f"{max(values) * 1000:.1f}",
        )
    Console().print(table)
    if lost:
        Console().print(f"[red]{lost} webhook(s) not received within 30 s[/]")


if __name__ == "__main__":
    main()
