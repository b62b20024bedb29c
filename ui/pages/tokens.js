// Tokens: the list (pki_admin), creating one (its secret shown this once)
// and deleting one.

import { get, post, del, query, getTagged, patchTagged } from "../api.js";
import { appendAll, h, field, setFieldError, table, fmtDate, alertBox, copyButton, dialog, announce, uid } from "../dom.js";
import { TOKEN_FIELDS, tokenSettings, patchBody } from "../settings.js";

function createForm(ctx) {
  const name = field("Name", h("input", { name: "name", maxlength: 100, autocomplete: "off" }));
  const role = field("Role", h("select", { name: "role" },
    ["requester", "auditor", "pki_admin"].map((r) => h("option", { value: r }, r))));
  const expires = field("Expires", h("input", { type: "date", name: "expires_at" }),
    "Empty: never.");
  const email = field("E-mail", h("input", { type: "email", name: "email", autocomplete: "off" }),
    "Lifecycle e-mails reach a pki_admin token's address.");
  const alert = alertBox();
  const secret = h("div", { "aria-live": "polite" });
  const form = h("form", { "aria-label": "Create token", class: "inline-form", novalidate: true },
    name.wrap, role.wrap, expires.wrap, email.wrap,
    h("button", { type: "submit", class: "primary" }, "Create token"), alert.el, secret);
  const fields = { name, role, expires_at: expires, email };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    alert.clear();
    Object.values(fields).forEach((f) => setFieldError(f, null));
    const body = { name: name.input.value, role: role.input.value };
    if (expires.input.value) body.expires_at = `${expires.input.value}T00:00:00Z`;
    if (email.input.value) body.email = email.input.value;
    try {
      const t = await post("/api/v1/tokens", body);
      const id = uid("secret");
      secret.replaceChildren(h("div", { class: "secret", role: "status" },
        h("p", {}, `Token ${t.name} created. Copy its secret now: it is not shown again.`),
        h("code", { id }, t.token), " ", copyButton(t.token, "token secret", id),
        h("p", {}, h("a", { href: "#/tokens" }, "Done"))));
      form.reset();
    } catch (e) {
      const named = e.fieldIn?.(Object.keys(fields));
      if (named) setFieldError(fields[named], e.detail);
      alert.show(e.describe?.() ?? String(e));
    }
  });
  return form;
}

function confirmDelete(t, ctx, alert) {
  const yes = h("button", { type: "button", class: "danger" }, "Delete");
  const no = h("button", { type: "button", autofocus: true }, "Cancel");
  const dlg = dialog(`Delete token ${t.name}?`, h("p", {},
    "It stops working at once; its name is never given to another token."), [yes, no]);
  no.addEventListener("click", () => dlg.close());
  yes.addEventListener("click", async () => {
    try {
      await del(`/api/v1/tokens/${t.id}`);
      announce(`Token ${t.name} deleted.`);
      ctx.navigate("#/tokens");
    } catch (e) {
      alert.show(e.describe?.() ?? String(e));
    }
    dlg.close();
  });
}

// The CA choices of the scope: the first 200 CAs (so that the dialog opens
// quickly with many CAs) and any the token is limited to beyond them.
function scopeOptions(cas, ids) {
  const known = new Set(cas.map((c) => c.id));
  return [...cas.map((c) => h("option", { value: c.id, selected: ids.includes(c.id) },
    c.common_name)), ...ids.filter((i) => !known.has(i)).map((i) =>
    h("option", { value: i, selected: true }, i))];
}

