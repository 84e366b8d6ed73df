// The tenants the key may see, as a tree (or, while searching, the
// matches with their path). Links change the address's #tenant=… only: a
// tenant id is no secret, and Back / a bookmark then work.

import { h } from "./dom.js";

const SEARCH_LIMIT = 50;

export async function searchTenants(ctx) {
  await renderNav(ctx);
}

export async function renderNav(ctx) {
  const { state } = ctx;
  const tree = document.getElementById("tree");
  if (!state.search) {
    const kids = childrenOf(state.tenants);
    const top = h("ul", {}, state.roots.map((t) => branch(state, kids, t)));
    const empty = state.roots.length ? null : h("p", {}, "This key sees no tenant yet.");
    tree.replaceChildren(empty || top);
    return;
  }
  const found = await ctx.state.api.get("/v1/tenants", {
    q: state.search,
    limit: SEARCH_LIMIT,
  });
  const items = found.tenants.map((t) => h("li", {}, link(state, t), pathOf(state, t)));
  tree.replaceChildren(
    h("p", { role: "status" }, countText(found)),
    h("ul", {}, items),
  );
}

function countText(found) {
  const n = found.tenants.length;
  if (n === 0) return "No tenant matches.";
  const more = found.next_cursor ? ` (the first ${n}; refine the search)` : "";
  return `${n} match${n === 1 ? "" : "es"}${more}`;
}

// Children by parent id, in the list's order (by name).
function childrenOf(tenants) {
  const kids = new Map();
  for (const t of tenants.values()) {
    if (!kids.has(t.parent_id)) kids.set(t.parent_id, []);
    kids.get(t.parent_id).push(t);
  }
  return kids;
}

function branch(state, kids, tenant) {
  const children = kids.get(tenant.tenant_id) || [];
  return h(
    "li",
    {},
    link(state, tenant),
    children.length ? h("ul", {}, children.map((c) => branch(state, kids, c))) : null,
  );
}

function link(state, tenant) {
  const selected = tenant.tenant_id === state.selected;
  return h(
    "a",
    {
      href: `#tenant=${tenant.tenant_id}`,
      "aria-current": selected ? "true" : null,
      "data-tenant": tenant.tenant_id,
    },
    h("span", {}, tenant.display_name),
    tenant.status === "active" ? null : h("span", { class: "chip state" }, tenant.status),
    levelChip(state.nodes.get(tenant.tenant_id)),
  );
}

// The worst level among the tenant's pools, said in words too.
function levelChip(node) {
  if (!node) return null;
  let worst = "ok";
  for (const p of node.pools) {
    const inUse = p.used + p.reserved + p.allocated;
    const utilization = p.limit === 0 ? 1 : inUse / p.limit;
    if (utilization >= 1) worst = "full";
    else if (utilization >= p.warning_threshold && worst === "ok") worst = "warning";
  }
  if (worst === "ok") return null;
  const text = worst === "full" ? "a pool is full" : "a pool is at its warning";
  return h("span", { class: `chip ${worst}`, title: text, "aria-label": text }, worst);
}

function pathOf(state, tenant) {
  const names = [];
  let parent = state.tenants.get(tenant.parent_id);
  while (parent && names.length < 10) {
    names.unshift(parent.display_name);
    parent = state.tenants.get(parent.parent_id);
  }
  return names.length ? h("span", { class: "path" }, `in ${names.join(" › ")}`) : null;
}
