"""`seatledger serve` under uvicorn, announced by one startup line.

uvicorn runs at warning level (its per-request lines would drown ours), so it
says nothing when it listens; this line says where, in which mode, and where
the operator key comes from, once the socket is bound.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import structlog
import uvicorn
from fastapi import FastAPI

from infra.bootstrap import Container
from infra.server import uvicorn_options
from infra.settings import Settings

log = structlog.get_logger("seatledger.serve")

CONSOLE_PATH = "/console"
STARTUP_FAILED = 3  # uvicorn.run's exit status when the server did not start


def startup_facts(c: Container, app: FastAPI, host: str, port: int) -> dict[str, str]:
    """What the startup line says; the console's URL once the app has one."""
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    facts = {
        "url": url,
        "mode": "embedded" if c.embedded_projector else "kafka",
        "store": store_of(c.settings),
        "operator_key": key_source(c.settings),
    }
    if any(getattr(route, "path", None) == CONSOLE_PATH for route in app.routes):
        facts["console"] = url + CONSOLE_PATH
    return facts


def store_of(settings: Settings) -> str:
    """The store without its credentials: they never reach a log."""
    if settings.database_url is None:
        return f"sqlite:{settings.sqlite_path}"
    parts = urlsplit(settings.database_url)
    where = f"{parts.hostname}:{parts.port or 5432}{parts.path}"
    return f"postgresql://{where} (schema {settings.postgres_schema})"


def key_source(settings: Settings) -> str:
    if settings.bootstrap_key:
        return "SEATLEDGER_BOOTSTRAP_KEY"
    return str(settings.bootstrap_key_file)


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, facts: dict[str, str]) -> None:
        super().__init__(config)
        self._facts = facts

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:  # bound and listening; a failed bind was logged above
            log.info("listening", **self._facts)


def serve(c: Container, app: FastAPI, host: str, port: int) -> None:
    """uvicorn with the limits, timeouts and headers of infra/server.py."""
    config = uvicorn.Config(app, host=host, port=port, **uvicorn_options(c.settings))
    server = _AnnouncingServer(config, startup_facts(c, app, host, port))
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILED)


def serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """`serve --workers N`: uvicorn's supervisor and N worker processes, each
    with its own container (infra/workers.py). The operator key is settled
    here first, so that every worker reads the same one."""
    from infra import workers as worker_app
    from infra.bootstrap import operator_key
    from infra.private_files import secure_data_dir

    secure_data_dir(settings)
    key, generated = operator_key(settings)
    if generated:
        print(f"Generated operator key (kept in {settings.bootstrap_key_file}):\n{key}")
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    log.info(
        "listening",
        url=url,
        workers=workers,
        mode="kafka" if settings.kafka_bootstrap else "embedded",
        store=store_of(settings),
        operator_key=key_source(settings),
    )
    uvicorn.run(
        "infra.workers:app",
        host=host,
        port=port,
        **worker_app.options(settings, workers),
    )
