"""The README's walk-through, pasted as a user would: after `seatledger demo`
and `seatledger serve` without a bootstrap key (what `make run` does), every
`sh` block under its "Walk-through" heading runs in one bash session in the
server's folder, and every curl must answer 2xx unless its command's comment
starts with the status it expects (`# 409 quota_exhausted`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.readme_support import (
    PRELUDE,
    Command,
    commands,
    ensure_tools,
    script,
    walkthrough_lines,
)

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCUMENTED_API = "http://127.0.0.1:8000"


def plain_env() -> dict[str, str]:
    """The environment of a fresh shell: no SEATLEDGER_* set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEATLEDGER_")}
    return env | {"SEATLEDGER_LOG_JSON": "true"}


@pytest.fixture(scope="module")
def made_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`make run` in a fresh folder: the demo, then serve, on SQLite."""
    ensure_tools()
    workdir = tmp_path_factory.mktemp("readme")
    demo = [sys.executable, "-m", "infra.cli", "demo"]
    done = subprocess.run(demo, cwd=workdir, env=plain_env(), capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    server = start_server({"SEATLEDGER_LOG_JSON": "true"}, workdir, key=None)
    try:
        yield server
    finally:
        stop_server(server)


def run_walkthrough(server: Server, workdir: Path) -> tuple[list[str], str]:
    """Runs the walk-through; returns the status log's lines and stderr."""
    prelude, log = workdir / "prelude.sh", workdir / "statuses.log"
    prelude.write_text(PRELUDE)
    log.write_text("")
    code = script(walkthrough_lines(README), prelude, {DOCUMENTED_API: server.base_url})
    env = plain_env() | {"README_STATUS_LOG": str(log)}
    done = subprocess.run(
        ["bash", "-s"],
        input=code,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return log.read_text().splitlines(), done.stderr


def command_at(found: list[Command], line: int) -> Command:
    for command in found:
        if command.first <= line <= command.last:
            return command
    raise AssertionError(f"curl called from README line {line}, outside a command")


def test_the_walkthrough_runs_as_written(made_run: Server) -> None:
    workdir = made_run.log.parent
    found = [c for c in commands(walkthrough_lines(README)) if "curl" in c.text]
    assert len(found) >= 20, "the walk-through was not found under its heading"
    statuses, stderr = run_walkthrough(made_run, workdir)
    assert stderr == "", f"the walk-through wrote to stderr:\n{stderr}"
    ran: set[int] = set()
    for entry in statuses:
        line, status = entry.split()
        command = command_at(found, int(line))
        ran.add(command.first)
        expected = command.expected
        ok = status == expected if expected else status.startswith("2")
        assert ok, f"README line {line} answered {status}:\n{command.text}"
    not_run = [c.text for c in found if c.first not in ran]
    assert not not_run, f"never ran: {not_run}"


def test_serve_says_where_the_operator_key_of_make_run_is(made_run: Server) -> None:
    lines = [
        json.loads(x) for x in made_run.log.read_text().splitlines() if x[:1] == "{"
    ]
    (startup,) = [x for x in lines if x.get("event") == "listening"]
    assert startup["operator_key"] == ".seatledger/operator.key"
    assert startup["url"] == made_run.base_url and startup["mode"] == "embedded"
