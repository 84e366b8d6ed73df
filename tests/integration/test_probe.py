"""The containers' health probe (infra/probe.py) against real sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from infra import probe


@pytest.fixture
def listening() -> Iterator[int]:
    """A port something listens on (what a reachable server looks like)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_worker_is_healthy_while_postgres_and_a_kafka_server_answer(
    listening: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"postgresql://u:p@127.0.0.1:{listening}/db"
    monkeypatch.setenv("SEATLEDGER_DATABASE_URL", db)
    monkeypatch.setenv(
        "SEATLEDGER_KAFKA_BOOTSTRAP",
        f"127.0.0.1:{closed_port()},127.0.0.1:{listening}",
    )
    assert probe.main(["--dependencies"]) == 0


@pytest.mark.parametrize("down", ["postgres", "kafka"])
def test_a_worker_is_unhealthy_when_a_dependency_is_down(
    down: str,
    listening: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db_port = closed_port() if down == "postgres" else listening
    kafka_port = closed_port() if down == "kafka" else listening
    monkeypatch.setenv("SEATLEDGER_DATABASE_URL", f"postgresql://127.0.0.1:{db_port}/d")
    monkeypatch.setenv("SEATLEDGER_KAFKA_BOOTSTRAP", f"127.0.0.1:{kafka_port}")
    assert probe.main(["--dependencies"]) == 1
    said = capsys.readouterr().err
    assert ("PostgreSQL" if down == "postgres" else "Kafka") in said


def test_the_api_probe_wants_a_2xx(capsys: pytest.CaptureFixture[str]) -> None:
    assert probe.main([f"http://127.0.0.1:{closed_port()}/readyz"]) == 1
    assert "unhealthy" in capsys.readouterr().err


def test_a_probe_without_a_target_is_a_usage_error() -> None:
    assert probe.main([]) == 2
