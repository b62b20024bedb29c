// Notifications: lifecycle notifications and the state of each delivery,
// of every CA or of one (?ca_id=).

import { get, query } from "../api.js";
import { appendAll, h, table, fmtDate, statusBadge } from "../dom.js";

function deliveries(n) {
  if (n.deliveries.length === 0) return "none";
  return h("ul", { class: "plain" }, n.deliveries.map((d) => h("li", {}, `${d.channel}: `,
    statusBadge(d.state), d.attempts ? ` after ${d.attempts} attempt(s)` : "",
    d.last_error ? ` (${d.last_error})` : "")));
}

export async function render(root, ctx) {
  const caId = ctx.query.get("ca_id");
  const cursor = ctx.query.get("cursor");
  const base = caId ? `/api/v1/cas/${caId}/notifications` : "/api/v1/notifications";
  const page = await get(`${base}${query({ limit: 100, cursor })}`);
  const rows = page.items.map((n) => [fmtDate(n.created_at), n.kind.replace(/_/g, " "),
    h("a", { href: `#/cas/${n.ca_id}` }, `${n.ca_id.slice(0, 8)}…/${n.location}`),
    fmtDate(n.not_after), deliveries(n)]);
  appendAll(root, h("h1", {}, "Notifications"),
    caId ? h("p", {}, "Of one CA. ", h("a", { href: "#/notifications" }, "All CAs")) : null,
    table("Lifecycle notifications", ["Created", "Kind", "CA and location", "About notAfter",
      "Deliveries"], rows, "No notification."),
    page.next_cursor ? h("a", { class: "button", href: `#/notifications${query({ ca_id: caId,
      cursor: page.next_cursor })}` }, "Next page") : null);
}
