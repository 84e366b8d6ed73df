"""The key list's read model, fed the events an ApiKey records: names, roles
and times, never the secret's digest; exactly once."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from domain.api_key import ApiKey
from projections.api_keys import keys_of
from tests.unit.sqlite_projections import ENVELOPE_META, Log, SqliteTx, feed

DIGEST = "d1" * 32


def created(log: Log, tenant: str | None, role: str = "service", **kw: Any) -> Any:
    key_id = str(uuid4())
    payload = {
        "key_id": key_id,
        "name": kw.get("name", "portal"),
        "role": role,
        "tenant_id": tenant,
        "secret_digest": DIGEST,
        "created_by": "key:operator",
    }
    return log.event("ApiKey", key_id, "ApiKeyCreated", tenant, **payload)


def revoked(log: Log, key: Any) -> Any:
    return log.event("ApiKey", key.aggregate_id, "ApiKeyRevoked", key.tenant_id)


def test_hand_built_payloads_have_the_domain_events_keys(log: Log) -> None:
    key = ApiKey(
        key_id=uuid4(),
        name="k",
        role="service",
        tenant_id=None,
        secret_digest=DIGEST,
        created_by="key:operator",
    )
    key.revoke()
    made, gone = key.collect_events()
    assert set(vars(made)) - ENVELOPE_META == set(created(log, None).payload)
    assert set(vars(gone)) - ENVELOPE_META == set()


def test_a_key_is_listed_with_its_times_and_never_its_digest(
    tx: SqliteTx, log: Log
) -> None:
    tenant = log.tenant("Acme")
    key = created(log, tenant.aggregate_id, role="tenant_admin", name="admin")
    other = created(log, tenant.aggregate_id)
    gone = revoked(log, key)
    feed(tx, tenant, key, other, gone)

    listed = keys_of(tx, tenant.aggregate_id)
    assert listed == [
        {
            "key_id": key.aggregate_id,
            "name": "admin",
            "role": "tenant_admin",
            "tenant_id": tenant.aggregate_id,
            "created_at": key.occurred_at,
            "revoked_at": gone.occurred_at,
        },
        {
            "key_id": other.aggregate_id,
            "name": "portal",
            "role": "service",
            "tenant_id": tenant.aggregate_id,
            "created_at": other.occurred_at,
            "revoked_at": None,
        },
    ]
    assert not [line for line in tx.dump() if DIGEST in line]


def test_the_same_envelopes_twice_change_nothing(tx: SqliteTx, log: Log) -> None:
    tenant = log.tenant("Acme")
    key = created(log, tenant.aggregate_id)
    batch = (tenant, key, revoked(log, key))
    feed(tx, *batch)
    before = tx.dump()
    feed(tx, *batch)
    assert tx.dump() == before


def test_keys_of_a_tenant_its_subtree_or_all(tx: SqliteTx, log: Log) -> None:
    root = log.tenant("Root")
    child = log.tenant("Child", parent=root.aggregate_id)
    grandchild = log.tenant("Grandchild", parent=child.aggregate_id)
    other = log.tenant("Other")
    tenants = (root, child, grandchild, other)
    keys = {t.aggregate_id: created(log, t.aggregate_id) for t in tenants}
    unscoped = created(log, None, role="auditor")
    feed(tx, *tenants, *keys.values(), unscoped)

    def ids(rows: list[dict[str, Any]]) -> set[str]:
        return {r["key_id"] for r in rows}

    def key_of(*owners: Any) -> set[str]:
        return {keys[t.aggregate_id].aggregate_id for t in owners}

    assert ids(keys_of(tx, child.aggregate_id)) == key_of(child)
    assert ids(keys_of(tx, child.aggregate_id, subtree=True)) == key_of(
        child, grandchild
    )
    assert ids(keys_of(tx, root.aggregate_id, subtree=True)) == key_of(
        root, child, grandchild
    )
    everything = key_of(*tenants) | {unscoped.aggregate_id}
    assert ids(keys_of(tx, None)) == everything
    assert keys_of(tx, str(uuid4()), subtree=True) == []
