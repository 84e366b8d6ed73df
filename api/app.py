"""The FastAPI application: built from a container, nothing at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import docs, openapi, problems
from api.console import router as console_router
from api.headers import FixedHeaders
from api.middleware import RequestMiddleware
from api.routes import (
    billing,
    commands,
    contracts,
    forecast,
    history,
    invitations,
    keys,
    members,
    ops,
    orders,
    reports,
    seats,
    tenant_list,
    tenants,
    webhooks,
)
from consumers.checkpointer import Checkpointer
from infra import receipts
from infra.audit import write_checkpoint
from infra.bootstrap import Container
from infra.scheduling import contract_scheduler


def create_app(c: Container) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        checkpointer = Checkpointer(
            lambda: write_checkpoint(c.log, c.store, c.bus),
            c.settings.checkpoint_interval_s,
        )
        pruner = receipts.pruner(c.db, c.clock, c.settings.idempotency_ttl_h)
        scheduler = contract_scheduler(c)
        if c.embedded_projector:
            c.follower.start(c.health)
        if c.sends_webhooks:
            c.webhooks.start(c.health)
        checkpointer.start()
        pruner.start()
        scheduler.start()
        try:
            yield
        finally:
            scheduler.stop()
            pruner.stop()
            checkpointer.stop()
            c.follower.stop()
            c.webhooks.stop()

    app = FastAPI(
        title="seatledger",
        version="0.1.0",
        description="Event-sourced ledger of tenants, seat pools and licenses.",
        lifespan=lifespan,
        docs_url=None,  # served offline by api.docs
        redoc_url=None,
    )
    app.state.container = c
    problems.install(app)
    openapi.install(app)
    docs.install(app)
    app.include_router(console_router)
    app.include_router(ops.router)
    app.include_router(tenant_list.router)
    app.include_router(tenants.router)
    app.include_router(forecast.router)
    app.include_router(seats.router)
    app.include_router(members.router)
    app.include_router(invitations.router)
    app.include_router(orders.router)
    app.include_router(reports.router)
    app.include_router(billing.router)
    app.include_router(contracts.router)
    app.include_router(keys.router)
    app.include_router(webhooks.router)
    app.include_router(commands.router)
    app.include_router(history.router)
    app.add_middleware(RequestMiddleware, auth=c.authenticator, metrics=c.metrics)
    app.add_middleware(FixedHeaders)  # outermost: on every answer, 401s too
    return app
