"""Operations: liveness, readiness (store reachable, projection lag), metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import container
from infra.bootstrap import Container
from projections.registry import PROJECTIONS

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(c: Container = Depends(container)) -> JSONResponse | dict[str, Any]:
    try:
        head = c.ledger.head()
        applied = c.follower.position()
    except Exception as exc:
        # Not ready is an answer here, not a fault: report it as 503.
        return JSONResponse(
            {"status": "unavailable", "detail": str(exc)[:200]},
            status_code=503,
            headers={"Retry-After": "2"},
        )
    projections = [
        {"name": p.name, "position": applied, "lag": max(head - applied, 0)}
        for p in PROJECTIONS
    ]
    return {"status": "ready", "store_position": head, "projections": projections}


@router.get("/metrics")
def metrics(c: Container = Depends(container)) -> Response:
    m = c.metrics
    try:
        head = c.ledger.head()
        applied = c.follower.position()
        m.store_position.set(head)
        for p in PROJECTIONS:
            m.projection_position.labels(p.name).set(applied)
            m.projection_lag.labels(p.name).set(max(head - applied, 0))
    except Exception:
        pass  # metrics still serve request counters while the store is down
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
