// The billing summary of a month (GET .../reports/billing): per tenant and
// pool contracted on a day of it, its days, limits and seats, as a partner
// invoices them; and the same report saved as a CSV file.

import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { explain, messageFor, onRead } from "./act.js";

const MONTHS = 24; // how far back the picker goes; older months via the API
const COLUMNS = [
  ["days", "days"],
  ["limit_end", "limit at end"],
  ["limit_max", "max limit"],
  ["peak_used", "peak used"],
  ["seat_days", "seat-days"],
  ["average_used", "average used"],
  ["end_used", "used at end"],
];

// `ctx.state.billing` is the person's choice, kept across live updates and
// tenants: `month` null means "the current month", which is the service's
// (its answer names it as `latest`), so a browser clock a little ahead of
// the service's never asks for a month in the future (422).
export async function billingSection(ctx, tenant) {
  const choice = ctx.state.billing;
  const offered = readsSubtenants(ctx, tenant);
  const query = { month: choice.month, include_subtenants: (offered && choice.subtenants) || null };
  let shown;
  try {
    const report = await ctx.read(`/v1/tenants/${tenant.tenant_id}/reports/billing`, query);
    if (!choice.month) choice.latest = report.month;
    shown = [summary(report, choice), report.lines.length ? table(report) : null];
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw e; // the session is over
    shown = h("p", { class: "error", role: "alert" }, explain(e));
  }
  return h(
    "section",
    { class: "card", "aria-labelledby": "billing-title" },
    h("h3", { id: "billing-title" }, "Billing"),
    controls(ctx, tenant, offered, query),
    shown,
    messageFor("billing-csv"),
  );
}

// Only keys that read subtrees (operator, partner, auditor, analyst) are
// listed a tenant's sub-tenants: a tenant_admin or service key lists its own
// tenant alone, and would be refused include_subtenants (403). Where the key
// sees no sub-tenant there is nothing to include either.
function readsSubtenants(ctx, tenant) {
  for (const t of ctx.state.tenants.values()) {
    if (t.parent_id === tenant.tenant_id) return true;
  }
  return false;
}

function controls(ctx, tenant, offered, query) {
  const choice = ctx.state.billing;
  const latest = choice.latest || new Date().toISOString().slice(0, 7);
  const shown = choice.month || latest;
  const redraw = () => ctx.refresh().catch(() => {});
  const pick = (e) => {
    choice.month = e.target.value === latest ? null : e.target.value;
    redraw();
  };
  const include = (e) => {
    choice.subtenants = e.target.checked;
    redraw();
  };
  const row = h(
    "div",
    { class: "row" },
    h("div", { class: "month" },
      h("label", { for: "billing-month" }, "Month"),
      h("select", { id: "billing-month", "aria-describedby": "billing-month-hint", onchange: pick },
        monthsBack(latest).map((m) => h("option", { value: m, selected: m === shown },
          m === latest ? `${monthName(m)} (current)` : monthName(m))))),
    offered
      ? h("div", { class: "check" },
          h("input", { id: "billing-subtenants", type: "checkbox", checked: Boolean(query.include_subtenants), onchange: include }),
          h("label", { for: "billing-subtenants" }, "Include sub-tenants"))
      : null,
    download(ctx, tenant, { ...query, month: shown }),
  );
  const hint = h("p", { id: "billing-month-hint", class: "hint" },
    "Months run in UTC; the current one counts up to today.");
  return [row, hint];
}

function download(ctx, tenant, query) {
  const button = h("button", { type: "button", class: "secondary", id: "billing-csv-button", "data-action": "download-csv" }, "Download CSV");
  const name = `billing-${tenant.tenant_id}-${query.month}${query.include_subtenants ? "-with-sub-tenants" : ""}.csv`;
  return onRead(ctx, button, "billing-csv", async () => {
    save(await csv(ctx, `/v1/tenants/${tenant.tenant_id}/reports/billing`, { ...query, format: "csv" }), name);
    return `Saved ${name}.`;
  });
}

// At least what the page shows, as the card's own read (see app.js read).
async function csv(ctx, path, query) {
  const api = ctx.state.api;
  try {
    return await api.file(path, { ...query, min_position: ctx.state.position, wait_ms: 3000 }, "text/csv");
  } catch (e) {
    if (e instanceof ApiError && e.code === "projection_behind") return api.file(path, query, "text/csv");
    throw e;
  }
}

// A same-origin Blob link, clicked once: the file never passes through an
// address that holds the key, and the CSP needs no exception for it.
function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000); // once the browser has it
}

function summary(report, choice) {
  const current = report.month === choice.latest;
  const when = `${monthName(report.month)}${current ? " (current month, up to today)" : ""}`;
  const tenants = new Set(report.lines.map((l) => l.tenant_id)).size;
  const n = report.lines.length;
  const text = n
    ? `${when}: ${n} pool${n === 1 ? "" : "s"} of ${tenants} tenant${tenants === 1 ? "" : "s"}.`
    : `${when}: no pool was contracted on any day of this month.`;
  return h("p", { id: "billing-summary", "data-summary": "billing" }, text);
}

function table(report) {
  const many = report.include_subtenants;
  const rows = report.lines.map((l) => h(
    "tr",
    { "data-billing-tenant": l.tenant_id, "data-billing-pool": l.pool },
    many ? h("th", { scope: "row" }, l.tenant_name) : null,
    h(many ? "td" : "th", many ? {} : { scope: "row" }, l.pool),
    COLUMNS.map(([key]) => h("td", { class: "num", "data-col": key },
      key === "average_used" ? l[key].toFixed(2) : String(l[key]))),
  ));
  // Named by the summary and explained below it rather than by a caption,
  // which would scroll sideways with the table on a phone.
  return [
    h("div", { class: "table-wrap" }, h("table", { "aria-labelledby": "billing-summary", "aria-describedby": "billing-terms" },
      h("thead", {}, h("tr", {},
        many ? h("th", { scope: "col" }, "tenant") : null,
        h("th", { scope: "col" }, "pool"),
        COLUMNS.map(([, label]) => h("th", { scope: "col", class: "num" }, label)))),
      h("tbody", {}, rows))),
    h("p", { id: "billing-terms", class: "hint" },
      "Days: the month's UTC days on which the pool was contracted. Seat-days: the sum of each day's peak used; average used: seat-days ÷ days. At end: the month's last instant (now, for the current month)."),
  ];
}

function monthsBack(latest) {
  let [year, month] = latest.split("-").map(Number);
  const months = [];
  for (let i = 0; i < MONTHS; i += 1) {
    months.push(`${year}-${String(month).padStart(2, "0")}`);
    month -= 1;
    if (month === 0) [year, month] = [year - 1, 12];
  }
  return months;
}

function monthName(month) {
  const [year, m] = month.split("-").map(Number);
  return new Date(Date.UTC(year, m - 1, 1))
    .toLocaleDateString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });
}
