// Create CA: a wizard of three steps over POST /api/v1/cas. Each step
// checks what it can by the API's documented rules before Next; the API's
// own problem on Create is shown in the alert and next to the field its
// detail names, on that field's step.

import { get, post, query } from "../api.js";
import { appendAll, h, field, setFieldError, alertBox, uid } from "../dom.js";

const TEMPLATES = [
  ["client", "client: device identities (clientAuth)"],
  ["ssl", "ssl: servers and clients (serverAuth, clientAuth)"],
  ["subordinate_ca", "subordinate_ca: issuing CAs"],
  ["iot_edge_ca", "iot_edge_ca: Azure IoT Edge CA certificates"],
];
// The largest lifetime recommended for each template: CA certificates
// five years, server certificates what browsers accept, devices a year.
const RECOMMENDED_MAX = { client: 365, ssl: 397, subordinate_ca: 1825, iot_edge_ca: 1825 };
const RECOMMENDED_VALIDITY = { root: 3650, subordinate: 1825 };
// Problems whose detail names no member: the member their slug is about.
const SLUG_MEMBER = {
  "validity-exceeds-policy": "validity_days", "validity-exceeds-issuer": "validity_days",
  "template-not-allowed": "issuance.template", "root-auto-renew": "lifecycle.action",
  "parent-not-found": "parent_ca_id", "parent-not-active": "parent_ca_id",
};
const LOCATION = /^[a-z0-9][a-z0-9-]{0,62}$/;
const EMAIL = /^[^\s@,"<>]+@[^\s@,"<>]+\.[^\s@,"<>]+$/;

function select(name, options, value) {
  return h("select", { name }, options.map(([v, label]) =>
    h("option", { value: v, selected: v === value }, label)));
}

function number(name, min, max, value) {
  return h("input", { type: "number", name, min, max, step: 1, inputmode: "numeric",
                      value: value ?? "" });
}

const list = (s) => s.split(/[\s,]+/).filter(Boolean);

function intOrNull(input) {
  return input.value.trim() === "" ? null : Number(input.value);
}

function buildFields(parents) {
  const f = {};
  const kindName = uid("kind");
  const radio = (value, label, checked) => {
    const id = uid("r");
    return h("div", { class: "radio" }, h("input", { type: "radio", name: kindName, id, value,
      checked }), h("label", { for: id }, label));
  };
  f.kind = h("fieldset", { class: "field" }, h("legend", {}, "Kind"),
    radio("root", "Root CA", true), radio("subordinate", "Subordinate CA", false));
  f.kindValue = () => f.kind.querySelector("input:checked").value;
  f.parent = field("Parent CA", select("parent_ca_id", [["", "An external root (sign the CSR outside edgeca)"],
    ...parents.map((c) => [c.id, c.common_name])], parents[0]?.id ?? ""),
  "The CA that signs this one; an external root gets a CSR per location.");
  f.common_name = field("Common name", h("input", { name: "common_name", maxlength: 64,
    required: true, autocomplete: "off" }));
  f.organization = field("Organization", h("input", { name: "organization", maxlength: 64 }));
  f.country = field("Country", h("input", { name: "country", maxlength: 2, size: 3,
    autocomplete: "country" }), "Two letters, ISO 3166 (e.g. DE).");
  f.key_algorithm = field("Key algorithm", select("key_algorithm",
    ["EC-P256", "EC-P384", "RSA-2048", "RSA-3072", "RSA-4096"].map((a) => [a, a]), "EC-P256"),
  "EC-P256 unless devices need another.");
  f.locations = field("Locations", h("input", { name: "locations", autocomplete: "off" }),
    "Names separated by commas (e.g. westeurope, eastus); empty: the server's default location. A root has one.");
  f.validity_days = field("Validity (days)", number("validity_days", 1, 36500, 3650),
    "Recommended: 3650 for a root, 1825 for a subordinate.");
  f.notification_emails = field("Notification e-mails", h("input", { name: "notification_emails",
    type: "text", autocomplete: "email" }), "Addresses separated by commas.");
  f.action = field("Lifecycle action", select("action", [["notify", "Notify"],
    ["auto_renew", "Renew automatically (subordinates)"]], "notify"));
  f.threshold_percent = field("Threshold (%)", number("threshold_percent", 1, 99, 80),
    "Act when this share of the CA's lifetime has passed.");
  f.crl_enabled = h("input", { type: "checkbox", name: "crl_enabled", id: uid("crl"),
                               checked: true });
  f.crl_validity = field("CRL lifetime (days)", number("crl_validity", 1, 365, 7));
  f.crl_overlap = field("CRL overlap (hours)", number("crl_overlap", 0, 8760, ""),
    "Empty: the server's default.");
  f.crl_dp = field("Custom CRL endpoint", h("input", { name: "crl_dp", type: "url" }),
    "Empty: edgeca's own URL.");
  f.template = field("Issuance template", select("template", TEMPLATES, "subordinate_ca"));
  f.also = h("fieldset", { class: "field" }, h("legend", {}, "Also allowed templates"),
    TEMPLATES.map(([t]) => {
      const id = uid("t");
      return h("div", { class: "check" }, h("input", { type: "checkbox", id, value: t,
        name: "allowed_templates" }), h("label", { for: id }, t));
    }));
  f.max_validity_days = field("Largest certificate lifetime (days)",
    number("max_validity_days", 1, 36500, RECOMMENDED_MAX.subordinate_ca),
    "Filled with the recommended maximum for the template.");
  return f;
}

// Local checks of one step: [field, message] pairs.
function checkStep(step, f) {
  const bad = [];
  const sub = f.kindValue() === "subordinate";
  if (step === 0) {
    const cn = f.common_name.input.value;
    if (cn.trim() === "") bad.push([f.common_name, "Common name is required."]);
    else if (cn !== cn.trim()) bad.push([f.common_name, "No leading or trailing spaces."]);
    const c = f.country.input.value;
    if (c !== "" && !/^[A-Za-z]{2}$/.test(c)) bad.push([f.country, "Two letters, e.g. DE."]);
    const locs = list(f.locations.input.value);
    if (locs.some((l) => !LOCATION.test(l))) {
      bad.push([f.locations, "Lower-case letters, digits and dashes, not starting with a dash."]);
    } else if (!sub && locs.length > 1) bad.push([f.locations, "A root has one location."]);
    else if (new Set(locs).size !== locs.length) bad.push([f.locations, "Each name once."]);
  }
  if (step === 1) {
    const v = intOrNull(f.validity_days.input);
    if (!f.validity_days.input.disabled && v !== null && !(Number.isInteger(v) && v >= 1 && v <= 36500)) {
      bad.push([f.validity_days, "1 to 36500 days."]);
    }
    if (list(f.notification_emails.input.value).some((e) => !EMAIL.test(e))) {
      bad.push([f.notification_emails, "Each address as name@example.com."]);
    }
    const t = intOrNull(f.threshold_percent.input);
    if (t === null || !(Number.isInteger(t) && t >= 1 && t <= 99)) {
      bad.push([f.threshold_percent, "1 to 99."]);
    }
    if (!sub && f.action.input.value === "auto_renew") {
      bad.push([f.action, "A root CA can only notify."]);
    }
  }
  if (step === 2) {
    const m = intOrNull(f.max_validity_days.input);
    if (m !== null && !(Number.isInteger(m) && m >= 1 && m <= 36500)) {
      bad.push([f.max_validity_days, "1 to 36500 days."]);
    }
  }
  return bad;
}

function body(f) {
  const sub = f.kindValue() === "subordinate";
  const b = { kind: f.kindValue(), common_name: f.common_name.input.value };
  if (sub && f.parent.input.value) b.parent_ca_id = f.parent.input.value;
  if (f.organization.input.value) b.organization = f.organization.input.value;
  if (f.country.input.value) b.country = f.country.input.value.toUpperCase();
  b.key_algorithm = f.key_algorithm.input.value;
  const locs = list(f.locations.input.value);
  if (locs.length) b.locations = locs;
  if (!f.validity_days.input.disabled) b.validity_days = intOrNull(f.validity_days.input);
  b.lifecycle = { notification_emails: list(f.notification_emails.input.value),
    action: f.action.input.value, threshold_percent: intOrNull(f.threshold_percent.input) };
  b.crl = { enabled: f.crl_enabled.checked };
  if (f.crl_enabled.checked) {
    b.crl.validity_days = intOrNull(f.crl_validity.input);
    b.crl.overlap_hours = intOrNull(f.crl_overlap.input);
    if (f.crl_dp.input.value) b.crl.distribution_point = f.crl_dp.input.value;
  }
  const also = [...f.also.querySelectorAll("input:checked")].map((c) => c.value)
    .filter((t) => t !== f.template.input.value);
  b.issuance = { template: f.template.input.value,
    allowed_templates: [f.template.input.value, ...also],
    max_validity_days: intOrNull(f.max_validity_days.input) };
  return b;
}

// The API's members and the fields showing them, with the step of each.
function memberFields(f) {
  return [
    [["common_name"], f.common_name, 0], [["organization"], f.organization, 0],
    [["country"], f.country, 0], [["key_algorithm"], f.key_algorithm, 0],
    [["locations"], f.locations, 0], [["parent_ca_id"], f.parent, 0],
    [["validity_days", "not_after"], f.validity_days, 1],
    [["lifecycle.notification_emails", "notification_emails"], f.notification_emails, 1],
    [["lifecycle.action", "action"], f.action, 1],
    [["lifecycle.threshold_percent", "threshold_percent"], f.threshold_percent, 1],
    [["crl.validity_days"], f.crl_validity, 1], [["crl.overlap_hours", "overlap_hours"], f.crl_overlap, 1],
    [["crl.distribution_point", "distribution_point"], f.crl_dp, 1],
    [["issuance.template", "template", "allowed_templates"], f.template, 2],
    [["issuance.max_validity_days", "max_validity_days"], f.max_validity_days, 2],
  ];
}

export async function render(root, ctx) {
  appendAll(root, h("h1", {}, "Create CA"));
  if (!ctx.can("ca.create")) {
    appendAll(root, h("p", {}, "Only a pki_admin token creates CAs."));
    return;
  }
  const all = await get(`/api/v1/cas${query({ limit: 200 })}`);
  const f = buildFields(all.items.filter((c) => c.status === "active"));
  const alert = alertBox();
  const crlBox = h("details", { class: "advanced" }, h("summary", {}, "Advanced: CRL"),
    h("div", { class: "field check" }, f.crl_enabled,
      h("label", { for: f.crl_enabled.id }, "Publish CRLs")),
    f.crl_validity.wrap, f.crl_overlap.wrap, f.crl_dp.wrap);
  const steps = [
    h("fieldset", { class: "step" }, h("legend", {}, "1 of 3: Kind and subject"), f.kind,
      f.parent.wrap, f.common_name.wrap, f.organization.wrap, f.country.wrap,
      f.key_algorithm.wrap, f.locations.wrap),
    h("fieldset", { class: "step" }, h("legend", {}, "2 of 3: Validity and lifecycle"),
      f.validity_days.wrap, f.notification_emails.wrap, f.action.wrap,
      f.threshold_percent.wrap, crlBox),
    h("fieldset", { class: "step" }, h("legend", {}, "3 of 3: Issuance"), f.template.wrap, f.also,
      f.max_validity_days.wrap),
  ];
  let current = 0;
  let maxEdited = false;
  let validityEdited = false;
  const back = h("button", { type: "button" }, "Back");
  const next = h("button", { type: "button", class: "primary" }, "Next");
  const create = h("button", { type: "submit", class: "primary" }, "Create");
  const form = h("form", { "aria-label": "Create CA", novalidate: true }, steps, alert.el,
    h("div", { class: "actions" }, back, next, create));

  const show = (n) => {
    current = n;
    steps.forEach((s, i) => { s.hidden = i !== n; });
    back.hidden = n === 0;
    next.hidden = n === steps.length - 1;
    create.hidden = n !== steps.length - 1;
  };
  const syncKind = () => {
    const sub = f.kindValue() === "subordinate";
    f.parent.wrap.hidden = !sub;
    const external = sub && f.parent.input.value === "";
    f.validity_days.input.disabled = external;
    if (!validityEdited) f.validity_days.input.value = RECOMMENDED_VALIDITY[f.kindValue()];
    if (!maxEdited) {
      f.template.input.value = sub ? "ssl" : "subordinate_ca";
      f.max_validity_days.input.value = RECOMMENDED_MAX[f.template.input.value];
    }
    if (!sub) f.action.input.value = "notify";
  };
  const clearErrors = () => {
    alert.clear();
    for (const [, fld] of memberFields(f)) setFieldError(fld, null);
  };
  const showErrors = (bad) => {
    for (const [fld, msg] of bad) setFieldError(fld, msg);
    alert.show(bad.map(([, msg]) => msg).join(" "));
    bad[0][0].input.focus();
  };
  // A field shown in error is checked again as it changes.
  form.addEventListener("input", (ev) => {
    const fld = memberFields(f).find(([, x]) => x.input === ev.target)?.[1];
    if (!fld || fld.input.getAttribute("aria-invalid") !== "true") return;
    const still = checkStep(current, f).find(([x]) => x === fld);
    setFieldError(fld, still ? still[1] : null);
  });
  f.kind.addEventListener("change", syncKind);
  f.parent.input.addEventListener("change", syncKind);
  f.validity_days.input.addEventListener("input", () => { validityEdited = true; });
  f.max_validity_days.input.addEventListener("input", () => { maxEdited = true; });
  f.template.input.addEventListener("change", () => {
    if (!maxEdited) f.max_validity_days.input.value = RECOMMENDED_MAX[f.template.input.value];
  });
  back.addEventListener("click", () => { clearErrors(); show(current - 1); });
  next.addEventListener("click", () => {
    clearErrors();
    const bad = checkStep(current, f);
    if (bad.length) showErrors(bad);
    else { show(current + 1); steps[current].querySelector("input, select")?.focus(); }
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors();
    for (let s = 0; s < steps.length; s++) {
      const bad = checkStep(s, f);
      if (bad.length) { show(s); showErrors(bad); return; }
    }
    create.disabled = true;
    try {
      const ca = await post("/api/v1/cas", body(f), { idempotent: true });
      ctx.navigate(`#/cas/${ca.id}`);
    } catch (e) {
      const members = memberFields(f);
      const name = SLUG_MEMBER[e.slug] ?? e.fieldIn?.(members.flatMap(([names]) => names));
      const hit = members.find(([names]) => names.includes(name));
      if (hit) { show(hit[2]); setFieldError(hit[1], e.detail); hit[1].input.focus(); }
      alert.show(e.describe?.() ?? String(e));
    } finally {
      create.disabled = false;
    }
  });
  syncKind();
  show(0);
  appendAll(root, form);
}
