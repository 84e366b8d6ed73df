"""The data folder holds the SQLite database (emails, key digests) and the
generated operator key: only the service's own user may read it.

Modes are set on every start, not only on creation, so a folder or database
made before (or by hand, or restored from a backup) with wider modes is
closed too. SQLite gives its -wal and -shm files the mode of the database
file, so creating that file 0600 before SQLite opens it covers them.
"""

from __future__ import annotations

import os
from pathlib import Path

from infra.settings import Settings

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm")


def private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)


def private_file(path: Path) -> None:
    """`path` readable and writable by its owner only; created empty (an
    empty file is an empty SQLite database) when missing."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    os.chmod(path, FILE_MODE)


def secure_data_dir(settings: Settings) -> None:
    """Creates the data folder 0700, the SQLite database 0600, and narrows
    the files already there (only the names seatledger itself writes: the
    folder may be one the operator shares with other files)."""
    private_dir(settings.data_dir)
    if not settings.uses_postgres:
        private_file(settings.sqlite_path)
    keys = [settings.bootstrap_key_file, settings.webhook_key_file]
    for path in [*keys, *_database_files(settings)]:
        if path.is_file():
            os.chmod(path, FILE_MODE)


def _database_files(settings: Settings) -> list[Path]:
    live = settings.sqlite_path
    shadow = live.with_name(f"{live.stem}.replay{live.suffix}")  # a replay's
    return [Path(f"{db}{end}") for db in (live, shadow) for end in SQLITE_SUFFIXES]
