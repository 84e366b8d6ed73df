// A pool's usage over the last 30, 90 or 365 days as a chart (daily peak of
// used + reserved + allocated against the limit), its trend carried on past
// today, and the forecast's dates in words; the numbers as a table too.

import { h, s } from "./dom.js";

const RANGES = [30, 90, 365];
const H = 220;
const M = { left: 44, right: 12, top: 12, bottom: 28 };

export async function historySection(ctx, tenant, pools) {
  if (!pools.length) return null;
  const chart = ctx.state.chart;
  const pool = pools.some((p) => p.pool === chart.pool) ? chart.pool : pools[0].pool;
  const base = `/v1/tenants/${tenant.tenant_id}`;
  const [history, forecast] = await Promise.all([
    ctx.state.api.get(`${base}/reports/usage-history`, { pool, from: dayBefore(chart.days - 1) }),
    ctx.state.api.get(`${base}/seats/${pool}/forecast`, { basis_days: Math.min(365, chart.days) }),
  ]);
  const days = history.pools.length ? history.pools[0].days : [];
  const current = pools.find((p) => p.pool === pool);
  return h(
    "section",
    { class: "card chart", "aria-labelledby": "history-title" },
    h("h3", { id: "history-title" }, "Usage history and forecast"),
    controls(ctx, pools, pool),
    plot(days, current, forecast),
    h("p", { "data-forecast": pool }, forecastText(forecast, current)),
    table(days),
  );
}

function dayBefore(n) {
  const day = new Date(Date.now() - n * 86400000);
  return day.toISOString().slice(0, 10);
}

function controls(ctx, pools, pool) {
  const redraw = (key, value) => {
    ctx.state.chart[key] = value;
    ctx.refresh().catch(() => {});
  };
  return h(
    "div",
    { class: "row" },
    h("div", {},
      h("label", { for: "chart-pool" }, "Pool"),
      h("select", { id: "chart-pool", onchange: (e) => redraw("pool", e.target.value) },
        pools.map((p) => h("option", { value: p.pool, selected: p.pool === pool }, p.pool)))),
    h("div", {},
      h("label", { for: "chart-days" }, "Period"),
      h("select", { id: "chart-days", onchange: (e) => redraw("days", Number(e.target.value)) },
        RANGES.map((n) => h("option", { value: n, selected: n === ctx.state.chart.days }, `last ${n} days`)))),
  );
}

function forecastText(f, current) {
  const pace = `${f.trend_per_day >= 0 ? "+" : ""}${f.trend_per_day} seats a day over the last ${f.basis_days} days`;
  if (!f.warning_on && !f.full_on) {
    return `Forecast: ${pace}. At this pace the pool reaches neither its warning nor its limit of ${current.limit} within three years.`;
  }
  const warning = f.warning_on ? `the warning threshold on ${f.warning_on}` : "the warning threshold not within three years";
  const full = f.full_on ? `the limit of ${current.limit} on ${f.full_on}` : "the limit not within three years";
  return `Forecast: ${pace}. At this pace it reaches ${warning} and ${full}.`;
}

// As wide as the panel (at most 640 units), so its text stays readable on a
// phone instead of shrinking with a fixed picture.
function chartWidth() {
  const panel = document.getElementById("tenant");
  return Math.round(Math.max(280, Math.min(640, (panel?.clientWidth || 640) - 48)));
}

function plot(days, current, f) {
  const W = chartWidth();
  const ahead = days.length ? Math.max(7, Math.round(days.length / 4)) : 0;
  const span = Math.max(1, days.length - 1 + ahead);
  const last = days[days.length - 1];
  const projected = last ? last.peak_in_use + f.trend_per_day * ahead : 0;
  const top = Math.max(1, current.limit, ...days.map((d) => Math.max(d.limit, d.peak_in_use)), projected) * 1.1;
  const x = (i) => M.left + (i / span) * (W - M.left - M.right);
  const y = (v) => H - M.bottom - (Math.max(0, v) / top) * (H - M.top - M.bottom);
  const line = (values, cls) => s("polyline", { class: cls, points: values.map((v, i) => `${x(i)},${y(v)}`).join(" ") });
  const parts = [
    s("title", { id: "chart-title" }, `${current.pool}: daily peak in use against the limit`),
    s("line", { class: "axis", x1: M.left, y1: y(0), x2: W - M.right, y2: y(0) }),
    s("line", { class: "axis", x1: M.left, y1: M.top, x2: M.left, y2: y(0) }),
    s("text", { x: M.left - 6, y: y(0) + 4, "text-anchor": "end" }, "0"),
    s("text", { x: M.left - 6, y: y(current.limit) + 4, "text-anchor": "end" }, String(current.limit)),
  ];
  if (days.length) {
    // Past today the contract is as it is now: limit and threshold carry on.
    const ahead = (v, cls) => s("line", { class: cls, x1: x(days.length - 1), y1: y(v), x2: x(span), y2: y(v) });
    parts.push(
      line(days.map((d) => d.limit), "limit"),
      ahead(current.limit, "limit"),
      line(days.map((d) => d.limit * current.warning_threshold), "warn"),
      ahead(current.limit * current.warning_threshold, "warn"),
      line(days.map((d) => d.peak_in_use), "usage"),
      s("line", { class: "trend", x1: x(days.length - 1), y1: y(last.peak_in_use), x2: x(span), y2: y(projected) }),
      s("text", { x: x(days.length - 1), y: H - 8, "text-anchor": days.length > 1 ? "middle" : "start" }, "today"),
    );
    if (days.length > 1) parts.push(s("text", { x: M.left, y: H - 8 }, days[0].day));
    if (days.length < 3) {
      parts.push(...days.map((d, i) => s("circle", { cx: x(i), cy: y(d.peak_in_use), r: 4, class: "usage" })));
    }
  }
  return h(
    "figure",
    {},
    s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title" }, parts),
    h("figcaption", { class: "legend" },
      h("span", {}, "solid blue: daily peak in use · red: limit · dashed amber: warning threshold · dotted: trend")),
  );
}

function table(days) {
  const rows = [...days].reverse().map((d) => h(
    "tr",
    {},
    h("td", {}, d.day),
    h("td", {}, String(d.peak_in_use)),
    h("td", {}, String(d.end_in_use)),
    h("td", {}, String(d.limit)),
    h("td", {}, d.level),
  ));
  return h(
    "details",
    { id: "history-table" },
    h("summary", {}, "The numbers"),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["day", "peak in use", "in use at day end", "limit", "level"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows))),
  );
}
