// Tokens: the list (pki_admin), creating one (its secret shown this once)
// and deleting one.

import { get, post, del, query } from "../api.js";
import { appendAll, h, field, setFieldError, table, fmtDate, alertBox, copyButton, dialog, announce, uid } from "../dom.js";

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
  const no = h("button", { type: "button" }, "Cancel");
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
    h("button", { type: "button", class: "small danger", "aria-label": `Delete ${t.name}`,
      onclick: () => confirmDelete(t, ctx, alert) }, "Delete")]);
  appendAll(root, h("h2", {}, "New token"), createForm(ctx), h("h2", {}, "All tokens"), alert.el,
    table("API tokens", ["Name", "Role", "Expires", "E-mail", "CAs", "Created", ""], rows),
    page.next_cursor ? h("a", { class: "button",
      href: `#/tokens?cursor=${encodeURIComponent(page.next_cursor)}` }, "Next page") : null);
}
