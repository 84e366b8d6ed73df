"""The tenant list's query: scope, filters, order and paging in SQL, and the
name search folded in Python over as many statements as it needs."""

from __future__ import annotations

from typing import Any

from projections.tenants import SCAN, Listing, Readable, listed
from tests.unit.sqlite_projections import Log, SqliteTx, feed


def page_through(
    tx: SqliteTx, readable: Readable, want: Listing, limit: int
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        page = listed(tx, readable, want, after, limit + 1)
        rows += page[:limit]
        if len(page) <= limit:
            return rows
        after = (page[limit - 1]["sort_key"], page[limit - 1]["tenant_id"])


def test_a_search_scans_past_many_rows_that_do_not_match(
    tx: SqliteTx, log: Log
) -> None:
    names = [
        f"Tenant {i:04d}" + (" Süd" if i % 7 == 0 else "") for i in range(3 * SCAN)
    ]
    feed(tx, *(log.tenant(name) for name in names))
    found = page_through(tx, Readable(), Listing(q="SÜD"), limit=40)
    assert [r["name"] for r in found] == sorted(n for n in names if "Süd" in n)


def test_the_order_is_by_name_ignoring_case_then_id(tx: SqliteTx, log: Log) -> None:
    feed(tx, *(log.tenant(n) for n in ("beta", "Alpha", "alpha", "Gamma")))
    found = page_through(tx, Readable(), Listing(), limit=1)
    assert [r["name"].lower() for r in found] == ["alpha", "alpha", "beta", "gamma"]
    twins = [r["tenant_id"] for r in found[:2]]
    assert twins == sorted(twins)


def test_scopes_and_filters(tx: SqliteTx, log: Log) -> None:
    root = log.tenant("Root")
    child = log.tenant("Child", root.aggregate_id)
    grandchild = log.tenant("Grandchild", child.aggregate_id)
    other = log.tenant("Other")
    feed(tx, root, child, grandchild, other)

    def names(readable: Readable, **want: Any) -> list[str]:
        return [r["name"] for r in listed(tx, readable, Listing(**want), None, 100)]

    assert names(Readable()) == ["Child", "Grandchild", "Other", "Root"]
    assert names(Readable(child.aggregate_id)) == ["Child", "Grandchild"]
    assert names(Readable(child.aggregate_id, subtree=False)) == ["Child"]
    assert names(Readable(), parent_id=root.aggregate_id) == ["Child"]
    own = Readable(root.aggregate_id, subtree=False)  # no sub-tenants in sight
    assert names(own, parent_id=root.aggregate_id) == []
    assert names(Readable(), status="provisioning", q="o") == ["Other", "Root"]
    assert names(Readable(), status="active") == []
