// Certificate Authorities: the list (GET /api/v1/cas), a page at a time,
// with a filter by name and status over the page shown.

import { get, query } from "../api.js";
import { appendAll, h, field, table, statusBadge } from "../dom.js";
import { expiry } from "./lifetime.js";
import { CA_STATUSES, filterCas } from "../filter.js";

function rowsOf(items) {
  return items.map((ca) => [
    h("a", { href: `#/cas/${ca.id}` }, ca.friendly_name !== ca.common_name
      ? `${ca.common_name} (${ca.friendly_name})` : ca.common_name),
    ca.kind === "root" ? "Root" : "Subordinate",
    statusBadge(ca.status),
    ca.locations.map((l) => l.name).join(", "),
    ca.not_after ? expiry(ca.not_before, ca.not_after, ca.lifecycle.threshold_percent) : "–",
  ]);
}

const COLUMNS = ["Name", "Kind", "Status", "Locations", "Expires"];

export async function render(root, ctx) {
  const cursor = ctx.query.get("cursor");
  const page = await get(`/api/v1/cas${query({ limit: 50, cursor })}`);
  const name = field("Filter by name", h("input", { type: "search", name: "filter_name",
    autocomplete: "off" }), "Among the CAs of this page.");
  const status = field("Filter by status", h("select", { name: "filter_status" },
    h("option", { value: "" }, "any"), CA_STATUSES.map((s) =>
      h("option", { value: s }, s.replace(/_/g, " ")))));
  const count = h("p", { class: "hint", "aria-live": "polite" });
  let list = table("Certificate authorities", COLUMNS, rowsOf(page.items), "No CA yet.");
  const apply = () => {
    const shown = filterCas(page.items, name.input.value, status.input.value);
    const filtered = shown.length !== page.items.length || name.input.value || status.input.value;
    const next = table("Certificate authorities", COLUMNS, rowsOf(shown),
      page.items.length ? "No CA of this page matches." : "No CA yet.");
    list.replaceWith(next);
    list = next;
    count.textContent = filtered ? `${shown.length} of the ${page.items.length} CAs of this page.`
      : "";
  };
  name.input.addEventListener("input", apply);
  status.input.addEventListener("change", apply);
  appendAll(root, h("div", { class: "title-row" }, h("h1", {}, "Certificate Authorities"),
    ctx.can("ca.create") ? h("a", { href: "#/cas/new", class: "button primary" }, "Create CA")
      : null),
  // not a form: filtering submits nothing, it narrows the rows as they type
  h("div", { class: "filters", role: "search", "aria-label": "Filter CAs" }, name.wrap,
    status.wrap),
  count, list,
  h("div", { class: "pager" },
    cursor ? h("a", { href: "#/cas", class: "button" }, "First page") : null,
    page.next_cursor ? h("a", { href: `#/cas?cursor=${encodeURIComponent(page.next_cursor)}`,
                                class: "button" }, "Next page") : null));
}
