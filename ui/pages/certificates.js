// Certificates: search across CAs (GET /api/v1/certificates) with filters
// and cursor pages; the filters live in the hash, so a search is a link.

import { get, query } from "../api.js";
import { appendAll, h, field, table, statusBadge, fmtDate } from "../dom.js";

const STATUSES = [["", "Any"], ["valid", "valid"], ["revoked", "revoked"],
  ["issuer_revoked", "issuer revoked"], ["expired", "expired"]];
// The CA choice lists the first CAs (a CA's own page links to a search of
// any CA): the list stays small enough to load with every search.
const CA_CHOICES = 200;
const FILTERS = ["common_name_prefix", "ca_id", "status", "san", "serial"];

export async function render(root, ctx) {
  const q = ctx.query;
  const params = { limit: 50 };
  for (const k of FILTERS) if (q.get(k)) params[k] = q.get(k);
  // The count costs a pass over every match: asked on a filtered first page only.
  if (q.get("cursor")) params.cursor = q.get("cursor");
  else if (Object.keys(params).length > 1) params.total = true;
  const [cas, page] = await Promise.all([get(`/api/v1/cas${query({ limit: CA_CHOICES })}`),
    get(`/api/v1/certificates${query(params)}`)]);
  const caName = new Map(cas.items.map((c) => [c.id, c.common_name]));
  const prefix = field("Common name prefix", h("input", { name: "common_name_prefix",
    value: q.get("common_name_prefix") ?? "", autocomplete: "off" }));
  const caSel = field("CA", h("select", { name: "ca_id" }, h("option", { value: "" }, "Any"),
    cas.items.map((c) => h("option", { value: c.id, selected: c.id === q.get("ca_id") },
      c.common_name)),
    q.get("ca_id") && !caName.has(q.get("ca_id"))
      ? h("option", { value: q.get("ca_id"), selected: true }, q.get("ca_id")) : null));
  const status = field("Status", h("select", { name: "status" }, STATUSES.map(([v, l]) =>
    h("option", { value: v, selected: v === (q.get("status") ?? "") }, l))));
  const san = field("Subject alternative name", h("input", { name: "san",
    value: q.get("san") ?? "", autocomplete: "off" }), "e.g. DNS:device-42.example.com");
  const form = h("form", { class: "filters", role: "search", "aria-label": "Search certificates" },
    prefix.wrap, caSel.wrap, status.wrap, san.wrap,
    h("button", { type: "submit", class: "primary" }, "Search"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    ctx.navigate(`#/certificates${query({ common_name_prefix: prefix.input.value,
      ca_id: caSel.input.value, status: status.input.value, san: san.input.value })}`);
  });
  const rows = page.items.map((c) => [
    h("a", { href: `#/certificates/${c.ca_id}/${c.serial_number}` }, c.serial_number),
    c.common_name ?? c.subject, h("a", { href: `#/cas/${c.ca_id}` }, caName.get(c.ca_id) ?? c.ca_id),
    statusBadge(c.status), fmtDate(c.not_after)]);
  const filters = Object.fromEntries(FILTERS.filter((k) => q.get(k)).map((k) => [k, q.get(k)]));
  appendAll(root, h("div", { class: "title-row" }, h("h1", {}, "Certificates"),
    ctx.can("cert.request") ? h("a", { href: "#/certificates/new", class: "button primary" },
      "Request certificate") : null),
  form,
  h("p", { "aria-live": "polite", class: "hint" }, page.total !== undefined
    ? `${page.total} certificate${page.total === 1 ? "" : "s"} match.` : ""),
  table("Certificates found", ["Serial", "Common name", "CA", "Status", "Expires"], rows,
    "No certificate matches."),
  h("div", { class: "pager" },
    params.cursor ? h("a", { href: `#/certificates${query(filters)}`, class: "button" },
      "First page") : null,
    page.next_cursor ? h("a", { class: "button",
      href: `#/certificates${query({ ...filters, cursor: page.next_cursor })}` }, "Next page")
      : null));
}
