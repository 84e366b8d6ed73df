"""`seatledger serve` says once, when it listens, where and how it runs."""

from __future__ import annotations

import json

from infra import probe
from tests.e2e.conftest import Server


def startup_lines(server: Server) -> list[dict]:
    lines = []
    for raw in server.log.read_text().splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # not a log line of ours (e.g. the rich console)
        if isinstance(entry, dict) and entry.get("event") == "listening":
            lines.append(entry)
    return lines


def test_serve_logs_one_startup_line_with_url_mode_store_and_key(
    server: Server, backend: str
) -> None:
    (line,) = startup_lines(server)
    assert line["url"] == server.base_url
    assert line["mode"] == "embedded"
    assert line["operator_key"] == "SEATLEDGER_BOOTSTRAP_KEY"
    assert line["store"].startswith("sqlite:" if backend == "sqlite" else "postgresql:")
    # The store's password never reaches a log.
    assert "@" not in line["store"] and "password" not in json.dumps(line)


def test_the_containers_health_probe_finds_a_running_api_healthy(
    server: Server,
) -> None:
    assert probe.main([f"{server.base_url}/readyz"]) == 0
