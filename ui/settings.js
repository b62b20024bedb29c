// settings.js: the pure logic of the portal's edit forms (no DOM): which
// members of a CA's settings the form edits, reading a form's text into
// values, the PATCH body of what the admin changed, and what someone else
// changed in between (shown after a 412 precondition-failed).

// The CA members the form edits (CaUpdateRequest): path, kind, and whether
// an empty field sends null (the API then resets the member to its
// default). An empty field of the others keeps the member as it is.
export const CA_FIELDS = [
  ["lifecycle.action", "enum"],
  ["lifecycle.threshold_percent", "int"],
  ["lifecycle.notification_emails", "list"],
  ["lifecycle.webhook_url", "text", true],
  ["crl.enabled", "bool"],
  ["crl.validity_days", "int"],
  ["crl.overlap_hours", "int"],
  ["crl.distribution_point", "text", true],
  ["crl.delta.enabled", "bool"],
  ["crl.delta.interval_minutes", "int"],
  ["ocsp.enabled", "bool"],
  ["ocsp.validity_seconds", "int"],
  ["ocsp.delegated_responder", "bool"],
  ["ocsp.responder_validity_days", "int"],
  ["est.enabled", "bool"],
  ["est.label", "text", true],
  ["est.default", "bool"],
  ["est.template", "enum"],
  ["est.validity_days", "int", true],
  ["est.subject_policy", "enum"],
].map(([path, kind, resettable]) => ({ path, kind, resettable: resettable === true }));

function at(obj, path) {
  let v = obj;
  for (const k of path.split(".")) v = v === null || v === undefined ? undefined : v[k];
  return v === undefined ? null : v;
}

function put(obj, path, value) {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {});
  o[keys[keys.length - 1]] = value;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// The edited members' values of a CA (GET /api/v1/cas/{id}): {path: value}.
export function caSettings(ca, fields = CA_FIELDS) {
  return Object.fromEntries(fields.map((f) => [f.path, at(ca, f.path)]));
}

// A field's text (or a checkbox's state) as the value the API takes. An
// integer field that is not one is sent as typed: the API's answer names it.
export function parseValue(kind, raw) {
  if (kind === "bool") return raw === true;
  const text = String(raw ?? "").trim();
  if (kind === "list") {
    const items = text.split(/[\s,;]+/).filter((x) => x !== "");
    return items.length ? items : null;
  }
  if (text === "") return null;
  if (kind === "int") return /^-?[0-9]{1,15}$/.test(text) ? Number(text) : text;
  return text;
}

// A value as the text of its field.
export function formatValue(kind, value) {
  if (kind === "bool") return value === true;
  if (value === null || value === undefined) return "";
  if (kind === "list") return value.join("\n");
  return String(value);
}

// The PATCH body of the members whose wanted value differs from base's,
// nested as the API takes it ({lifecycle: {threshold_percent: 70}}), or
// null when nothing changed. A list emptied is sent as null (the API
// empties it).
export function patchBody(base, wanted, fields = CA_FIELDS) {
  const body = {};
  let changed = false;
  for (const f of fields) {
    const want = wanted[f.path] ?? null;
    if (same(base[f.path] ?? null, want)) continue;
    if (want === null && f.kind !== "list" && !f.resettable) continue;
    put(body, f.path, want);
    changed = true;
  }
  return changed ? body : null;
}

// What differs between two versions: [{path, from, to}], in field order.
export function differences(before, after, fields = CA_FIELDS) {
  return fields.filter((f) => !same(before[f.path] ?? null, after[f.path] ?? null))
    .map((f) => ({ path: f.path, from: before[f.path] ?? null, to: after[f.path] ?? null }));
}

// A value for a sentence: lists joined, null as "none".
export function describeValue(value) {
  if (value === null || value === undefined) return "none";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "none";
  if (value === true) return "on";
  if (value === false) return "off";
  return String(value);
}

// The token members the edit form changes (TokenUpdateRequest): an empty
// e-mail clears it; CA scope null is every CA.
export const TOKEN_FIELDS = [
  { path: "email", kind: "text", resettable: true },
  { path: "ca_ids", kind: "list", resettable: true },
];

// A token's scope as the form compares it: the ids sorted, null for every CA.
export function tokenSettings(token) {
  const ids = token.ca_ids ? [...token.ca_ids].sort() : null;
  return { email: token.email ?? null, ca_ids: ids && ids.length ? ids : null };
}
