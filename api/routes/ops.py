"""Operations: liveness, readiness (store reachable, projection lag), metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import container
from infra.bootstrap import Container
from infra.waiting import observe
from projections.registry import PROJECTIONS

router = APIRouter(tags=["operations"])


def positions(c: Container) -> dict[str, Any]:
    head = c.log.head()
    applied = c.projection_position()
    report: dict[str, Any] = {
        "store_position": head,
        "mode": "embedded" if c.embedded_projector else "kafka",
        "projections": [
            {"name": p.name, "position": applied, "lag": max(head - applied, 0)}
            for p in PROJECTIONS
        ],
    }
    if not c.embedded_projector:
        relayed = c.relay_position()
        report["relay"] = {"position": relayed, "lag": max(head - relayed, 0)}
    return report


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(c: Container = Depends(container)) -> JSONResponse | dict[str, Any]:
    try:
        report = positions(c)
    except Exception as exc:
        observe(c.health, exc)
        # Not ready is an answer here, not a fault: report it as 503.
        return JSONResponse(
            {
                "status": "unavailable",
                "detail": str(exc)[:200],
                "dependencies": c.health.report(),
            },
            status_code=503,
            headers={"Retry-After": "2"},
        )
    observe(c.health)
    return {"status": "ready", **report, "dependencies": c.health.report()}


@router.get("/metrics")
def metrics(c: Container = Depends(container)) -> Response:
    m = c.metrics
    try:
        report = positions(c)
    except Exception:
        report = None  # request counters still serve while the store is down
    if report is not None:
        m.store_position.set(report["store_position"])
        for p in report["projections"]:
            m.projection_position.labels(p["name"]).set(p["position"])
            m.projection_lag.labels(p["name"]).set(p["lag"])
        if "relay" in report:
            m.relay_lag.set(report["relay"]["lag"])
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
