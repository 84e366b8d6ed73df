"""compose.yaml, checked without a Docker engine: it parses, names only images,
commands and variables that exist, keeps no default secret, publishes only
the API's port, keeps its data in named volumes and checks every service's
health."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.cli import app as cli
from infra.kafka.broker import KAFKA_VERSION
from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "compose.yaml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
OURS = {"api", "relay", "projector", "commands", "webhooks"}
INTERPOLATION = re.compile(r"\$\{(\w+)([^}]*)\}")


def cli_commands() -> set[str]:
    return {
        c.name or (c.callback.__name__ if c.callback else "")
        for c in cli.registered_commands
    }


def test_it_runs_the_five_processes_postgres_and_kafka() -> None:
    assert set(SERVICES) == OURS | {"postgres", "kafka"}


def test_it_names_only_images_that_exist() -> None:
    assert SERVICES["postgres"]["image"] == "postgres:15"
    # The same Kafka as the test suite, not whatever the tag points to.
    assert SERVICES["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"
    for name in OURS:
        assert SERVICES[name]["build"] == "." and (ROOT / "Dockerfile").is_file()
        assert SERVICES[name]["image"] == "seatledger:local"


@pytest.mark.parametrize("name", sorted(OURS))
def test_each_process_runs_a_real_command_with_real_settings(name: str) -> None:
    service = SERVICES[name]
    assert service["command"][0] in cli_commands()
    fields = {f"SEATLEDGER_{f.upper()}" for f in Settings.model_fields}
    assert set(service["environment"]) <= fields, "unknown SEATLEDGER_ variables"


def test_secrets_have_no_default_and_every_variable_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    found = INTERPOLATION.findall(COMPOSE_TEXT)
    assert {v for v, _ in found} == {
        "SEATLEDGER_BOOTSTRAP_KEY",
        "SEATLEDGER_DB_PASSWORD",
        # The API and the sender seal and unseal webhook secrets with one key.
        "SEATLEDGER_WEBHOOK_SECRET_KEY",
    }
    for variable, rest in found:
        # `${X:?message}`: compose refuses to start while X is unset or empty.
        assert rest.startswith(":?"), f"${{{variable}{rest}}} has a default"
        assert variable in readme, f"{variable} is not in the README"
    assert "change-me" not in COMPOSE_TEXT


def test_only_the_api_publishes_a_port() -> None:
    published = {n for n, s in SERVICES.items() if s.get("ports") or s.get("expose")}
    assert published == {"api"}
    assert SERVICES["api"]["ports"] == ["8000:8000"]
    assert SERVICES["api"]["command"][-2:] == ["--port", "8000"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_checks_its_health(name: str) -> None:
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[0] == "CMD" and len(test) > 1
    if name in OURS:
        assert test[1:4] == ["python", "-m", "infra.probe"]
    if name == "api":
        assert test[4] == "http://127.0.0.1:8000/readyz"


def test_postgres_and_kafka_keep_their_data_in_named_volumes() -> None:
    declared = set(COMPOSE["volumes"])
    kafka_logs = SERVICES["kafka"]["environment"]["KAFKA_LOG_DIRS"]
    for name, target in (
        ("postgres", "/var/lib/postgresql/data"),
        ("kafka", kafka_logs),
    ):
        (mount,) = SERVICES[name]["volumes"]
        volume, path = mount.split(":")
        assert volume in declared and path == target


def test_the_database_url_reaches_the_postgres_service() -> None:
    url = SERVICES["api"]["environment"]["SEATLEDGER_DATABASE_URL"]
    pg = SERVICES["postgres"]["environment"]
    user, db = pg["POSTGRES_USER"], pg["POSTGRES_DB"]
    assert url.startswith(f"postgresql://{user}:") and url.endswith(
        f"@postgres:5432/{db}"
    )
    assert "${SEATLEDGER_DB_PASSWORD" in pg["POSTGRES_PASSWORD"]
