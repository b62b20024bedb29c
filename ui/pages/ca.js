// A CA's page: its state, locations and their certificates, EST URLs, the
// IoT Edge config.toml snippet, CRL and OCSP, lifecycle, and the actions
// the role allows.

import { get, download, query, saveBlob } from "../api.js";
import { appendAll, h, field, table, statusBadge, fmtDate, alertBox, copyButton, uid } from "../dom.js";
import { expiry } from "./lifetime.js";
import { caActions } from "./ca_actions.js";
import { dpsVerification, externalUpload } from "./ca_chaining.js";

function saveText(text, filename, type) {
  saveBlob(new Blob([text], { type }), filename);
}

function details(pairs) {
  return h("dl", { class: "details" }, pairs.filter(([, v]) => v !== undefined)
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "–")]));
}

function downloadButton(label, fn, alert) {
  return h("button", { type: "button", onclick: async () => {
    alert.clear();
    try { await fn(); } catch (e) { alert.show(e.describe?.() ?? String(e)); }
  } }, label);
}

function locations(ca, alert) {
  const base = `/api/v1/cas/${ca.id}/locations`;
  const rows = ca.locations.map((l) => [
    l.name, statusBadge(l.status), l.serial_number ?? "–",
    l.not_after ? expiry(l.not_before, l.not_after, ca.lifecycle.threshold_percent) : "–",
    h("div", { class: "button-row" },
      l.certificate_pem ? downloadButton(`PEM (${l.name})`,
        () => saveText(l.certificate_pem, `${l.name}.pem`, "application/x-pem-file"), alert) : null,
      l.certificate_pem ? downloadButton(`Chain (${l.name})`, () => download(`${base}/${l.name}/chain`,
        "application/pem-certificate-chain", `${l.name}-chain.pem`), alert) : null,
      l.csr_pem ? downloadButton(`CSR (${l.name})`,
        () => saveText(l.csr_pem, `${l.name}.csr`, "application/pkcs10"), alert) : null),
  ]);
  return table("Locations", ["Location", "Status", "Serial", "Expires", "Downloads"], rows);
}

function estUrls(ca) {
  const off = ca.est.enabled ? null
    : h("p", { class: "hint" }, "EST is off for this CA (est.enabled): devices enrolling at these URLs are refused until it is turned on.");
  const urls = [...ca.est.urls.map((u) => [`${u.location} (${u.status.replace(/_/g, " ")})`, u.url]),
    ...(ca.est.label_url ? [["label", ca.est.label_url]] : []),
    ...(ca.est.default_url ? [["default", ca.est.default_url]] : [])];
  return [off, h("ul", { class: "urls" }, urls.map(([what, url]) => {
    const id = uid("url");
    return h("li", {}, h("span", { class: "hint" }, `${what}: `), h("code", { id }, url), " ",
      copyButton(url, "EST URL", id));
  }))];
}

function iotEdge(ca) {
  const reg = field("Registration ID", h("input", { name: "registration_id", autocomplete: "off" }),
    "The device's DPS registration ID, also its certificates' CN.");
  const scope = field("ID scope", h("input", { name: "id_scope", autocomplete: "off" }),
    "The DPS ID scope, e.g. 0ne00ABCDEF.");
  const alert = alertBox();
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { "aria-label": "IoT Edge configuration" }, reg.wrap, scope.wrap,
    h("button", { type: "submit" }, "Show config.toml"), alert.el, out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    alert.clear();
    try {
      const resp = await get(`/api/v1/cas/${ca.id}/iotedge-config${query({
        registration_id: reg.input.value, id_scope: scope.input.value })}`,
      { accept: "text/plain", raw: true });
      const text = await resp.text();
      const id = uid("toml");
      out.replaceChildren(h("pre", { id, tabindex: 0 }, text), copyButton(text, "config.toml", id));
    } catch (e) {
      alert.show(e.describe?.() ?? String(e));
    }
  });
  return form;
}

// While the CA is disabled: when, by whom and why (ca.disabled; its time
// and actor null only for a CA disabled before edgeca kept them).
function disabledNote(d) {
  if (!d) return null;
  return h("span", { class: "disabled-note" }, " · Disabled",
    d.at ? [" ", fmtDate(d.at)] : null, d.by ? ` by ${d.by}` : null,
    d.reason ? `: ${d.reason}` : null);
}

