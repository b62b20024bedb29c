// A certificate's page: subject, SANs, validity, status, its chain and
// downloads, its audit entries, and revocation with a reason.

import { get, post, download, query } from "../api.js";
import { appendAll, h, field, table, statusBadge, fmtDate, alertBox, dialog, announce } from "../dom.js";

const REASONS = ["unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
  "superseded", "cessationOfOperation", "certificateHold", "privilegeWithdrawn", "aACompromise"];

function revokeDialog(path, reload) {
  const reason = field("Reason", h("select", { name: "reason" },
    REASONS.map((r) => h("option", { value: r }, r))));
  const alert = alertBox();
  const confirm = h("button", { type: "button", class: "danger" }, "Revoke");
  const cancel = h("button", { type: "button" }, "Cancel");
  const dlg = dialog("Revoke this certificate?", [h("p", {},
    "It goes on the CA's next CRL and OCSP answers revoked (certificateHold can be lifted)."),
  reason.wrap, alert.el], [confirm, cancel]);
  cancel.addEventListener("click", () => dlg.close());
  confirm.addEventListener("click", async () => {
    alert.clear();
    confirm.disabled = true;
    try {
      await post(`${path}/revoke`, { reason: reason.input.value });
      dlg.close();
      announce("Certificate revoked.");
      reload();
    } catch (e) {
      alert.show(e.describe?.() ?? String(e));
      confirm.disabled = false;
    }
  });
}

// Releases the hold of a certificate on certificateHold.
async function releaseHold(path, alert, reload) {
  alert.clear();
  try {
    await post(`${path}/unrevoke`, {}, { idempotent: true });
    announce("Hold released: the certificate is valid again.");
    reload();
  } catch (e) {
    alert.show(e.describe?.() ?? String(e));
  }
}

// An admin revokes (and releases) any certificate, a requester those its token's name
// requested.
function mayRevoke(ctx, cert, action = "cert.revoke") {
  if (!ctx.can(action)) return false;
  return ctx.session.role === "pki_admin" || cert.requester === `token:${ctx.session.token_name}`;
}

export async function render(root, ctx) {
  const [caId, serial] = ctx.params;
  const path = `/api/v1/cas/${caId}/certificates/${serial}`;
  const [cert, ca, events] = await Promise.all([get(path),
    get(`/api/v1/cas/${caId}`).catch(() => null),
    get(`/api/v1/audit${query({ object_id: `${caId}/${serial}`, limit: 50 })}`)
      .catch(() => null)]);
  const alert = alertBox();
  const reload = () => ctx.navigate(location.hash);
  const dl = (label, accept, file) => h("button", { type: "button", onclick: async () => {
    alert.clear();
    try { await download(path, accept, file); } catch (e) { alert.show(e.describe?.() ?? String(e)); }
  } }, label);
  const name = cert.common_name ?? serial;
  appendAll(root,
    h("h1", {}, name),
    h("p", { class: "status-line" }, "Status: ", statusBadge(cert.status),
      cert.revocation ? ` (${cert.revocation.reason}, ${cert.revocation.revoked_at} by ${cert.revocation.revoked_by})` : ""),
    alert.el,
    h("div", { class: "button-row" },
      dl("Download PEM", "application/x-pem-file", `${name}.pem`),
      dl("Download DER", "application/pkix-cert", `${name}.cer`),
      dl("Download with chain", "application/pem-certificate-chain", `${name}-chain.pem`),
      mayRevoke(ctx, cert) && cert.status === "valid"
        ? h("button", { type: "button", class: "danger", onclick: () => revokeDialog(path, reload) },
          "Revoke") : null,
      mayRevoke(ctx, cert, "cert.unrevoke") && cert.status === "revoked" &&
        cert.revocation?.reason === "certificateHold"
        ? h("button", { type: "button", onclick: () => releaseHold(path, alert, reload) },
          "Release hold") : null),
    h("dl", { class: "details" },
      [["Serial", cert.serial_number], ["Subject", cert.subject],
        ["Subject alternative names", cert.subject_alt_names.join(", ") || "none"],
        ["CA", h("a", { href: `#/cas/${caId}` }, ca?.common_name ?? caId)], ["Location", cert.location],
        ["Key", cert.key_algorithm], ["Template", cert.template],
        ["Valid from", fmtDate(cert.not_before)], ["Expires", fmtDate(cert.not_after)],
        ["Requested by", cert.requester], ["Issued", fmtDate(cert.created_at)],
      ].map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("details", {}, h("summary", {}, "Certificate and chain (PEM)"),
      h("pre", { tabindex: 0, "aria-label": "Certificate and chain, PEM" },
        cert.certificate_pem + (cert.chain_pem ?? ""))),
    h("h2", {}, "Audit entries"),
    events === null ? h("p", {}, "The audit trail is not open to this token.")
      : table("Audit entries of this certificate", ["Time", "Actor", "Action"],
        events.items.map((e) => [fmtDate(e.at), e.actor, e.action])));
}
