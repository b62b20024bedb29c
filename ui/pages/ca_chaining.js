// A CA's page, the flows with outside parties: the DPS proof of possession
// (a verification certificate for the code DPS shows) and external
// chaining (upload the certificate an external root signed for a waiting
// location's CSR).

import { request, saveBlob } from "../api.js";
import { h, field, alertBox, announce } from "../dom.js";

function locationSelect(names) {
  return field("Location", h("select", { name: "location" },
    names.map((n) => h("option", { value: n }, n))));
}

export function dpsVerification(ca, ctx) {
  const active = ca.locations.filter((l) => l.status === "active").map((l) => l.name);
  if (!ctx.can("ca.state") || active.length === 0 || ca.status !== "active") return null;
  const code = field("Verification code", h("input", { name: "verification_code",
    autocomplete: "off", maxlength: 64 }), "The code DPS shows for the uploaded CA certificate.");
  const loc = active.length > 1 ? locationSelect(active) : null;
  const alert = alertBox();
  const form = h("form", { "aria-label": "DPS verification certificate" }, code.wrap,
    loc?.wrap, h("button", { type: "submit" }, "Download verification certificate"), alert.el);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    alert.clear();
    try {
      const resp = await request("POST", `/api/v1/cas/${ca.id}/verification-certificate`, {
        body: { verification_code: code.input.value.trim(), location: loc?.input.value ?? null },
        accept: "application/x-pem-file", raw: true });
      saveBlob(await resp.blob(), "verification.pem");
      announce("Verification certificate downloaded: upload it to DPS.");
    } catch (e) {
      alert.show(e.describe?.() ?? String(e));
    }
  });
  return [h("h2", {}, "DPS verification certificate"), form];
}

export function externalUpload(ca, ctx, reload) {
  const waiting = ca.locations.filter((l) => l.status === "pending_chaining");
  if (!ctx.can("ca.state") || waiting.length === 0 || ca.parent_ca_id) return null;
  const forms = waiting.map((l) => {
    const pem = field(`Signed certificate for ${l.name} (PEM)`, h("textarea", { name: "certificate",
      rows: 6, spellcheck: "false" }), "The certificate the external root signed for this location's CSR, then its issuers up to the root.");
    const alert = alertBox();
    const form = h("form", { "aria-label": `Upload the certificate of ${l.name}` }, pem.wrap,
      h("button", { type: "submit", class: "primary" }, `Upload for ${l.name}`), alert.el);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      alert.clear();
      try {
        await request("POST", `/api/v1/cas/${ca.id}/locations/${l.name}/certificate`,
          { text: pem.input.value, contentType: "application/pem-certificate-chain" });
        announce(`Location ${l.name} chained.`);
        reload();
      } catch (e) {
        alert.show(e.describe?.() ?? String(e));
      }
    });
    return form;
  });
  return [h("h2", {}, "Chaining to an external root"), h("p", {},
    "Download each location's CSR (Locations above), have the external root sign it, and upload the certificate here."),
  forms];
}