export async function render(root, ctx) {
  const [id] = ctx.params;
  const ca = await get(`/api/v1/cas/${id}`);
  const alert = alertBox();
  const reload = () => ctx.navigate(`#/cas/${id}`);
  const base = `/api/v1/cas/${id}`;
  const canRequest = ctx.can("cert.request") && ca.status === "active";
  appendAll(root,
    h("h1", {}, ca.common_name),
    h("p", { class: "status-line" }, "Status: ", statusBadge(ca.status),
      ca.revocation ? ` (${ca.revocation.reason}, ${ca.revocation.revoked_at})` : "",
      disabledNote(ca.disabled)),
    alert.el,
    h("div", { class: "button-row" },
      downloadButton("Download certificate (PEM)", () => download(`${base}/certificate`,
        "application/x-pem-file", `${ca.common_name}.pem`), alert),
      downloadButton("Download certificate (DER)", () => download(`${base}/certificate`,
        "application/pkix-cert", `${ca.common_name}.cer`), alert),
      canRequest ? h("a", { href: `#/cas/${id}/request`, class: "button primary" },
        "Request certificate") : null,
      h("a", { href: `#/certificates?ca_id=${id}`, class: "button" }, "Its certificates"),
      ctx.can("ca.update") ? h("a", { href: `#/cas/${id}/settings`, class: "button" },
        "Edit settings") : null,
      caActions(ca, ctx, alert, reload)),
    details([
      ["Kind", ca.kind === "root" ? "Root CA" : "Subordinate CA"],
      ["Chaining", ca.chaining],
      ["Parent CA", ca.parent_ca_id ? h("a", { href: `#/cas/${ca.parent_ca_id}` }, ca.parent_ca_id)
        : undefined],
      ["Subject", ca.subject], ["Key algorithm", ca.key_algorithm],
      ["Valid from", fmtDate(ca.not_before)],
      ["Expires", ca.not_after ? expiry(ca.not_before, ca.not_after,
        ca.lifecycle.threshold_percent) : "–"],
      ["Created", [fmtDate(ca.created_at), ` by ${ca.created_by}`]],
    ]),
    h("h2", {}, "Locations"), locations(ca, alert),
    externalUpload(ca, ctx, reload),
    h("h2", {}, "EST"), estUrls(ca),
    h("h2", {}, "IoT Edge config.toml"), iotEdge(ca),
    dpsVerification(ca, ctx),
    h("h2", {}, "CRL and OCSP"),
    details([
      ["CRL", ca.crl.enabled ? `on, valid ${ca.crl.validity_days} days, overlap ${ca.crl.overlap_hours} h`
        : "off"],
      ["CRL endpoint", ca.crl.distribution_point ?? "edgeca's own URL"],
      ["Delta CRLs", ca.crl.delta?.enabled ? `every ${ca.crl.delta.interval_minutes} min` : "off"],
      ["OCSP", ca.ocsp.enabled ? `on, answers valid ${ca.ocsp.validity_seconds} s` : "off"],
    ]),
    ca.crl.enabled ? downloadButton("Download CRL (PEM)", () => download(`${base}/crl`,
      "application/x-pem-file", `${ca.common_name}.crl.pem`), alert) : null,
    h("h2", {}, "Lifecycle"),
    details([
      ["Action", ca.lifecycle.action === "auto_renew" ? "renew automatically" : "notify"],
      ["Threshold", `${ca.lifecycle.threshold_percent} %`],
      ["Notification e-mails", ca.lifecycle.notification_emails.join(", ") || "none"],
      ["Webhook", ca.lifecycle.webhook_url ?? "none"],
      ["Issuance", `${ca.issuance.template} (allowed: ${ca.issuance.allowed_templates.join(", ")}), at most ${ca.issuance.max_validity_days} days`],
    ]),
    h("p", {}, h("a", { href: `#/notifications?ca_id=${id}` }, "Its notifications"), " · ",
      h("a", { href: `#/audit?object_id=${id}` }, "Its audit entries")));
}
