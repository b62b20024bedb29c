// The sign-in page: an API token exchanged for a session
// (POST /api/v1/sessions); the token itself is never kept by the portal.

import { session } from "../api.js";
import { appendAll, h, field, alertBox } from "../dom.js";

export async function render(root, ctx) {
  const alert = alertBox();
  const token = field("API token", h("input", { type: "password", name: "token",
    autocomplete: "off", required: true, spellcheck: "false" }),
  "A token created with `edgeca-server token create` or on the Tokens page.");
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "signin", "aria-labelledby": "signin-title" },
    token.wrap, alert.el, button);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    alert.clear();
    button.disabled = true;
    try {
      const s = await session.create(token.input.value.trim());
      token.input.value = "";
      ctx.signedIn(s);
    } catch (e) {
      alert.show(e.describe?.() ?? String(e));
      token.input.focus();
    } finally {
      button.disabled = false;
    }
  });
  appendAll(root, h("h1", { id: "signin-title" }, "Sign in to edgeca"), form);
  setTimeout(() => token.input.focus(), 0);
}
