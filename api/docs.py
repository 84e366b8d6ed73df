"""`/docs` (Swagger UI) and `/redoc`, served with their assets from this
process: FastAPI's own pages load them from a CDN and stay blank offline.
The assets are those shipped by `fastapi-offline` (a package of exactly
these files); the pages are FastAPI's, pointed at them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs-assets"
BEARER = "bearer"
# Both pages start from an inline script; nothing may come from elsewhere.
# ReDoc's footer shows a logo from its vendor's CDN: refused here, so the
# browser never asks for it (it shows the link's text instead).
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)


def install(app: FastAPI) -> None:
    """Needs an app built with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _confined(
            get_swagger_ui_html(
                openapi_url="/openapi.json",
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
                oauth2_redirect_url=None,
                # No badge fetched from the public validator; the key entered in
                # "Authorize" stays in the page's memory, never in localStorage.
                swagger_ui_parameters={
                    "validatorUrl": None,
                    "persistAuthorization": False,
                },
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _confined(
            get_redoc_html(
                openapi_url="/openapi.json",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
        )


def _confined(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CSP
    return page


def declare_bearer(schema: dict[str, Any]) -> None:
    """Every /v1 operation needs `Authorization: Bearer <key>`: declared, so
    the "Authorize" button of /docs sends it on "Try it out"."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "description": "an API key: the operator key, or a secret from "
        "POST /v1/api-keys",
    }
    for path, operations in schema.get("paths", {}).items():
        if path.startswith("/v1"):
            for operation in operations.values():
                operation["security"] = [{BEARER: []}]
