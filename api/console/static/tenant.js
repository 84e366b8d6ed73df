// The selected tenant: what it is, its pools, their history and forecast,
// its members, invitations and license orders, and a month's billing.

import { h, replaceKeeping } from "./dom.js";
import { poolsSection } from "./pools.js";
import { historySection } from "./history.js";
import { invitationsSection, membersSection } from "./people.js";
import { ordersSection } from "./orders.js";
import { billingSection } from "./billing.js";

const RIGHTS = {
  manage_tenant: "manage members, seats and orders",
  manage_contract: "change the contract (limits)",
  approve_orders: "approve or reject license orders",
  manage_keys: "manage API keys",
  read_history: "read the event history",
};

let drawn = 0; // the latest render wins; an older one still loading is dropped

export async function renderTenant(ctx) {
  const { state } = ctx;
  const panel = document.getElementById("tenant");
  const tenant = state.tenants.get(state.selected);
  const mine = ++drawn;
  if (!tenant) {
    panel.replaceChildren(h("p", { class: "card" }, "Pick a tenant."));
    return;
  }
  const base = `/v1/tenants/${tenant.tenant_id}`;
  const [usage, report, invitations, orders] = await Promise.all([
    ctx.read(`${base}/usage`),
    ctx.read(`${base}/reports/active-users`),
    ctx.read(`${base}/invitations`, { status: "pending" }),
    ctx.read(`${base}/license-orders`),
  ]);
  const [holders, history, billing] = await Promise.all([
    holdersOf(ctx, base, usage.pools),
    historySection(ctx, tenant, usage.pools),
    billingSection(ctx, tenant),
  ]);
  if (mine !== drawn) return;
  replaceKeeping(
    panel,
    header(ctx, tenant),
    poolsSection(ctx, tenant, usage.pools, holders),
    history,
    membersSection(report),
    invitationsSection(ctx, tenant, invitations),
    ordersSection(ctx, tenant, orders, usage.pools),
    billing,
  );
}

// The holders of each pool other than `members` (whose seats follow the
// members and invitations shown below).
async function holdersOf(ctx, base, pools) {
  const named = pools.filter((p) => p.pool !== "members");
  const lists = await Promise.all(
    named.map((p) => ctx.read(`${base}/seats/${p.pool}/assignments`, { limit: 100 })),
  );
  return new Map(named.map((p, i) => [p.pool, lists[i]]));
}

function header(ctx, t) {
  const parent = ctx.state.tenants.get(t.parent_id);
  const under = !t.parent_id
    ? "a root tenant"
    : parent
      ? h("span", {}, "under ", h("a", { href: `#tenant=${parent.tenant_id}` }, parent.display_name))
      : "under a parent tenant this key does not see";
  const rights = t.actions.filter((a) => RIGHTS[a]).map((a) => RIGHTS[a]);
  return h(
    "header",
    { class: "card" },
    h("h2", { id: "tenant-title" }, t.display_name),
    h("ul", { class: "meta" },
      h("li", {}, "id ", h("code", { "data-tenant-id": t.tenant_id }, t.tenant_id)),
      h("li", {}, `${t.type} · ${t.edition} · ${t.charset} · ${t.status}`),
      h("li", {}, under),
      h("li", {}, `licenses: ${t.licenses.join(", ") || "none"}`),
      h("li", {}, `admins: ${t.admin_count}`)),
    h("p", { "data-rights": t.actions.join(" ") },
      rights.length ? `This key may ${rights.join("; ")} here.` : "This key may only read here."),
  );
}
