// Request certificate: a CSR pasted or read from a file, previewed as the
// browser decodes it (ui/csr.js, no server call), then sent as
// POST /api/v1/cas/{ca_id}/certificates; the answer opens the new
// certificate's page.

import { get, post, query } from "../api.js";
import { appendAll, h, field, setFieldError, alertBox } from "../dom.js";
import { decodeCsr, derToPem, MAX_INPUT } from "../csr.js";

function preview(result) {
  if (!result) return [h("p", { class: "hint" }, "Paste a CSR to see what it asks for.")];
  if (!result.ok) return [h("p", { class: "field-error" }, `Not a readable CSR: ${result.error}.`)];
  return [h("dl", { class: "details" },
    [["Subject", result.subject || "(empty)"],
      ["Subject alternative names", result.sans.join(", ") || "none"],
      ["Key", result.key], ["Signature", result.signature],
      ...(result.requests_ca ? [["Asks to be a CA", "yes (a device template issues it as CA:FALSE)"]] : []),
    ].map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))];
}

export async function render(root, ctx) {
  appendAll(root, h("h1", {}, "Request certificate"));
  if (!ctx.can("cert.request")) {
    appendAll(root, h("p", {}, "This token's role does not request certificates."));
    return;
  }
  const fixed = ctx.params[0];
  const cas = fixed ? { items: [await get(`/api/v1/cas/${fixed}`)] }
    : await get(`/api/v1/cas${query({ limit: 200 })}`);
  const active = cas.items.filter((c) => c.status === "active");
  const caSel = field("CA", h("select", { name: "ca_id" },
    active.map((c) => h("option", { value: c.id, selected: c.id === fixed }, c.common_name))));
  const csr = field("CSR (PEM)", h("textarea", { name: "csr", rows: 8, spellcheck: "false",
    placeholder: "-----BEGIN CERTIFICATE REQUEST-----" }));
  const file = field("CSR file", h("input", { type: "file", name: "csr_file",
    accept: ".csr,.pem,.der,.req" }), "PEM or DER.");
  const template = field("Template", h("select", { name: "template" }));
  const validity = field("Validity (days)", h("input", { type: "number", name: "validity_days",
    min: 1, max: 36500, step: 1 }));
  const shown = h("section", { "aria-live": "polite", "aria-label": "What the CSR asks for",
                               class: "preview" }, preview(null));
  const alert = alertBox();
  const submit = h("button", { type: "submit", class: "primary" }, "Request certificate");
  const form = h("form", { "aria-label": "Request certificate", novalidate: true },
    active.length > 1 || !fixed ? caSel.wrap : null, csr.wrap, file.wrap,
    h("h2", {}, "The request"), shown, template.wrap, validity.wrap, alert.el, submit);

  const syncCa = () => {
    const ca = active.find((c) => c.id === caSel.input.value) ?? active[0];
    if (!ca) return;
    template.input.replaceChildren(...ca.issuance.allowed_templates.map((t) =>
      h("option", { value: t, selected: t === ca.issuance.template }, t)));
    validity.input.value = ca.issuance.max_validity_days;
    validity.input.max = ca.issuance.max_validity_days;
  };
  const update = () => {
    const text = csr.input.value;
    shown.replaceChildren(...preview(text.trim() === "" ? null : decodeCsr(text)));
  };
  csr.input.addEventListener("input", update);
  caSel.input.addEventListener("change", syncCa);
  file.input.addEventListener("change", async () => {
    const f = file.input.files?.[0];
    if (!f) return;
    if (f.size > MAX_INPUT) { setFieldError(file, "The file is too large for a CSR."); return; }
    const bytes = new Uint8Array(await f.arrayBuffer());
    const result = decodeCsr(bytes);
    csr.input.value = bytes[0] === 0x30 && result.ok ? derToPem(bytes)
      : new TextDecoder().decode(bytes);
    update();
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    alert.clear();
    for (const f of [csr, template, validity, caSel]) setFieldError(f, null);
    const caId = caSel.input.value || fixed;
    if (!caId) { alert.show("There is no active CA to request from."); return; }
    if (csr.input.value.trim() === "") { setFieldError(csr, "Paste a CSR or choose a file."); csr.input.focus(); return; }
    submit.disabled = true;
    try {
      const body = { csr: csr.input.value, template: template.input.value };
      if (validity.input.value !== "") body.validity_days = Number(validity.input.value);
      const cert = await post(`/api/v1/cas/${caId}/certificates`, body, { idempotent: true });
      ctx.navigate(`#/certificates/${caId}/${cert.serial_number}`);
    } catch (e) {
      const named = e.fieldIn?.(["validity_days", "not_after", "template", "csr"]);
      const target = { validity_days: validity, not_after: validity, template }[named]
        ?? (e.slug?.startsWith("csr-") || named === "csr" ? csr : null);
      if (target) setFieldError(target, e.detail);
      alert.show(e.describe?.() ?? String(e));
    } finally {
      submit.disabled = false;
    }
  });
  syncCa();
  appendAll(root, form);
}
