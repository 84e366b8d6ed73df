"""Waiting out a dependency (PostgreSQL, Kafka) instead of exiting.

A process that loses a dependency waits with capped exponential backoff and
jitter, says so once when the dependency goes down and once when it is back
(not a line per retry), exports the state as
`seatledger_dependency_up{dependency=...}`, and resumes from its stored
position. Only what waiting cannot fix (bad configuration) ends it, with a
message that says what to change.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from kafka.errors import KafkaError

log = structlog.get_logger(__name__)
T = TypeVar("T")

POSTGRES = "postgres"
KAFKA = "kafka"
# Failures that only a change of configuration mends: waiting would hide them.
_FATAL_HINTS = {
    "password authentication failed": "check the user and password in "
    "SEATLEDGER_DATABASE_URL",
    "does not exist": "create the database or role named in SEATLEDGER_DATABASE_URL",
    "no pg_hba.conf entry": "allow this host in the server's pg_hba.conf",
    "could not translate host name": "check the host in SEATLEDGER_DATABASE_URL",
}


class Stopped(Exception):
    """The process was asked to stop while it waited."""


class Misconfigured(Exception):
    """A dependency refuses us for a reason waiting cannot fix."""


@dataclass
class Backoff:
    """Capped exponential backoff with "equal jitter": each wait is between
    half and all of min(cap, base * 2**n), so processes that lost a server
    together do not knock on it together."""

    base_s: float = 0.05
    cap_s: float = 1.0
    _attempt: int = 0

    def next(self) -> float:
        ceiling = min(self.cap_s, self.base_s * 2.0**self._attempt)
        self._attempt = min(self._attempt + 1, 30)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self._attempt = 0


@dataclass
class Dependency:
    """One dependency as this process last saw it."""

    name: str
    on_change: Callable[[str, bool], None] | None = None
    up: bool | None = None  # None: not tried yet
    since: float = field(default_factory=time.monotonic)
    probe: Callable[[], None] | None = None  # raises while it is down
    on_recovery: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def succeeded(self) -> None:
        was = self.up
        if self._set(True) and was is False:
            for recover in self.on_recovery:
                recover()

    def failed(self, error: BaseException) -> None:
        self._set(False, error)

    def _set(self, up: bool, error: BaseException | None = None) -> bool:
        """Records the state; True when it changed (logged once per change)."""
        with self._lock:
            if self.up is up:
                return False
            was, self.up = self.up, up
            took = round(time.monotonic() - self.since, 2)
            self.since = time.monotonic()
        if up and was is None:
            log.info("dependency up", dependency=self.name)
        elif up:
            log.info("dependency up", dependency=self.name, down_s=took)
        elif was is None:
            log.warning(
                "dependency unavailable; waiting",
                dependency=self.name,
                error=str(error)[:300],
            )
        else:
            log.warning(
                "dependency down; waiting",
                dependency=self.name,
                error=str(error)[:300],
                up_s=took,
            )
        if self.on_change is not None:
            self.on_change(self.name, up)
        return True


class Health:
    """The dependencies of one process, feeding the metrics gauge."""

    def __init__(self, gauge: Any = None, cap_s: float = 1.0) -> None:
        self._gauge = gauge
        self.cap_s = cap_s  # the longest wait between attempts
        self.deps: dict[str, Dependency] = {}

    def __getitem__(self, name: str) -> Dependency:
        if name not in self.deps:
            self.deps[name] = Dependency(name, on_change=self._changed)
        return self.deps[name]

    def _changed(self, name: str, up: bool) -> None:
        if self._gauge is not None:
            self._gauge.labels(name).set(1 if up else 0)

    def report(self) -> dict[str, bool | None]:
        return {name: dep.up for name, dep in self.deps.items()}


def classify(exc: BaseException) -> str | None:
    """Which dependency a failure says is unreachable (None: not a outage)."""
    if isinstance(exc, KafkaError):
        return KAFKA
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return POSTGRES
    if isinstance(exc, OperationalError | InterfaceError):
        return POSTGRES  # eventsourcing's wrapping of the same
    if isinstance(exc, sqlite3.OperationalError):
        return "sqlite"
    return None


def check_fatal(exc: BaseException) -> None:
    """Raises Misconfigured for a refusal that no amount of waiting mends."""
    if classify(exc) != POSTGRES:
        return
    text = str(exc)
    for needle, hint in _FATAL_HINTS.items():
        if needle in text:
            raise Misconfigured(f"PostgreSQL refused us: {text.strip()}; {hint}")


def observe(health: Health, failure: BaseException | None = None) -> None:
    """Records what a probe of the store (serve's /readyz) found: reached,
    or which dependency its failure names."""
    if failure is None:
        if health.deps.get(POSTGRES) is not None:
            health[POSTGRES].succeeded()
        return
    name = classify(failure)
    if name is not None:
        health[name].failed(failure)


class Retrying:
    """How a run loop waits out failures: one call per failed attempt.

    A failure that names a dependency marks it down and then waits (probing
    it, when it has a probe, so the loop resumes as soon as it answers); any
    other failure is logged once per distinct message. Either way nothing of
    the failed step was recorded, so it is simply tried again.
    """

    def __init__(
        self, health: Health, stop: threading.Event, cap_s: float | None = None
    ) -> None:
        self.health = health
        self.stop = stop
        self.backoff = Backoff(cap_s=cap_s or health.cap_s)
        self._last_error = ""

    def succeeded(self, *deps: str) -> None:
        self.backoff.reset()
        self._last_error = ""
        for name in deps:
            self.health[name].succeeded()

    def failed(self, exc: BaseException, what: str) -> None:
        name = classify(exc)
        if name is None:
            if str(exc) != self._last_error:
                log.exception(f"{what} failed; retrying")
            self._last_error = str(exc)
            self.stop.wait(self.backoff.next())
            return
        dep = self.health[name]
        dep.failed(exc)
        self.wait_for(dep)

    def wait_for(self, dep: Dependency) -> None:
        """Until the dependency's probe answers (or one backoff without one)."""
        while not self.stop.wait(self.backoff.next()):
            if dep.probe is None:
                return
            try:
                dep.probe()
            except Exception:
                continue
            dep.succeeded()  # its recovery hooks renew what it left broken
            return


def until_up(
    attempt: Callable[[], T],
    health: Health,
    stop: threading.Event,
    cap_s: float = 1.0,
) -> T:
    """Calls `attempt` until it succeeds, waiting out outages of the
    dependencies it names in its failures; raises Stopped when asked to stop,
    Misconfigured for what waiting cannot fix, and any other failure as is
    (a bug is not an outage)."""
    retrying = Retrying(health, stop, cap_s)
    while True:
        if stop.is_set():
            raise Stopped
        try:
            return attempt()
        except Exception as exc:
            check_fatal(exc)
            if classify(exc) is None:
                raise
            retrying.failed(exc, "start-up")
