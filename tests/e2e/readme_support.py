"""Reading the README's walk-through as a shell script, and recording every
curl's status while it runs.

The walk-through is every fenced `sh` (or `bash`) block under a heading that
says "Walk-through", subsections included, until the next heading of the
same or a higher level. The script keeps each command on its README line
number, so a failure names the README line, and curl is wrapped by a shell
function that logs `<line> <status>` for every call.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SHELLS = {"sh", "bash", "shell"}
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
# A comment that starts with a status: `# 409 quota_exhausted`.
EXPECTED = re.compile(r"(?:^|\s)#\s*(\d{3})\b")
TOOLS = ("bash", "curl", "jq")

# BASH_LINENO[0] is the caller's line: the README line of the command. The
# last status line counts (a `100 Continue` may come first).
PRELUDE = r"""
curl() {
  local headers status rc
  headers=$(mktemp)
  command curl -D "$headers" "$@"; rc=$?
  status=$(awk '/^HTTP\// { s = $2 } END { print s }' "$headers")
  printf '%s %s\n' "${BASH_LINENO[0]}" "${status:-000}" >> "$README_STATUS_LOG"
  rm -f "$headers"
  return $rc
}
"""


@dataclass(frozen=True)
class Command:
    """One shell command of the walk-through: README lines first..last."""

    first: int
    last: int
    text: str

    @property
    def expected(self) -> str | None:
        found = EXPECTED.search(self.text)
        return found.group(1) if found else None


def walkthrough_lines(readme: str) -> dict[int, str]:
    """README line number (1-based) -> code line, for every walk-through block."""
    code: dict[int, str] = {}
    level = 0  # the walk-through heading's level while inside it, else 0
    fence: str | None = None
    for number, line in enumerate(readme.splitlines(), start=1):
        if fence is not None:
            if line.strip() == "```":
                fence = None
            elif level and fence in SHELLS:
                code[number] = line
            continue
        if line.startswith("```"):
            fence = line[3:].strip()
            continue
        heading = HEADING.match(line)
        if heading:
            depth, title = len(heading.group(1)), heading.group(2).lower()
            if "walk-through" in title:
                level = level or depth
            elif depth <= level:
                level = 0
    return code


def commands(code: dict[int, str]) -> list[Command]:
    """Joins continued lines; leaves out blank and comment-only lines."""
    found: list[Command] = []
    start: int | None = None
    parts: list[str] = []
    for number in sorted(code):
        line = code[number]
        if start is None and (not line.strip() or line.lstrip().startswith("#")):
            continue
        start = number if start is None else start
        parts.append(line)
        if not line.rstrip().endswith("\\"):
            found.append(Command(start, number, "\n".join(parts)))
            start, parts = None, []
    return found


def script(code: dict[int, str], prelude: Path, replace: dict[str, str]) -> str:
    """The blocks on their README lines; line 1 (a heading) sources the prelude."""
    assert 1 not in code, "the README cannot start with a walk-through block"
    lines = [""] * max(code)
    lines[0] = f"source {prelude}"
    for number, line in code.items():
        for old, new in replace.items():
            line = line.replace(old, new)
        lines[number - 1] = line
    return "\n".join(lines) + "\n"


def ensure_tools() -> None:
    """bash, curl and jq, installed with apt when missing (like PostgreSQL in
    infra/local/postgres.py): the suite installs what it needs by itself."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"the README test needs {', '.join(missing)}: install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", *missing]):
        done = subprocess.run(
            cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"`{' '.join(cmd)}` failed:\n{done.stderr[-2000:]}")
