"""Shared fixtures: real PostgreSQL (a throwaway cluster for the session),
SQLite in a temp folder, and the application on either.

Set SEATLEDGER_TEST_DATABASE_URL to use a PostgreSQL you already run instead
of the throwaway cluster. Nothing here skips: if PostgreSQL cannot be started,
the PostgreSQL tests fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from infra.bootstrap import Container, bootstrap
from infra.local.postgres import throwaway_cluster
from infra.settings import Settings

BACKENDS = ("sqlite", "postgres")
# At least 32 characters, as `seatledger serve` demands of an operator key.
OPERATOR_KEY = "test-operator-key-0123456789abcdef"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.path)
        if "/tests/integration/" in path:
            item.add_marker(pytest.mark.integration)
        elif "/tests/e2e/" in path:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    given = os.environ.get("SEATLEDGER_TEST_DATABASE_URL")
    if given:
        yield given
        return
    with throwaway_cluster() as cluster:
        yield cluster.url


def fresh_schema(pg_url: str) -> str:
    """A schema of its own per test: isolation without a new database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


def settings_for(backend: str, tmp_path: Path, pg_url: str | None) -> Settings:
    if backend == "sqlite":
        return Settings(data_dir=tmp_path / "data", bootstrap_key=OPERATOR_KEY)
    assert pg_url is not None
    return Settings(
        database_url=pg_url,
        postgres_schema=fresh_schema(pg_url),
        data_dir=tmp_path / "data",
        bootstrap_key=OPERATOR_KEY,
        pool_size=20,
    )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    pg = request.getfixturevalue("pg_url") if backend == "postgres" else None
    return settings_for(backend, tmp_path, pg)


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    c = bootstrap(settings, configure_logging=False)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A real Apache Kafka broker for the session (jars from Maven Central).

    Set SEATLEDGER_TEST_KAFKA_BOOTSTRAP to use a broker you already run.
    Tests isolate themselves with a topic prefix of their own.
    """
    given = os.environ.get("SEATLEDGER_TEST_KAFKA_BOOTSTRAP")
    if given:
        yield given
        return
    from infra.kafka.broker import throwaway_broker

    with throwaway_broker() as broker:
        yield broker.bootstrap
