// Members, with who counts as an active user today and why (future
// starters count), and the pending invitations that hold a seat.

import { h } from "./dom.js";
import { messageFor, onClick } from "./act.js";

const WHY = {
  active: () => "active",
  future_starter: (m) => `future starter (starts ${m.start_date}): counts already`,
  passive: () => "passive: does not count",
  ended: (m) => `ended on ${m.end_date}: does not count`,
};

export function membersSection(report) {
  const members = [...report.members].sort((a, b) => a.email.localeCompare(b.email));
  const rows = members.map((m) => h(
    "tr",
    { "data-member": m.email },
    h("td", {}, m.email),
    h("td", {}, m.role),
    h("td", {}, m.status),
    h("td", {}, m.start_date || "–"),
    h("td", {}, m.end_date || "–"),
    h("td", {}, m.counted ? "yes" : "no"),
    h("td", {}, (WHY[m.reason] || (() => m.reason))(m)),
  ));
  const summary = `${report.active_users} active user${report.active_users === 1 ? "" : "s"} on ${report.as_of}`
    + ` (of them ${report.future_starters} future starter${report.future_starters === 1 ? "" : "s"});`
    + ` ${report.passive} passive, ${report.ended} ended.`;
  return h(
    "section",
    { class: "card", "aria-labelledby": "members-title" },
    h("h3", { id: "members-title" }, "Members"),
    h("p", { "data-summary": "members" }, summary),
    report.members.length
      ? h("div", { class: "table-wrap" }, h("table", {},
          h("caption", { class: "muted" }, "A member counts as an active user while active and not past the end date, including members whose start date is still ahead."),
          h("thead", {}, h("tr", {}, ["email", "role", "status", "starts", "ends", "counts", "why"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, rows)))
      : h("p", {}, "No members yet."),
  );
}

export function invitationsSection(ctx, tenant, invitations) {
  const place = "invitations";
  const mayRevoke = tenant.actions.includes("manage_tenant");
  const rows = invitations.invitations.map((i) => h(
    "tr",
    {},
    h("td", {}, i.email),
    h("td", {}, i.role),
    h("td", {}, i.expires_at.slice(0, 10)),
    mayRevoke
      ? h("td", {}, onClick(ctx, h("button", { type: "button", class: "danger", id: `revoke-${i.invitation_id}`, "aria-label": `Revoke the invitation of ${i.email}` }, "Revoke"),
          place, () => ctx.state.api.delete(`/v1/invitations/${i.invitation_id}`)))
      : null,
  ));
  return h(
    "section",
    { class: "card", "aria-labelledby": "invitations-title" },
    h("h3", { id: "invitations-title" }, "Pending invitations"),
    rows.length
      ? h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "email"), h("th", { scope: "col" }, "role"), h("th", { scope: "col" }, "expires"), mayRevoke ? h("th", { scope: "col" }, "action") : null)),
          h("tbody", {}, rows)))
      : h("p", {}, "None pending. Each pending invitation holds a members seat until it is accepted, revoked or expires."),
    messageFor(place),
  );
}
