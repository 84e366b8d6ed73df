// License orders: placed by the tenant, approved or rejected by a partner
// of an ancestor or the operator; the buttons appear where the key may.

import { h } from "./dom.js";
import { field, messageFor, onClick, onSubmit } from "./act.js";

export function ordersSection(ctx, tenant, orders, pools) {
  const may = new Set(tenant.actions);
  const sorted = [...orders.orders].sort((a, b) => b.placed_at.localeCompare(a.placed_at));
  const rows = sorted.map((o) => h(
    "tr",
    { "data-order": o.order_id },
    h("td", {}, o.placed_at.slice(0, 10)),
    h("td", {}, o.pool),
    h("td", {}, `+${o.quantity}`),
    h("td", {}, o.note || "–"),
    h("td", {}, o.status, o.reason ? h("span", { class: "muted" }, ` (${o.reason})`) : null),
    h("td", {}, o.status === "placed" ? decide(ctx, o, may) : null),
  ));
  return h(
    "section",
    { class: "card", "aria-labelledby": "orders-title" },
    h("h3", { id: "orders-title" }, "License orders"),
    h("p", { class: "hint" }, "An approved order raises the pool's limit by its quantity at once."),
    rows.length
      ? h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, ["placed", "pool", "seats", "note", "status", "decision"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, rows)))
      : h("p", {}, "No orders."),
    messageFor("orders"),
    may.has("manage_tenant") ? placeForm(ctx, tenant, pools) : null,
  );
}

function decide(ctx, order, may) {
  const controls = [];
  const path = `/v1/license-orders/${order.order_id}`;
  if (may.has("approve_orders")) {
    const reason = `reject-${order.order_id}`;
    controls.push(
      onClick(ctx, h("button", { type: "button", id: `approve-${order.order_id}`, "data-action": "approve" }, "Approve"),
        "orders", () => ctx.state.api.post(`${path}/approve`)),
      h("label", { for: reason }, "Reason to reject"),
      h("input", { id: reason, type: "text", autocomplete: "off" }),
      onClick(ctx, h("button", { type: "button", class: "danger", id: `${reason}-button`, "data-action": "reject" }, "Reject"),
        "orders", () => ctx.state.api.post(`${path}/reject`, { reason: document.getElementById(reason).value || "rejected in the console" })),
    );
  }
  if (may.has("manage_tenant")) {
    controls.push(onClick(ctx, h("button", { type: "button", class: "secondary", id: `cancel-${order.order_id}` }, "Cancel order"),
      "orders", () => ctx.state.api.post(`${path}/cancel`)));
  }
  return controls.length ? h("div", {}, controls) : h("span", { class: "muted" }, "waiting for a partner");
}

function placeForm(ctx, tenant, pools) {
  const place = "place-order";
  const options = pools.map((p) => h("option", { value: p.pool }, p.pool));
  const form = h(
    "form",
    { "aria-label": "Order more seats" },
    h("h4", {}, "Order more seats"),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: `${place}-pool` }, "Pool"),
        pools.length
          ? h("select", { id: `${place}-pool`, name: "pool" }, options)
          : h("input", { id: `${place}-pool`, name: "pool", required: true, pattern: "[a-z][a-z0-9_]{0,39}" })),
      field(`${place}-quantity`, "Seats", { name: "quantity", type: "number", min: 1, max: 100000, value: 1, required: true }),
      field(`${place}-note`, "Note (optional)", { name: "note", maxlength: 2000 }),
      h("button", { type: "submit", id: `${place}-button` }, "Place order")),
    messageFor(place),
  );
  return onSubmit(ctx, form, place, (data) => {
    const body = { pool: data.get("pool"), quantity: Number(data.get("quantity")) };
    if (data.get("note")) body.note = data.get("note");
    return ctx.state.api.post(`/v1/tenants/${tenant.tenant_id}/license-orders`, body);
  });
}
