"""Serves the console's files at /console, and sends `/` there.

The files carry a Content-Security-Policy that allows this origin only: the
page cannot load anything from another host, nor send the key anywhere else,
even if a tenant's name or logo URL held markup."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from domain.errors import NotFound

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).parent / "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidate every time: after an upgrade the page and its modules match.
    "Cache-Control": "no-cache",
}


@cache
def shipped() -> frozenset[str]:
    """The files the console consists of; nothing else is served."""
    return frozenset(
        p.name for p in STATIC.iterdir() if p.is_file() and p.suffix in MEDIA_TYPES
    )


def _file(name: str) -> FileResponse:
    if name not in shipped():
        raise NotFound(f"no console file {name!r}")
    path = STATIC / name
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=HEADERS)


@router.api_route("/", methods=["GET", "HEAD"])
def root() -> RedirectResponse:
    return RedirectResponse("/console", status_code=307)


@router.api_route("/console", methods=["GET", "HEAD"])
def console() -> FileResponse:
    return _file("index.html")


@router.api_route("/console/{name}", methods=["GET", "HEAD"])
def console_file(name: str) -> FileResponse:
    return _file(name)
