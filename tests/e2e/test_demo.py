"""`seatledger demo` as `make run` starts it, in a fresh folder: what it
prints is what the README promises (each story's tenant and id and what it
showed, story 5's warning, pause and raise, story 3's orders, the console's
address and where the key is), and a second run the same month records
nothing."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

from tests.e2e.test_readme import plain_env

STORY_TENANTS = (
    "Nordwind Partner",
    "Nordwind Süd (CUSTOM)",
    "Kunde Alpha",
    "Studio Workspace",
    "Beta Logistik",
)


def demo(workdir: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli", "demo"],
        cwd=workdir,
        env=plain_env() | {"COLUMNS": "220"},  # rich wraps at the width
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def events(workdir: Path) -> int:
    store = workdir / ".seatledger" / "seatledger.sqlite"
    with sqlite3.connect(store) as con:
        return int(con.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])


def test_the_demo_prints_what_each_story_shows_and_a_rerun_records_nothing(
    tmp_path: Path,
) -> None:
    out = demo(tmp_path)
    for number, name in enumerate(STORY_TENANTS, start=1):
        row = re.search(rf"│ {number}\s+│ {re.escape(name)}\s+│ (\S+)", out)
        assert row, f"story {number} ({name}) has no row with its id:\n{out}"
        uuid.UUID(row.group(1))  # a real tenant id
    for shown in (
        # Story 5: the warning, the pause at 100 %, the partner's raise.
        "4 of 5 seats taken (80 %): warning",
        "5 of 5 seats taken (100 %): full",
        "employee-6 refused (quota_exhausted): adding is paused",
        "the partner raises the contract to 8",
        # Story 3: the orders and their effect; the refusals the stories expect.
        "members pool now: limit 6 (3 contracted + 3 approved)",
        "exceeds the partner's contract",
        "s5-assign-6 (quota_exhausted)",
        # Where to look next.
        "Open the console: http://127.0.0.1:8000/console",
        "Sign in with the operator key: cat .seatledger/operator.key",
    ):
        assert shown in out, f"not printed: {shown!r}\n{out}"
    orders = [line for line in out.splitlines() if line.startswith("│ members │ +")]
    assert [line.split("│")[3].strip() for line in orders] == ["fulfilled", "rejected"]

    recorded = events(tmp_path)
    again = demo(tmp_path)
    assert events(tmp_path) == recorded, "a second run in the same month recorded"
    assert "Open the console" in again
