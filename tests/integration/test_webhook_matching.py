"""The webhook matcher on SQLite and PostgreSQL: which endpoint gets which
event, exactly once, as of the event; and the endpoint projection."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from domain.commands import (
    BookLicense,
    CreateTenant,
    CreateWebhookEndpoint,
    DeleteWebhookEndpoint,
    RotateWebhookSecret,
    UpdateTenant,
    UpdateWebhookEndpoint,
)
from infra.bootstrap import Container
from projections import webhooks
from projections.webhook_sender import deliveries_of
from projections.webhooks import endpoints_of
from tests.support import run

URL = "https://93.184.216.34/hook"


def tenant(c: Container, parent: UUID | None = None, name: str = "T") -> UUID:
    made = run(c, CreateTenant(name=name, parent_id=parent)).view
    tid: UUID = made.tenant_id  # type: ignore[union-attr]
    run(c, BookLicense(tenant_id=tid, feature="multi_tenant"))
    return tid


def hook(c: Container, **body: Any) -> UUID:
    made = run(c, CreateWebhookEndpoint(url=URL, event_types=["TenantRenamed"], **body))
    endpoint_id: UUID = made.view.endpoint_id  # type: ignore[union-attr]
    return endpoint_id


def matched(c: Container, endpoint_id: UUID) -> list[dict[str, Any]]:
    c.webhooks.matcher.step(time.time())  # one batch holds everything here
    with c.db.read() as tx:
        return deliveries_of(tx, str(endpoint_id), None, None, 100)


def test_endpoints_match_their_tenant_their_subtree_and_every_event(
    container: Container,
) -> None:
    c = container
    parent = tenant(c, name="P")
    child = tenant(c, parent, name="C")
    own = hook(c, tenant_id=child)
    tree = hook(c, tenant_id=parent, include_subtenants=True)
    alone = hook(c, tenant_id=parent)
    everything = hook(c)
    run(c, UpdateTenant(tenant_id=child, name="C2"))
    for endpoint_id, count in ((own, 1), (tree, 1), (alone, 0), (everything, 1)):
        found = matched(c, endpoint_id)
        assert [d["type"] for d in found] == ["TenantRenamed"] * count
        assert all(d["status"] == "pending" for d in found)


def test_an_endpoint_of_its_tenant_alone_is_not_told_of_sub_tenants(
    container: Container,
) -> None:
    """Its deliveries are readable by the tenant's own-tenant keys, which
    are shown nothing of its sub-tenants: the parent's events naming a
    child go to the subtree's endpoints only."""
    c = container
    parent = tenant(c, name="P")
    types = ["SubTenantAttached", "TenantRenamed"]
    alone = run(c, CreateWebhookEndpoint(url=URL, tenant_id=parent, event_types=types))
    tree = run(
        c,
        CreateWebhookEndpoint(
            url=URL, tenant_id=parent, include_subtenants=True, event_types=types
        ),
    )
    tenant(c, parent, name="C")  # SubTenantAttached on P names C
    run(c, UpdateTenant(tenant_id=parent, name="P2"))
    ids = [e.view.endpoint_id for e in (alone, tree)]  # type: ignore[union-attr]
    alone_types = [d["type"] for d in matched(c, ids[0])]
    tree_types = sorted(d["type"] for d in matched(c, ids[1]))
    assert alone_types == ["TenantRenamed"]
    assert tree_types == ["SubTenantAttached", "TenantRenamed"]


def test_an_event_is_matched_once_even_when_its_batch_is_read_again(
    container: Container,
) -> None:
    c = container
    tid = tenant(c)
    endpoint_id = hook(c, tenant_id=tid)
    run(c, UpdateTenant(tenant_id=tid, name="T2"))
    assert len(matched(c, endpoint_id)) == 1
    with c.db.transaction() as tx:  # as after a crash before the position moved
        tx.execute("UPDATE webhook_sender SET position = 0")
    c.webhooks.matcher._reached = None
    assert len(matched(c, endpoint_id)) == 1


def test_events_before_an_endpoint_or_after_its_deletion_are_not_matched(
    container: Container,
) -> None:
    c = container
    tid = tenant(c)
    run(c, UpdateTenant(tenant_id=tid, name="before"))
    endpoint_id = hook(c, tenant_id=tid)
    run(c, RotateWebhookSecret(endpoint_id=endpoint_id))
    run(c, UpdateWebhookEndpoint(endpoint_id=endpoint_id, status="disabled"))
    run(c, UpdateTenant(tenant_id=tid, name="while disabled"))
    run(c, UpdateWebhookEndpoint(endpoint_id=endpoint_id, status="enabled"))
    run(c, UpdateTenant(tenant_id=tid, name="enabled again"))
    run(c, DeleteWebhookEndpoint(endpoint_id=endpoint_id))
    run(c, UpdateTenant(tenant_id=tid, name="after"))
    found = matched(c, endpoint_id)
    assert len(found) == 1 and found[0]["status"] == "failed"  # deleted: given up
    with c.db.read() as tx:
        secrets = tx.execute("SELECT COUNT(*) FROM webhook_targets")[0][0]
    assert secrets == 0


def test_the_endpoint_projection_lists_without_secrets_and_applies_once(
    container: Container,
) -> None:
    c = container
    tid = tenant(c)
    endpoint_id = hook(c, tenant_id=tid, description="ops")
    c.follower.catch_up()
    with c.db.transaction() as tx:  # every endpoint event applied once more
        for e in c.log.after(0, 1000):
            webhooks.apply(tx, e)
    with c.db.read() as tx:
        rows = endpoints_of(tx, {str(tid)}, None, 10)
    assert [r["endpoint_id"] for r in rows] == [str(endpoint_id)]
    assert rows[0]["event_types"] == ["TenantRenamed"] and "secret" not in rows[0]