// Changes a token's e-mail and CA scope (PATCH with If-Match of the version
// the dialog shows; 412 when someone else changed it meanwhile).
async function editDialog(t, ctx, pageAlert) {
  let token, etag, cas;
  try {
    [{ body: token, etag }, { items: cas }] = await Promise.all([
      getTagged(`/api/v1/tokens/${t.id}`), get(`/api/v1/cas${query({ limit: 200 })}`)]);
  } catch (e) {
    pageAlert.show(e.describe?.() ?? String(e));
    return;
  }
  const base = tokenSettings(token);
  const email = field("E-mail", h("input", { type: "email", name: "email", autocomplete: "off",
    value: base.email ?? "" }), "Empty: no address.");
  const all = field("All CAs", h("input", { type: "checkbox", name: "all_cas",
    checked: base.ca_ids === null }), "Unchecked: the token reaches only the CAs chosen below.");
  all.wrap.classList.add("check");
  const scope = field("Limited to CAs", h("select", { name: "ca_ids", multiple: true, size: 6 },
    scopeOptions(cas, base.ca_ids ?? [])), "The first 200 CAs, and those the token has.");
  const syncScope = () => { scope.input.disabled = all.input.checked; };
  all.input.addEventListener("change", syncScope);
  syncScope();
  const alert = alertBox();
  const save = h("button", { type: "button", class: "primary" }, "Save token");
  const cancel = h("button", { type: "button" }, "Cancel");
  const expires = token.expires_at ? fmtDate(token.expires_at) : "never";
  const dlg = dialog(`Edit token ${t.name}`, [h("p", {}, "Expires: ", expires),
    email.wrap, all.wrap, scope.wrap, alert.el], [save, cancel]);
  cancel.addEventListener("click", () => dlg.close());
  save.addEventListener("click", async () => {
    alert.clear();
    [email, scope].forEach((f) => setFieldError(f, null));
    const ids = all.input.checked ? null
      : [...scope.input.selectedOptions].map((o) => o.value).sort();
    if (ids !== null && ids.length === 0) {
      setFieldError(scope, "Choose at least one CA, or All CAs.");
      return;
    }
    const body = patchBody(base, { email: email.input.value.trim() || null, ca_ids: ids },
      TOKEN_FIELDS);
    if (body === null) {
      alert.show("Nothing changed: there is nothing to save.");
      return;
    }
    save.disabled = true;
    try {
      await patchTagged(`/api/v1/tokens/${t.id}`, body, etag);
      dlg.close();
      announce(`Token ${t.name} changed.`);
      ctx.navigate("#/tokens");
    } catch (e) {
      if (e.slug === "precondition-failed") {
        alert.show("Someone else changed this token since this dialog opened: nothing was saved. Close it and edit again to see the new values.");
      } else {
        const named = e.fieldIn?.(["email", "ca_ids"]);
        if (named) setFieldError(named === "email" ? email : scope, e.detail);
        alert.show(e.describe?.() ?? String(e));
      }
      save.disabled = false;
    }
  });
}

export async function render(root, ctx) {
  appendAll(root, h("h1", {}, "Tokens"));
  if (!ctx.can("token.create")) {
    appendAll(root, h("p", {}, "Only a pki_admin token lists and manages tokens."));
    return;
  }
  const cursor = ctx.query.get("cursor");
  const page = await get(`/api/v1/tokens${query({ limit: 100, cursor })}`);
  const alert = alertBox();
  const rows = page.items.map((t) => [t.name, t.role, fmtDate(t.expires_at), t.email ?? "–",
    t.ca_ids ? `${t.ca_ids.length} CA(s)` : "all", fmtDate(t.created_at),
    h("div", { class: "button-row" },
      ctx.can("token.update") ? h("button", { type: "button", class: "small",
        "aria-label": `Edit ${t.name}`, onclick: () => editDialog(t, ctx, alert) }, "Edit") : null,
      h("button", { type: "button", class: "small danger", "aria-label": `Delete ${t.name}`,
        onclick: () => confirmDelete(t, ctx, alert) }, "Delete"))]);
  appendAll(root, h("h2", {}, "New token"), createForm(ctx), h("h2", {}, "All tokens"), alert.el,
    table("API tokens", ["Name", "Role", "Expires", "E-mail", "CAs", "Created", ""], rows),
    page.next_cursor ? h("a", { class: "button",
      href: `#/tokens?cursor=${encodeURIComponent(page.next_cursor)}` }, "Next page") : null);
}
