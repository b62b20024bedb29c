// Audit: the audit trail, newest first, filtered by action and actor (and
// object, from a CA's or certificate's page).

import { get, query } from "../api.js";
import { appendAll, h, field, table, fmtDate } from "../dom.js";

function objectLink(o) {
  if (o.type === "ca") return h("a", { href: `#/cas/${o.id}` }, `ca ${o.id}`);
  if (o.type === "certificate" && o.id.includes("/")) {
    return h("a", { href: `#/certificates/${o.id}` }, `certificate ${o.id}`);
  }
  return `${o.type} ${o.id}`;
}

export async function render(root, ctx) {
  const q = ctx.query;
  const action = field("Action", h("input", { name: "action", value: q.get("action") ?? "",
    autocomplete: "off", placeholder: "certificate.issue" }));
  const actor = field("Actor", h("input", { name: "actor", value: q.get("actor") ?? "",
    autocomplete: "off", placeholder: "token:admin" }));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter the audit trail" },
    action.wrap, actor.wrap, h("button", { type: "submit", class: "primary" }, "Filter"));
  const filters = { action: q.get("action"), actor: q.get("actor"), object_id: q.get("object_id") };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    ctx.navigate(`#/audit${query({ action: action.input.value.trim(), actor: actor.input.value.trim(),
      object_id: filters.object_id })}`);
  });
  const page = await get(`/api/v1/audit${query({ ...filters, limit: 100, cursor: q.get("cursor") })}`);
  const rows = page.items.map((e) => [fmtDate(e.at), e.actor, e.action, objectLink(e.object)]);
  appendAll(root, h("h1", {}, "Audit"), form,
    filters.object_id ? h("p", {}, `About ${filters.object_id}. `,
      h("a", { href: "#/audit" }, "Every object")) : null,
    table("Audit events", ["Time", "Actor", "Action", "Object"], rows, "No event matches."),
    page.next_cursor ? h("a", { class: "button", href: `#/audit${query({ ...filters,
      cursor: page.next_cursor })}` }, "Next page") : null);
}
