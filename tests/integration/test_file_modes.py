"""The data folder is 0700 and the database files and operator key 0600,
whether seatledger creates them or finds them with wider modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from domain.commands import CreateTenant
from infra.bootstrap import Container, bootstrap
from infra.settings import Settings
from tests.support import run

FILES = ("seatledger.sqlite", "seatledger.sqlite-wal", "seatledger.sqlite-shm")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def started(data_dir: Path) -> Container:
    """A container on SQLite with a generated operator key, one event written
    (so the WAL and its index exist while it is open)."""
    c = bootstrap(Settings(data_dir=data_dir), configure_logging=False)
    run(c, CreateTenant(name="A"))
    return c


def modes(data_dir: Path) -> dict[str, int]:
    names = [*FILES, "operator.key"]
    return {"dir": mode(data_dir)} | {n: mode(data_dir / n) for n in names}


PRIVATE = {"dir": 0o700} | {name: 0o600 for name in [*FILES, "operator.key"]}


def test_a_new_data_folder_and_its_files_are_private(tmp_path: Path) -> None:
    c = started(tmp_path / "data")
    try:
        assert modes(tmp_path / "data") == PRIVATE
    finally:
        c.close()


def test_wider_modes_found_on_start_are_narrowed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = started(data)
    try:
        os.chmod(data, 0o755)
        for name in [*FILES, "operator.key"]:
            os.chmod(data / name, 0o644)
        second = bootstrap(Settings(data_dir=data), configure_logging=False)
        second.close()
        assert modes(data) == PRIVATE
    finally:
        first.close()
