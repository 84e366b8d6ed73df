"""A PostgreSQL for a benchmark: a throwaway cluster, or a given server with
fresh schemas dropped afterwards; and the server's settings that matter."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import psycopg
from psycopg import sql

from infra.local.postgres import throwaway_cluster

FACTS = ("server_version", "fsync", "synchronous_commit", "shared_buffers")


@contextlib.contextmanager
def database(given: str | None) -> Iterator[tuple[str, str]]:
    if given:
        yield given, "given by --database-url"
        return
    started = time.monotonic()
    with throwaway_cluster() as cluster:
        took = time.monotonic() - started
        yield (
            cluster.url,
            f"throwaway cluster on port {cluster.port}, up in {took:.1f} s",
        )


def drop_schemas(url: str, schemas: list[str]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(schema)
                )
            )


def server_facts(url: str) -> dict[str, str]:
    with psycopg.connect(url, autocommit=True) as conn:
        facts = {}
        for name in FACTS:
            row = conn.execute(
                sql.SQL("SHOW {}").format(sql.Identifier(name))
            ).fetchone()
            facts[name] = str(row[0]) if row else "?"
    return facts
