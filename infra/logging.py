"""structlog, configured once: JSON in production, pretty on a terminal.

Request-scoped fields (correlation_id, tenant_id, position) travel in
contextvars, so every line logged while serving a request carries them.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure(level: str = "INFO", json: bool | None = None) -> None:
    as_json = not sys.stderr.isatty() if json is None else json
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level.upper())
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    # kafka-python logs every failed reconnect (a line per retry, through the
    # standard library's last-resort handler); the processes report each
    # dependency's state once per change instead (infra/waiting.py).
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
