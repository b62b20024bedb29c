// Editing a CA's settings (PATCH /api/v1/cas/{id}, pki_admin): lifecycle,
// CRL and delta CRLs, OCSP and EST. The PATCH carries only what the admin
// changed and If-Match with the ETag of the version the form was filled
// from; when someone else changed the CA in between (412), the form shows
// their values and keeps the admin's changes to apply again.

import { getTagged, patchTagged } from "../api.js";
import { appendAll, h, field, setFieldError, alertBox, announce, copyButton, uid } from "../dom.js";
import { CA_FIELDS, caSettings, parseValue, formatValue, patchBody, differences, describeValue } from "../settings.js";

const CHOICES = {
  "lifecycle.action": [["notify", "notify"], ["auto_renew", "renew automatically"]],
  "est.template": [["client", "client"], ["ssl", "ssl"]],
  "est.subject_policy": [["match_client_cert", "match the client certificate"], ["any", "any"]],
};

// Label and hint of each member's field.
const LABELS = {
  "lifecycle.action": ["Lifecycle action", "auto_renew is refused for a root CA."],
  "lifecycle.threshold_percent": ["Threshold (% of the lifetime used)", "1 to 99."],
  "lifecycle.notification_emails": ["Notification e-mails", "One address a line, at most 20."],
  "lifecycle.webhook_url": ["Webhook URL", "Empty: no webhook. A new URL gets a new secret, shown once."],
  "crl.enabled": ["CRLs on"],
  "crl.validity_days": ["CRL validity (days)", "1 to 365."],
  "crl.overlap_hours": ["CRL overlap (hours)", "At most the validity × 24 − 1."],
  "crl.distribution_point": ["Custom CRL endpoint", "Empty: edgeca's own URL. For certificates issued from now on."],
  "crl.delta.enabled": ["Delta CRLs on", "Needs CRLs on."],
  "crl.delta.interval_minutes": ["Delta CRL interval (minutes)", "5 to 1440."],
  "ocsp.enabled": ["OCSP on"],
  "ocsp.validity_seconds": ["OCSP answer validity (seconds)", "300 to 604800."],
  "ocsp.delegated_responder": ["Delegated OCSP responder"],
  "ocsp.responder_validity_days": ["Responder certificate validity (days)", "1 to 30."],
  "est.enabled": ["EST on", "Needs the EST template among the CA's allowed templates."],
  "est.label": ["EST label", "Empty: none. Lower case letters, digits, . _ -."],
  "est.default": ["Default EST CA"],
  "est.template": ["EST template"],
  "est.validity_days": ["EST certificate validity (days)", "Empty: the CA's largest lifetime."],
  "est.subject_policy": ["EST subject policy"],
};

function input(f) {
  const name = f.path;
  if (f.kind === "bool") return h("input", { type: "checkbox", name });
  if (f.kind === "enum") {
    return h("select", { name }, CHOICES[f.path].map(([v, text]) => h("option", { value: v }, text)));
  }
  if (f.kind === "list") return h("textarea", { name, rows: 3, autocomplete: "off" });
  if (f.kind === "int") return h("input", { name, inputmode: "numeric", autocomplete: "off" });
  return h("input", { name, autocomplete: "off", spellcheck: "false" });
}

function readForm(fields) {
  return Object.fromEntries(CA_FIELDS.map((f) => {
    const el = fields[f.path].input;
    return [f.path, parseValue(f.kind, f.kind === "bool" ? el.checked : el.value)];
  }));
}

function fill(fields, values, only) {
  for (const f of CA_FIELDS) {
    if (only && !only.has(f.path)) continue;
    const el = fields[f.path].input;
    const v = formatValue(f.kind, values[f.path]);
    if (f.kind === "bool") el.checked = v;
    else el.value = v;
  }
}

function group(legend, fields, paths, extra) {
  return h("fieldset", { class: "step" }, h("legend", {}, legend), paths.map((p) => fields[p].wrap), extra);
}

