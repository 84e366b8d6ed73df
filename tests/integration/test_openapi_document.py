"""docs/openapi.json is the HTTP reference users read in the repository: it
must be the document the app serves, or it lies."""

from __future__ import annotations

import json

from api.openapi_dump import COMMITTED, REGENERATE, document, render


def test_the_committed_openapi_document_is_the_one_the_app_serves() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == document(), (
        "docs/openapi.json differs from the app's OpenAPI document; regenerate "
        f"it with `{REGENERATE}` (python -m api.openapi_dump docs/openapi.json) "
        "and commit it"
    )


def test_the_document_renders_the_same_twice() -> None:
    # A stable rendering keeps regenerated documents free of noise in diffs.
    assert render(document()) == render(document())
