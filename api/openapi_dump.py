"""The OpenAPI document of the app, as committed in `docs/openapi.json`.

    python -m api.openapi_dump docs/openapi.json    # or: make openapi

Without a path it prints the document. The app is built on a throwaway
SQLite store: the document depends on the routes, never on the data.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from api.app import create_app
from infra.bootstrap import bootstrap
from infra.settings import Settings

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
REGENERATE = "make openapi"  # = .venv/bin/python -m api.openapi_dump docs/openapi.json


def document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder),
            database_url=None,
            kafka_bootstrap=None,
            bootstrap_key="openapi-dump-" + "x" * 32,
        )
        container = bootstrap(settings, configure_logging=False)
        try:
            return create_app(container).openapi()
        finally:
            container.close()


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, text: str) -> None:
    """Atomically: a failed run never leaves a truncated document behind."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    text = render(document())
    if not argv:
        sys.stdout.write(text)
        return 0
    write(Path(argv[0]), text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
