"""Waiting out a dependency: backoff bounds, one log line per change of
state, and what ends a wait (success, stop, a refusal waiting cannot mend)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from kafka.errors import KafkaTimeoutError
from structlog.testing import capture_logs

from infra.waiting import (
    KAFKA,
    POSTGRES,
    Backoff,
    Health,
    Misconfigured,
    Retrying,
    Stopped,
    classify,
    until_up,
)


def test_backoff_grows_with_jitter_and_never_passes_its_cap() -> None:
    backoff = Backoff(base_s=0.1, cap_s=1.0)
    waits = [backoff.next() for _ in range(20)]
    assert 0.05 <= waits[0] <= 0.1
    assert all(w <= 1.0 for w in waits)
    assert waits[-1] >= 0.5  # at the cap: between half and all of it
    backoff.reset()
    assert backoff.next() <= 0.1


def test_each_change_of_state_is_logged_once_not_each_retry() -> None:
    health = Health(cap_s=0.01)
    with capture_logs() as logs:
        for _ in range(5):
            health[POSTGRES].failed(psycopg.OperationalError("refused"))
        for _ in range(5):
            health[POSTGRES].succeeded()
    assert [e["event"] for e in logs] == [
        "dependency unavailable; waiting",
        "dependency up",
    ]
    assert health.report() == {POSTGRES: True}


def test_recovery_hooks_run_once_when_a_dependency_comes_back() -> None:
    health = Health(cap_s=0.01)
    renewed: list[str] = []
    health[POSTGRES].on_recovery.append(lambda: renewed.append("pools"))
    health[POSTGRES].succeeded()
    health[POSTGRES].failed(psycopg.OperationalError("gone"))
    health[POSTGRES].succeeded()
    health[POSTGRES].succeeded()
    assert renewed == ["pools"]


def test_start_up_waits_until_the_dependency_answers() -> None:
    failures = [psycopg.OperationalError("refused"), KafkaTimeoutError("bootstrap")]
    health = Health(cap_s=0.01)

    def attempt() -> str:
        if failures:
            raise failures.pop(0)
        return "up"

    assert until_up(attempt, health, threading.Event()) == "up"
    assert health.report() == {POSTGRES: False, KAFKA: False}  # marked by callers


def test_a_wrong_password_ends_the_wait_with_what_to_change() -> None:
    def attempt() -> None:
        raise psycopg.OperationalError('password authentication failed for "x"')

    with pytest.raises(Misconfigured, match="check the user and password"):
        until_up(attempt, Health(cap_s=0.01), threading.Event())


def test_stopping_ends_the_wait() -> None:
    stop = threading.Event()

    def attempt() -> None:
        stop.set()
        raise psycopg.OperationalError("refused")

    with pytest.raises(Stopped):
        until_up(attempt, Health(cap_s=0.01), stop)


def test_a_bug_is_not_waited_for() -> None:
    def attempt() -> None:
        raise KeyError("not an outage")

    with pytest.raises(KeyError):
        until_up(attempt, Health(cap_s=0.01), threading.Event())
    assert classify(KeyError("x")) is None


def test_a_probe_ends_the_wait_as_soon_as_the_server_answers() -> None:
    health = Health(cap_s=0.01)
    answers = [False, False, True]

    def probe() -> None:
        if not answers.pop(0):
            raise psycopg.OperationalError("still down")

    health[POSTGRES].probe = probe
    Retrying(health, threading.Event()).failed(psycopg.OperationalError("gone"), "step")
    assert answers == [] and health.report() == {POSTGRES: True}
