"""`seatledger serve --workers N`: N processes on one listening socket.

uvicorn's supervisor binds the socket, spawns the workers and replaces one
that dies. Each worker builds its own container (`app`, a factory): its own
pools and its own command bus. Several buses on one store are as safe as
several servers: every save checks, under the store's write lock, that
nothing the batch read has moved (docs/design.md "Freshness"), so a seat is
never taken twice however the requests are spread.

In embedded mode only one worker at a time runs the projector (a file lock
in the data folder: the others wait for it and take over if its holder
dies); several would be safe too (each envelope is applied once per
tenant), only wasteful.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import threading
from typing import Any

from fastapi import FastAPI

from infra.http_guard import GuardedHttpProtocol, Limits
from infra.settings import Settings

FOLLOWER_LOCK = "follower.lock"
SENDER_LOCK = "webhooks.lock"


@functools.cache
def _limits() -> Limits:
    s = Settings()
    return Limits(
        max_connections=s.max_connections,
        max_header_bytes=s.max_header_bytes,
        header_timeout_s=s.header_timeout_s,
        body_timeout_s=s.body_timeout_s,
    )


class SettingsGuardedProtocol(GuardedHttpProtocol):
    """The guarded protocol with the limits of the environment's settings,
    importable by name: a worker process imports it (uvicorn's `http=`
    takes an import string; the class `guarded_protocol` makes for one
    process cannot travel to another)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        type(self).limits = _limits()  # read from the settings once
        super().__init__(*args, **kwargs)


def app() -> FastAPI:
    """One worker's application (uvicorn calls this factory in the worker)."""
    from infra.bootstrap import bootstrap
    from infra.cli import web_app

    settings = Settings()
    container = bootstrap(settings, stop=threading.Event())
    atexit.register(container.close)
    if container.embedded_projector:
        lock = open(settings.data_dir / FOLLOWER_LOCK, "a")  # noqa: SIM115
        container.follower.exclusive = functools.partial(_hold, lock)
    if container.sends_webhooks:
        # Several senders would deliver each event several times (still at
        # least once, but noisy for receivers): one per server.
        held = open(settings.data_dir / SENDER_LOCK, "a")  # noqa: SIM115
        container.webhooks.exclusive = functools.partial(_hold, held)
    return web_app(container)  # type: ignore[no-any-return]


def _hold(lock: Any, stop: threading.Event) -> bool:
    """Waits for the follower lock; False when stopped meanwhile."""
    while not stop.is_set():
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            stop.wait(0.5)
    return False


def options(settings: Settings, workers: int) -> dict[str, Any]:
    from infra.server import uvicorn_options

    return {
        **uvicorn_options(settings),
        "http": f"{__name__}:SettingsGuardedProtocol",
        "workers": workers,
        "factory": True,
    }
