// ui.settings: the pure logic of the portal's edit forms (ui/settings.js)
// and the CA list's filter (ui/filter.js): a PATCH carries exactly the
// members changed, nested as the API takes them, with null only where the
// API resets; the differences shown after a 412; filtering a page of CAs.
// usage: node settings_test.mjs <ui dir>
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import assert from "node:assert/strict";

const ui = (f) => import(pathToFileURL(join(process.argv[2], f)).href);
const s = await ui("settings.js");
const { filterCas } = await ui("filter.js");

let failures = 0;
function check(what, fn) {
  try {
    fn();
    console.log(`ok   ${what}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${what}: ${e.message}`);
  }
}

// A CA as GET /api/v1/cas/{id} answers it (the members the form reads).
const ca = {
  id: "2b1f5876-73f0-4518-af2d-d81abd34d2bd", common_name: "Root",
  lifecycle: { action: "notify", threshold_percent: 80, notification_emails: ["a@example.com"],
    webhook_url: null, webhook_secret: null },
  crl: { enabled: true, validity_days: 7, overlap_hours: 24, distribution_point: null,
    delta: { enabled: false, interval_minutes: 60 } },
  ocsp: { enabled: true, validity_seconds: 3600, delegated_responder: false,
    responder_validity_days: 7 },
  est: { enabled: true, label: "line3", default: false, template: "client", validity_days: 365,
    subject_policy: "match_client_cert", urls: [] },
};
const formOf = (values) => Object.fromEntries(s.CA_FIELDS.map((f) =>
  [f.path, s.parseValue(f.kind, s.formatValue(f.kind, values[f.path]))]));

check("every edited member is read from the CA, nested ones too", () => {
  const base = s.caSettings(ca);
  assert.equal(Object.keys(base).length, s.CA_FIELDS.length);
  assert.equal(base["crl.delta.interval_minutes"], 60);
  assert.deepEqual(base["lifecycle.notification_emails"], ["a@example.com"]);
  assert.equal(base["lifecycle.webhook_url"], null);
  assert.equal(s.caSettings({ lifecycle: null })["lifecycle.action"], null);
});
check("a form filled from the CA and left alone changes nothing", () => {
  const base = s.caSettings(ca);
  assert.equal(s.patchBody(base, formOf(base)), null);
});
check("only the members changed are sent, nested as the API takes them", () => {
  const base = s.caSettings(ca);
  const wanted = { ...formOf(base), "lifecycle.threshold_percent": 70,
    "crl.delta.enabled": true, "ocsp.validity_seconds": s.parseValue("int", " 7200 ") };
  assert.deepEqual(s.patchBody(base, wanted), {
    lifecycle: { threshold_percent: 70 },
    crl: { delta: { enabled: true } },
    ocsp: { validity_seconds: 7200 },
  });
});
check("an emptied resettable field sends null, an emptied required one nothing", () => {
  const base = s.caSettings(ca);
  const wanted = { ...formOf(base), "est.label": s.parseValue("text", "  "),
    "crl.validity_days": s.parseValue("int", ""), "lifecycle.notification_emails":
      s.parseValue("list", "") };
  assert.deepEqual(s.patchBody(base, wanted), {
    est: { label: null }, lifecycle: { notification_emails: null } });
});
check("text becomes values: lists split, integers parsed, other text kept for the API to name", () => {
  assert.deepEqual(s.parseValue("list", "a@x.org, b@x.org\nc@x.org;"), ["a@x.org", "b@x.org", "c@x.org"]);
  assert.equal(s.parseValue("int", "42"), 42);
  assert.equal(s.parseValue("int", "4x2"), "4x2");
  assert.equal(s.parseValue("bool", true), true);
  assert.equal(s.parseValue("bool", "true"), false);
  assert.equal(s.formatValue("list", ["a", "b"]), "a\nb");
  assert.equal(s.formatValue("int", null), "");
});
check("a webhook set is sent with the other changes", () => {
  const base = s.caSettings(ca);
  const wanted = { ...formOf(base), "lifecycle.webhook_url": "https://hooks.example.com/pki",
    "lifecycle.action": "auto_renew" };
  assert.deepEqual(s.patchBody(base, wanted), { lifecycle: {
    action: "auto_renew", webhook_url: "https://hooks.example.com/pki" } });
});
check("the differences after a 412 name each member someone else changed", () => {
  const before = s.caSettings(ca);
  const other = structuredClone(ca);
  other.lifecycle.threshold_percent = 60;
  other.crl.delta.enabled = true;
  other.est.urls = ["changed elsewhere"];
  const d = s.differences(before, s.caSettings(other));
  assert.deepEqual(d, [
    { path: "lifecycle.threshold_percent", from: 80, to: 60 },
    { path: "crl.delta.enabled", from: false, to: true },
  ]);
  assert.equal(s.describeValue(null), "none");
  assert.equal(s.describeValue(["a", "b"]), "a, b");
  assert.equal(s.describeValue(true), "on");
});
check("reapplying after a 412 sends the admin's change against the new version", () => {
  const before = s.caSettings(ca);
  const mine = { ...before, "lifecycle.threshold_percent": 70 };
  const other = structuredClone(ca);
  other.ocsp.enabled = false;
  const now = s.caSettings(other);
  // the form keeps the admin's change and shows the other's values elsewhere
  const changed = new Set(s.differences(before, mine).map((x) => x.path));
  const refilled = Object.fromEntries(s.CA_FIELDS.map((f) =>
    [f.path, changed.has(f.path) ? mine[f.path] : now[f.path]]));
  assert.deepEqual(s.patchBody(now, refilled), { lifecycle: { threshold_percent: 70 } });
});
check("a token's scope compares whatever the order, null for every CA", () => {
  const base = s.tokenSettings({ email: null, ca_ids: ["b", "a"] });
  assert.deepEqual(base, { email: null, ca_ids: ["a", "b"] });
  assert.equal(s.patchBody(base, { email: null, ca_ids: ["a", "b"] }, s.TOKEN_FIELDS), null);
  assert.deepEqual(s.patchBody(base, { email: "x@example.com", ca_ids: null }, s.TOKEN_FIELDS),
    { email: "x@example.com", ca_ids: null });
  const unlimited = s.tokenSettings({ email: "x@example.com" });
  assert.deepEqual(s.patchBody(unlimited, { email: null, ca_ids: null }, s.TOKEN_FIELDS),
    { email: null });
});
check("the CA filter matches a part of either name, case-insensitive, and the status", () => {
  const items = [
    { common_name: "Contoso Root", friendly_name: "Contoso Root", status: "active" },
    { common_name: "Line 3 Issuing", friendly_name: "factory", status: "disabled" },
    { common_name: "Pending Sub", friendly_name: "Pending Sub", status: "pending_chaining" },
  ];
  assert.equal(filterCas(items, "", "").length, 3);
  assert.deepEqual(filterCas(items, "ROOT", "").map((c) => c.common_name), ["Contoso Root"]);
  assert.deepEqual(filterCas(items, "fact", "").map((c) => c.common_name), ["Line 3 Issuing"]);
  assert.deepEqual(filterCas(items, "", "pending_chaining").map((c) => c.status),
    ["pending_chaining"]);
  assert.equal(filterCas(items, "root", "disabled").length, 0);
});

if (failures > 0) {
  console.log(`${failures} failed`);
  process.exit(1);
}
console.log("all passed");
