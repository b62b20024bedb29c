// The state-changing actions of a CA's page, each behind its role:
// disable (a dialog with an optional reason), enable, renew (a dialog),
// revoke (a dialog with the reason), a CRL now.

import { post, del } from "../api.js";
import { h, field, setFieldError, alertBox, dialog, announce } from "../dom.js";

const CA_REASONS = ["unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
  "superseded", "cessationOfOperation", "privilegeWithdrawn", "aACompromise"];

// Runs fn, shows its problem in alert, and reloads the page when it worked.
async function act(alert, fn, done, reload) {
  alert.clear();
  try {
    await fn();
    announce(done);
    reload();
  } catch (e) {
    alert.show(e.describe?.() ?? String(e));
  }
}

function revokeDialog(ca, reload) {
  const reason = field("Reason", h("select", { name: "reason" },
    CA_REASONS.map((r) => h("option", { value: r }, r))));
  const alert = alertBox();
  const confirm = h("button", { type: "button", class: "danger" }, "Revoke");
  const cancel = h("button", { type: "button" }, "Cancel");
  const dlg = dialog(`Revoke ${ca.common_name}?`, [h("p", {},
    "Every location of the CA is revoked; the certificates it issued become issuer_revoked. This cannot be undone."),
  reason.wrap, alert.el], [confirm, cancel]);
  cancel.addEventListener("click", () => dlg.close());
  confirm.addEventListener("click", () => act(alert, async () => {
    await post(`/api/v1/cas/${ca.id}/revoke`, { reason: reason.input.value });
    dlg.close();
  }, "CA revoked.", reload));
}

// Disabling stops every issuance under the CA until Enable; the reason
// (optional, 1 to 200 characters) goes to the audit trail's ca.disable.
function disableDialog(ca, reload) {
  const reason = field("Reason", h("input", { name: "reason", maxlength: 200, autocomplete: "off" }),
    "Optional: why, for the audit trail.");
  const alert = alertBox();
  const confirm = h("button", { type: "button", class: "danger" }, "Disable CA");
  const cancel = h("button", { type: "button" }, "Cancel");
  const dlg = dialog(`Disable ${ca.common_name}?`, [h("p", {},
    "The CA issues nothing until it is enabled again: its devices' EST enrollments are refused " +
    "(403) and API requests answer 409 ca-disabled. Its CRLs, OCSP and revocations go on."),
  reason.wrap, alert.el], [confirm, cancel]);
  cancel.addEventListener("click", () => dlg.close());
  confirm.addEventListener("click", async () => {
    alert.clear();
    setFieldError(reason, null);
    confirm.disabled = true;
    const text = reason.input.value.trim();
    try {
      await post(`/api/v1/cas/${ca.id}/disable`, text === "" ? {} : { reason: text });
      dlg.close();
      announce("CA disabled.");
      reload();
    } catch (e) {
      if (e.fieldIn?.(["reason"])) {
        setFieldError(reason, e.detail);
        reason.input.focus();
      }
      alert.show(e.describe?.() ?? String(e));
      confirm.disabled = false;
    }
  });
}

// Renewing makes a new key at each active location: chained inside edgeca,
// a new certificate at once; chained to an external root, a CSR to get signed.
function renewDialog(ca, reload) {
  const alert = alertBox();
  const confirm = h("button", { type: "button", class: "primary" }, "Renew CA");
  // no field to fill: the focus starts on Cancel, so Enter confirms nothing
  const cancel = h("button", { type: "button", autofocus: true }, "Cancel");
  const what = ca.chaining === "external"
    ? "Each active location gets a new key whose CSR waits to be signed by the external root; " +
      "the location keeps issuing with its current key until the signed certificate is uploaded."
    : "Each active location gets a new key and a new certificate; certificates issued from then on " +
      "chain to it. The replaced certificates stay valid until they expire.";
  const dlg = dialog(`Renew ${ca.common_name}?`, [h("p", {}, what), alert.el], [confirm, cancel]);
  cancel.addEventListener("click", () => dlg.close());
  confirm.addEventListener("click", async () => {
    alert.clear();
    confirm.disabled = true;
    try {
      await post(`/api/v1/cas/${ca.id}/renew`, {}, { idempotent: true });
      dlg.close();
      announce("Renewal done or requested.");
      reload();
    } catch (e) {
      alert.show(e.describe?.() ?? String(e));
      confirm.disabled = false;
    }
  });
}

// Deleting is for a CA that never issued anything; any other answers 409
// ca-has-issued, whose detail says what it has (and then Delete stays off).
function deleteDialog(ca, ctx) {
  const alert = alertBox();
  const confirm = h("button", { type: "button", class: "danger" }, "Delete CA");
  const cancel = h("button", { type: "button", autofocus: true }, "Cancel");
  const dlg = dialog(`Delete ${ca.common_name}?`, [h("p", {},
    "Only a CA that never issued anything (no certificate, CRL or subordinate) can be deleted; the signer destroys its keys. This cannot be undone."),
  alert.el], [confirm, cancel]);
  cancel.addEventListener("click", () => dlg.close());
  confirm.addEventListener("click", async () => {
    alert.clear();
    confirm.disabled = true;
    try {
      await del(`/api/v1/cas/${ca.id}`);
      dlg.close();
      announce(`${ca.common_name} deleted.`);
      ctx.navigate("#/cas");
    } catch (e) {
      // ca-has-issued: the detail names what the CA has and advises disabling it
      alert.show(e.describe?.() ?? String(e));
      confirm.disabled = e.slug === "ca-has-issued";
    }
  });
}

export function caActions(ca, ctx, alert, reload) {
  const buttons = [];
  const base = `/api/v1/cas/${ca.id}`;
  if (ctx.can("ca.state") && ca.status === "active") {
    buttons.push(h("button", { type: "button", onclick: () => disableDialog(ca, reload) },
      "Disable"));
  }
  if (ctx.can("ca.state") && ca.status === "disabled") {
    buttons.push(h("button", { type: "button", onclick: () => act(alert,
      () => post(`${base}/enable`, {}), "CA enabled.", reload) }, "Enable"));
  }
  // a root is not renewed (the API answers 422 root-renewal): a new root is a new CA
  if (ctx.can("ca.renew") && ca.status === "active" && ca.kind !== "root" &&
      ca.chaining !== "pending") {
    buttons.push(h("button", { type: "button", onclick: () => renewDialog(ca, reload) },
      "Renew"));
  }
  if (ctx.can("crl.generate") && ca.crl.enabled && ca.status !== "pending_chaining") {
    buttons.push(h("button", { type: "button", onclick: () => act(alert,
      () => post(`${base}/crl`, {}), "New CRL published.", reload) }, "Publish CRL now"));
  }
  if (ctx.can("ca.revoke") && ca.status !== "revoked") {
    buttons.push(h("button", { type: "button", class: "danger",
      onclick: () => revokeDialog(ca, reload) }, "Revoke CA"));
  }
  if (ctx.can("ca.delete")) {
    buttons.push(h("button", { type: "button", class: "danger",
      onclick: () => deleteDialog(ca, ctx) }, "Delete CA"));
  }
  return buttons;
}