export async function render(root, ctx) {
  const [id] = ctx.params;
  const path = `/api/v1/cas/${id}`;
  let { body: ca, etag } = await getTagged(path);
  appendAll(root, h("h1", {}, `Settings of ${ca.common_name}`),
    h("p", {}, h("a", { href: `#/cas/${id}` }, "Back to the CA")));
  if (!ctx.can("ca.update")) {
    appendAll(root, h("p", {}, "Only a pki_admin token changes a CA's settings."));
    return;
  }
  let base = caSettings(ca);
  const fields = {};
  for (const f of CA_FIELDS) {
    const [label, hint] = LABELS[f.path];
    fields[f.path] = field(label, input(f), hint);
    if (f.kind === "bool") fields[f.path].wrap.classList.add("check");
  }
  fill(fields, base);
  const alert = alertBox();
  const conflict = h("div", { "aria-live": "polite" });
  const secret = h("div", { "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "primary" }, "Save settings");
  const form = h("form", { "aria-label": "CA settings", novalidate: true },
    group("Lifecycle", fields, ["lifecycle.action", "lifecycle.threshold_percent",
      "lifecycle.notification_emails", "lifecycle.webhook_url"]),
    group("CRL", fields, ["crl.enabled", "crl.validity_days", "crl.overlap_hours",
      "crl.delta.enabled", "crl.delta.interval_minutes"],
    h("details", {}, h("summary", {}, "Advanced: CRL endpoint"),
      fields["crl.distribution_point"].wrap)),
    group("OCSP", fields, ["ocsp.enabled", "ocsp.validity_seconds", "ocsp.delegated_responder",
      "ocsp.responder_validity_days"]),
    group("EST", fields, ["est.enabled", "est.label", "est.default", "est.template",
      "est.validity_days", "est.subject_policy"]),
    alert.el, conflict, secret, h("div", { class: "button-row" }, save));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    alert.clear();
    Object.values(fields).forEach((f) => setFieldError(f, null));
    const body = patchBody(base, readForm(fields));
    if (body === null) {
      alert.show("Nothing changed: there is nothing to save.");
      return;
    }
    save.disabled = true;
    try {
      ({ body: ca, etag } = await patchTagged(path, body, etag));
      base = caSettings(ca);
      fill(fields, base);
      conflict.replaceChildren();
      const s = ca.lifecycle?.webhook_secret;
      if (s) {
        const sid = uid("secret");
        secret.replaceChildren(h("div", { class: "secret", role: "status" },
          h("p", {}, "The webhook's new secret. Copy it now: it is not shown again."),
          h("code", { id: sid }, s), " ", copyButton(s, "webhook secret", sid)));
      }
      announce("Settings saved.");
    } catch (e) {
      if (e.slug === "precondition-failed") await reloadAfterConflict();
      else {
        const named = e.fieldIn?.(CA_FIELDS.map((f) => f.path));
        if (named) setFieldError(fields[named], e.detail);
        alert.show(e.describe?.() ?? String(e));
      }
    }
    save.disabled = false;
  });

  // Someone else saved first: show what they changed, put their values in
  // the fields the admin left alone, keep the admin's own changes.
  async function reloadAfterConflict() {
    const wanted = readForm(fields);
    const latest = await getTagged(path).catch((e) => e);
    if (latest instanceof Error) {
      alert.show(latest.describe?.() ?? String(latest));
      return;
    }
    const now = caSettings(latest.body);
    const theirs = differences(base, now);
    const mine = new Set(differences(base, wanted).map((d) => d.path));
    fill(fields, now, new Set(CA_FIELDS.map((f) => f.path).filter((p) => !mine.has(p))));
    alert.show("Someone else changed this CA since this form was filled: nothing was saved. " +
      "The form now shows their values; your changes are kept. Check them and save again.");
    conflict.replaceChildren(h("h2", {}, "Changed by someone else"),
      theirs.length ? h("ul", {}, theirs.map((d) => h("li", {},
        `${LABELS[d.path][0]}: ${describeValue(d.from)} → ${describeValue(d.to)}`)))
        : h("p", {}, "None of these settings (another part of the CA changed)."));
    ({ body: ca, etag } = latest);
    base = now;
  }
  appendAll(root, form);
}
