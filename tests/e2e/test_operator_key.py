"""The operator key: at least 32 characters or `serve` does not start; the
configured key is trimmed like the presented one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import KEY, server_env, start_server, stop_server


def test_serve_refuses_a_short_operator_key_and_says_why(tmp_path: Path) -> None:
    env = server_env("sqlite", tmp_path, None)
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli", "serve", "--port", "1"],
        env={**os.environ, **env, "SEATLEDGER_BOOTSTRAP_KEY": "k" * 31},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    said = " ".join((done.stdout + done.stderr).split())
    assert "SEATLEDGER_BOOTSTRAP_KEY must have at least 32 characters" in said
    assert not Path(env["SEATLEDGER_DATA_DIR"]).exists()  # refused before anything


def test_a_configured_key_with_surrounding_whitespace_still_works(
    tmp_path: Path,
) -> None:
    env = server_env("sqlite", tmp_path, None)
    server = start_server({**env, "SEATLEDGER_BOOTSTRAP_KEY": f"  {KEY}\n"}, tmp_path)
    try:
        with server.client(KEY) as op:
            assert op.get("/v1/events").status_code == 200
    finally:
        stop_server(server)
