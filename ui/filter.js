// filter.js: the CA list's filter on the page already loaded (the API
// lists CAs by cursor only): by a part of the common or friendly name,
// case-insensitive, and by status. Pure, so it is tested without a browser.

export const CA_STATUSES = ["active", "pending_chaining", "disabled", "revoked"];

export function filterCas(items, text, status) {
  const needle = String(text ?? "").trim().toLowerCase();
  return items.filter((ca) => (!status || ca.status === status) &&
    (needle === "" || String(ca.common_name ?? "").toLowerCase().includes(needle) ||
     String(ca.friendly_name ?? "").toLowerCase().includes(needle)));
}
