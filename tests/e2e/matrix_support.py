"""Helpers for the isolation matrix and the schema fuzzing: the application's
own route table and OpenAPI document (built in-process, without a server),
and one `seatledger serve` per test module."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import settings_for
from tests.e2e.conftest import Server, running_server
from tests.e2e.matrix_contract import CHILDREN, NAMING_FIELDS

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Route = tuple[str, str]  # (method, path template)


def _walk(routes: Iterable[Any]) -> Iterator[Any]:
    """Leaf routes of a router, whether FastAPI flattens included routers into
    APIRoutes (older releases) or keeps them as included branches (newer)."""
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from _walk(route.effective_candidates())
        elif hasattr(route, "routes") and not hasattr(route, "methods"):
            yield from _walk(route.routes)
        else:
            yield route


@cache
def _app_facts() -> tuple[frozenset[Route], dict[str, Any]]:
    from api.app import create_app
    from infra.bootstrap import bootstrap

    with tempfile.TemporaryDirectory(prefix="seatledger-routes-") as tmp:
        settings = settings_for("sqlite", Path(tmp), None)
        container = bootstrap(settings, configure_logging=False)
        try:
            app = create_app(container)
            routes = frozenset(
                (method, route.path)
                for route in _walk(app.routes)
                for method in (getattr(route, "methods", None) or ())
                if getattr(route, "path", "").startswith("/v1") and method != "HEAD"
            )
            spec = app.openapi()
        finally:
            container.close()
    return routes, spec


def app_routes() -> frozenset[Route]:
    """Every /v1 (method, path template) of the application's route table."""
    return _app_facts()[0]


def app_openapi() -> dict[str, Any]:
    """The OpenAPI document the application serves at /openapi.json."""
    return _app_facts()[1]


def openapi_routes(spec: dict[str, Any]) -> frozenset[Route]:
    methods = {"get", "put", "post", "delete", "patch"}
    return frozenset(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        if path.startswith("/v1")
        for method in item
        if method in methods
    )


@contextmanager
def module_server(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[Server]:
    """A real `seatledger serve` on SQLite for a whole test module."""
    with running_server("sqlite", tmp_path_factory.mktemp(name), None) as server:
        yield server


def error_code(r: httpx.Response) -> str | None:
    """The problem `code` of a response: top-level for REST calls, under
    `error` for a `POST /v1/commands` envelope."""
    try:
        body = r.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("error"), dict):
        return body["error"].get("code")
    code = body.get("code")
    return code if isinstance(code, str) else None


def server_fault(server: Server, correlation_id: str, wait_s: float = 3.0) -> str:
    """The exception the server logged for a 500 with this correlation id
    (the server logs JSON lines); "" when none shows up in time."""
    deadline = time.monotonic() + wait_s
    while True:
        for line in server.log.read_text(errors="replace").splitlines():
            if correlation_id not in line or "unexpected fault" not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("correlation_id") == correlation_id:
                return str(entry.get("exception", ""))
        if time.monotonic() >= deadline:
            return ""
        time.sleep(0.05)


def revealed_tenants(r: httpx.Response) -> set[str | None]:
    """Every tenant an answer names: each `tenant_id` anywhere in a JSON
    body (None for events of no tenant), or a CSV's `tenant_id` column."""
    ctype = r.headers.get("content-type", "")
    if ctype.startswith("text/csv"):
        rows = csv.DictReader(io.StringIO(r.text))
        if "tenant_id" not in (rows.fieldnames or []):
            return set()
        return {row["tenant_id"] or None for row in rows}
    if not ctype.startswith("application/json"):
        return set()
    found: set[str | None] = set()
    _collect(r.json(), found)
    return found


def _collect(value: Any, found: set[str | None]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "tenant_id" and (inner is None or isinstance(inner, str)):
                found.add(inner)
            else:
                _collect(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _collect(inner, found)


def named_tenants(r: httpx.Response) -> set[tuple[str, str]]:
    """Every tenant a JSON answer names besides its `tenant_id`s, with the
    field that names it: a tenant's `children`, an event payload's
    NAMING_FIELDS."""
    found: set[tuple[str, str]] = set()
    if r.headers.get("content-type", "").startswith("application/json"):
        _collect_named(r.json(), found)
    return found


def _collect_named(value: Any, found: set[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == CHILDREN and isinstance(inner, list):
                found |= {(key, str(child)) for child in inner}
            elif key in NAMING_FIELDS and isinstance(inner, str):
                found.add((key, inner))
            else:
                _collect_named(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _collect_named(inner, found)
