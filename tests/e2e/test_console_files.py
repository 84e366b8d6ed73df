"""The console's files: served at /console without a key (the page holds no
data; the API calls it makes need one), confined by their
Content-Security-Policy to this origin, and nothing else under /console."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import Server

FILES = ("index.html", "app.js", "console.css")


def test_the_root_sends_people_to_the_console(srv: Server) -> None:
    with httpx.Client(base_url=srv.base_url) as anonymous:
        r = anonymous.get("/")
        assert (r.status_code, r.headers["location"]) == (307, "/console")
        page = anonymous.get("/console")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert '<script type="module" src="/console/app.js">' in page.text


def test_every_file_is_confined_to_this_origin(srv: Server) -> None:
    with httpx.Client(base_url=srv.base_url) as anonymous:
        for name in FILES:
            r = anonymous.get(f"/console/{name}")
            assert r.status_code == 200, name
            csp = r.headers["content-security-policy"]
            assert "default-src 'none'" in csp and "connect-src 'self'" in csp
            assert r.headers["x-content-type-options"] == "nosniff"
        js = anonymous.get("/console/app.js").headers["content-type"]
        assert js.startswith("text/javascript")  # ES modules need a JS type


def test_nothing_else_is_served_under_console(srv: Server) -> None:
    with httpx.Client(base_url=srv.base_url) as anonymous:
        for name in ("missing.js", "..%2Fconsole%2Frouter.py", "__init__.py"):
            r = anonymous.get(f"/console/{name}")
            assert r.status_code == 404, name
            assert r.headers["content-type"].startswith("application/problem+json")
