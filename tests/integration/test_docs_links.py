"""The README and docs/ point only at files the repository has: a clone is
all a reader gets."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A file named in backticks: `infra/settings.py`, `compose.yaml`, `design.md`.
FILE = re.compile(r"`([\w.][\w./-]*\.(?:md|py|json|ya?ml|toml|properties|xml))`")
EXTERNAL = ("http://", "https://", "mailto:")


@functools.cache
def repository_files() -> set[str]:
    ignored = {".git", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
    ignored |= {".hypothesis", ".seatledger", "__pycache__", "node_modules"}
    return {
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*")
        if p.is_file() and not ignored & set(p.relative_to(ROOT).parts)
    }


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_link_resolves_inside_the_repository(document: Path) -> None:
    for target in LINK.findall(document.read_text()):
        if target.startswith(EXTERNAL) or target.startswith("#"):
            continue
        path = (document.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT), f"{target} leaves the repository"
        assert path.exists(), f"{document.name} links to {target}, which is missing"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_file_named_exists_in_the_repository(document: Path) -> None:
    files = repository_files()
    names = {f.rsplit("/", 1)[-1] for f in files}
    for named in FILE.findall(document.read_text()):
        if "/" in named:  # a path from the repository's root
            assert named in files, f"{document.name} names {named}, which is missing"
        else:  # a bare file name: somewhere in the repository
            assert named in names, f"{document.name} names {named}, which is missing"


# The team's own documents live outside the repository; naming them in code,
# comments or the OpenAPI document sends a reader where a clone cannot follow.
TEAM_DOCUMENTS = re.compile(r"\b(?:API|DESIGN|STYLE|INFRA)\.md\b|\.\./shared/")


def test_nothing_points_at_documents_a_clone_does_not_have() -> None:
    found = []
    for name in sorted(repository_files()):
        if name == "tests/integration/test_docs_links.py":
            continue  # this file names them to look for them
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".js", ".json", ".toml", ".yaml", ".html"}:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if TEAM_DOCUMENTS.search(line):
                found.append(f"{name}:{number}: {line.strip()[:80]}")
    assert found == []
