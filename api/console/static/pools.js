// Each seat pool as a bar (used / reserved / allocated / available), its
// warning banner, and its add action: paused at 100 % with the reason and
// who can lift it; the contract form where the key may change the limit.

import { h, percent } from "./dom.js";
import { field, messageFor, onClick, onSubmit } from "./act.js";

export function poolsSection(ctx, tenant, pools, holders) {
  const cards = pools.map((p) => poolCard(ctx, tenant, p, holders.get(p.pool)));
  return h(
    "section",
    { class: "card", "aria-labelledby": "pools-title" },
    h("h3", { id: "pools-title" }, "Seat pools (contract quotas)"),
    pools.length
      ? h("div", { class: "pools" }, cards)
      : h("p", {}, "No contracted pool yet."),
  );
}

function poolCard(ctx, tenant, p, holders) {
  const may = new Set(tenant.actions);
  return h(
    "article",
    { class: `card pool level-${p.level}`, "aria-labelledby": `pool-${p.pool}-title`, "data-pool": p.pool },
    h("h4", { id: `pool-${p.pool}-title` }, h("span", {}, p.pool), h("span", { class: "muted" }, `${Math.round(p.utilization * 100)} %`)),
    bar(p),
    legend(p),
    banner(ctx, tenant, p),
    may.has("manage_tenant") ? addForm(ctx, tenant, p) : null,
    may.has("manage_contract") ? contractForm(ctx, tenant, p) : null,
    holders ? holderList(ctx, tenant, p, holders, may.has("manage_tenant")) : null,
  );
}

function bar(p) {
  const part = (kind, n) => {
    const el = h("span", { class: kind });
    el.style.width = `${percent(n, p.limit)}%`; // CSSOM: allowed by the CSP
    return el;
  };
  const said = `${p.used} used, ${p.reserved} reserved, ${p.allocated} allocated, `
    + `${p.available} available of ${p.limit}`;
  return h(
    "div",
    { class: "bar", role: "img", "aria-label": `${p.pool}: ${said}` },
    part("used", p.used),
    part("reserved", p.reserved),
    part("allocated", p.allocated),
  );
}

function legend(p) {
  return h(
    "ul",
    { class: "legend" },
    h("li", { class: "used" }, `used ${p.used}`),
    h("li", { class: "reserved" }, `reserved ${p.reserved}`),
    h("li", { class: "allocated" }, `allocated ${p.allocated}`),
    h("li", { class: "available" }, `available ${p.available}`),
    h("li", { class: "limit" }, `limit ${p.limit}`),
  );
}

function inUse(p) {
  return p.used + p.reserved + p.allocated;
}

function banner(ctx, tenant, p) {
  const share = `${inUse(p)} of ${p.limit} ${p.pool} seats are taken (${Math.round(p.utilization * 100)} %)`;
  if (p.level === "warning") {
    return h(
      "div",
      { class: "banner warning", role: "status", "data-banner": "warning" },
      h("p", {}, h("strong", {}, "Warning: "), `${share}; the warning threshold is ${Math.round(p.warning_threshold * 100)} %.`),
    );
  }
  if (p.level !== "full") return null;
  return h(
    "div",
    { class: "banner full", role: "status", "data-banner": "full", id: `paused-${p.pool}` },
    h("p", {}, h("strong", {}, "Adding is paused: "), `${share}.`),
    h("p", {}, `It resumes when a seat is freed, or when the contract is raised by ${lifter(ctx, tenant)}.`),
  );
}

// Who may raise this tenant's limits: the operator, or a partner key of a
// strict ancestor (README "Keys, roles and scopes"): a tenant cannot raise its own.
function lifter(ctx, tenant) {
  if (tenant.actions.includes("manage_contract")) return "you: this key may set the limit below";
  const parent = ctx.state.tenants.get(tenant.parent_id);
  const hint = tenant.actions.includes("manage_tenant") ? " (place a license order below)" : "";
  if (parent) return `a partner key of “${parent.display_name}” or the operator${hint}`;
  if (tenant.parent_id) return `the partner above this tenant or the operator${hint}`;
  return `the operator${hint}`;
}

function addForm(ctx, tenant, p) {
  const paused = p.available <= 0;
  const place = `add-${p.pool}`;
  const members = p.pool === "members";
  const described = paused ? `paused-${p.pool}` : null;
  const inputs = members
    ? [
        field(`${place}-email`, "Email of the user", { name: "email", type: "email", required: true, autocomplete: "off" }),
        field(`${place}-role`, "Role", { name: "role", value: "user", required: true, pattern: "[a-z][a-z0-9_]{0,39}" }),
      ]
    : [field(`${place}-holder`, "Holder id", { name: "holder_id", required: true, autocomplete: "off" })];
  const button = h(
    "button",
    { id: `${place}-button`, type: "submit", disabled: paused, "aria-describedby": described, "data-action": "add" },
    members ? "Add user" : "Add",
  );
  const form = h("form", { "aria-label": `Add to ${p.pool}` }, h("div", { class: "row" }, inputs, button), messageFor(place));
  const path = `/v1/tenants/${tenant.tenant_id}`;
  return onSubmit(ctx, form, place, (data) => members
    ? ctx.state.api.post(`${path}/invitations`, { email: data.get("email"), role: data.get("role") })
    : ctx.state.api.post(`${path}/seats/${p.pool}/assignments`, { holder_id: data.get("holder_id") }));
}

function contractForm(ctx, tenant, p) {
  const place = `limit-${p.pool}`;
  const form = h(
    "form",
    { "aria-label": `Contract of ${p.pool}` },
    h("div", { class: "row" },
      field(`${place}-value`, "Contract limit (seats)", { name: "limit", type: "number", min: inUse(p), max: 1000000000, value: p.limit, required: true }),
      h("button", { id: `${place}-button`, type: "submit", class: "secondary", "data-action": "set-limit" }, "Set limit")),
    messageFor(place),
  );
  const path = `/v1/tenants/${tenant.tenant_id}/seats/${p.pool}`;
  return onSubmit(ctx, form, place, (data) => ctx.state.api.put(path, { limit: Number(data.get("limit")) }));
}

function holderList(ctx, tenant, p, holders, mayRelease) {
  const place = `holders-${p.pool}`;
  const path = `/v1/tenants/${tenant.tenant_id}/seats/${p.pool}/assignments`;
  const rows = holders.holders.map((holder) => h(
    "tr",
    {},
    h("td", {}, holder.holder_id),
    h("td", {}, holder.assigned_at.slice(0, 10)),
    mayRelease
      ? h("td", {}, onClick(ctx, h("button", { type: "button", class: "danger", "aria-label": `Remove ${holder.holder_id} from ${p.pool}` }, "Remove"), place,
          () => ctx.state.api.delete(`${path}/${encodeURIComponent(holder.holder_id)}`)))
      : null,
  ));
  const more = holders.next_after ? h("p", { class: "hint" }, "Showing the first 100 holders.") : null;
  return h(
    "details",
    { id: `${place}-details`, open: holders.holders.length <= 8 },
    h("summary", {}, `Holders (${p.used})`),
    h("div", { class: "table-wrap" },
      h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, "holder"), h("th", {}, "since"), mayRelease ? h("th", {}, h("span", { class: "muted" }, "action")) : null)),
        h("tbody", {}, rows))),
    more,
    messageFor(place),
  );
}
