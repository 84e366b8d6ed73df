"""Dependencies point inwards (README, "Layout"): api and consumers call
application, which uses domain; infra implements the application's ports.
Checked on the source, so a backwards import fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> the top-level packages of ours it must never import
FORBIDDEN = {
    "domain": {"application", "projections", "consumers", "api", "infra"},
    "projections": {"application", "consumers", "api", "infra"},
    "application": {"consumers", "api", "infra"},
    "consumers": {"api"},
    "infra": {"api"},
}


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_outside_its_layer(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert not {k: v for k, v in wrong.items() if v}
