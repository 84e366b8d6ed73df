"""What `seatledger serve` takes from the settings: the operator key rule and
uvicorn's limits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infra.http_guard import GuardedHttpProtocol, Limits
from infra.server import operator_key_problem, uvicorn_options
from infra.settings import Settings


@pytest.mark.parametrize(
    ("key", "refused"),
    [(None, False), ("k" * 31, True), ("k" * 32, False), ("k" * 201, True)],
)
def test_the_operator_key_needs_32_to_200_characters(
    key: str | None, refused: bool
) -> None:
    assert bool(operator_key_problem(Settings(bootstrap_key=key))) == refused


def test_the_configured_key_is_trimmed() -> None:
    padded = f" \t{'k' * 32}\n"
    assert Settings(bootstrap_key=padded).bootstrap_key == "k" * 32
    assert Settings(bootstrap_key=" \n").bootstrap_key is None


def test_defaults_bound_every_connection() -> None:
    options = uvicorn_options(Settings())
    assert options["http"].limits == Limits(500, 16 * 1024, 10, 30)
    assert options["timeout_keep_alive"] == 5
    assert options["server_header"] is False


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in [
        ("MAX_CONNECTIONS", "7"),
        ("MAX_HEADER_BYTES", "4096"),
        ("HEADER_TIMEOUT_S", "3"),
        ("BODY_TIMEOUT_S", "4"),
        ("KEEP_ALIVE_TIMEOUT_S", "2"),
    ]:
        monkeypatch.setenv(f"SEATLEDGER_{name}", value)
    options = uvicorn_options(Settings())
    assert issubclass(options["http"], GuardedHttpProtocol)
    assert options["http"].limits == Limits(7, 4096, 3, 4)
    assert options["timeout_keep_alive"] == 2


@pytest.mark.parametrize("delays", ["5,300", " 1.5 , 60 ", "10"])
def test_retry_delays_are_seconds_in_ascii_digits(delays: str) -> None:
    assert Settings(webhooks_retry_s=delays).webhook_retry_delays


@pytest.mark.parametrize(
    "delays",
    [
        "5,\u0663\u0660\u0660",
        "\uff15",
        "5,,6",
        "5,-1",
        "",
        "1e3",
    ],  # Arabic-Indic, full-width
)
def test_retry_delays_in_other_digits_are_refused(delays: str) -> None:
    """float() would read "\u0663\u0660\u0660" as 300: the pattern refuses it first."""
    with pytest.raises(ValidationError):
        Settings(webhooks_retry_s=delays)
