// Certificate Authorities: the list (GET /api/v1/cas), a page at a time.

import { get, query } from "../api.js";
import { appendAll, h, table, statusBadge } from "../dom.js";
import { expiry } from "./lifetime.js";

export async function render(root, ctx) {
  const cursor = ctx.query.get("cursor");
  const page = await get(`/api/v1/cas${query({ limit: 50, cursor })}`);
  const rows = page.items.map((ca) => [
    h("a", { href: `#/cas/${ca.id}` }, ca.friendly_name !== ca.common_name
      ? `${ca.common_name} (${ca.friendly_name})` : ca.common_name),
    ca.kind === "root" ? "Root" : "Subordinate",
    statusBadge(ca.status),
    ca.locations.map((l) => l.name).join(", "),
    ca.not_after ? expiry(ca.not_before, ca.not_after, ca.lifecycle.threshold_percent) : "–",
  ]);
  appendAll(root, h("div", { class: "title-row" }, h("h1", {}, "Certificate Authorities"),
    ctx.can("ca.create") ? h("a", { href: "#/cas/new", class: "button primary" }, "Create CA")
      : null),
  table("Certificate authorities", ["Name", "Kind", "Status", "Locations", "Expires"], rows,
    "No CA yet."),
  h("div", { class: "pager" },
    cursor ? h("a", { href: "#/cas", class: "button" }, "First page") : null,
    page.next_cursor ? h("a", { href: `#/cas?cursor=${encodeURIComponent(page.next_cursor)}`,
                                class: "button" }, "Next page") : null));
}
