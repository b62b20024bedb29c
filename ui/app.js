// app.js: the portal's shell and hash router. The session decides whether
// the sign-in page or the signed-in pages show; the token's role decides
// which actions each page offers (can()).

import { session, setCsrfToken, onSessionLost } from "./api.js";
import { h } from "./dom.js";
import * as signin from "./pages/signin.js";

// Hash routes: pattern → the page's module, loaded when first visited
// (the sign-in page needs none of them, so it loads only what it uses).
// Parameters are path segments.
const ROUTES = [
  [/^\/cas$/, () => import("./pages/cas.js")],
  [/^\/cas\/new$/, () => import("./pages/ca_create.js")],
  [/^\/cas\/([0-9a-fA-F-]{36})$/, () => import("./pages/ca.js")],
  [/^\/cas\/([0-9a-fA-F-]{36})\/request$/, () => import("./pages/certificate_request.js")],
  [/^\/cas\/([0-9a-fA-F-]{36})\/settings$/, () => import("./pages/ca_settings.js")],
  [/^\/certificates$/, () => import("./pages/certificates.js")],
  [/^\/certificates\/new$/, () => import("./pages/certificate_request.js")],
  [/^\/certificates\/([0-9a-fA-F-]{36})\/([0-9A-Fa-f:]{1,128})$/,
    () => import("./pages/certificate.js")],
  [/^\/tokens$/, () => import("./pages/tokens.js")],
  [/^\/notifications$/, () => import("./pages/notifications.js")],
  [/^\/audit$/, () => import("./pages/audit.js")],
];

// What each role may do, as the API allows it.
const ACTIONS = {
  pki_admin: new Set(["ca.create", "ca.state", "ca.renew", "ca.revoke", "ca.update", "ca.delete",
    "cert.request", "cert.revoke", "cert.unrevoke", "token.create", "token.update", "token.delete",
    "crl.generate"]),
  requester: new Set(["cert.request", "cert.revoke", "cert.unrevoke"]),
  auditor: new Set(),
};

const state = { session: null, generation: 0 };

export function can(action) {
  return ACTIONS[state.session?.role]?.has(action) ?? false;
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/cas";
  const [path, qs] = raw.split("?", 2);
  return { path, query: new URLSearchParams(qs ?? "") };
}

function showShell(signedIn) {
  // The navigation keeps its place while hidden, so nothing moves on sign-in.
  document.body.classList.toggle("signed-in", signedIn);
  document.getElementById("signout").hidden = !signedIn;
  document.getElementById("role").textContent = signedIn ? `Role: ${state.session.role}` : "";
  document.getElementById("who").textContent = signedIn ? `${state.session.token_name} ·` : "";
}

function markNav(path) {
  for (const a of document.querySelectorAll("#nav a")) {
    const section = a.getAttribute("href").slice(1);
    if (path === section || path.startsWith(`${section}/`)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

async function route() {
  const generation = ++state.generation;
  const main = document.getElementById("main");
  const { path, query } = parseHash();
  const container = h("div", { class: "page" });
  let page = signin;
  let params = [];
  if (state.session) {
    page = null;
    for (const [re, load] of ROUTES) {
      const m = re.exec(path);
      if (m) {
        params = m.slice(1);
        try {
          page = await load();
        } catch (e) {
          page = {
            render: async (c) => c.append(h("h1", {}, "This page could not be loaded"),
              h("div", { role: "alert", class: "alert" }, `${String(e)}: reload to try again.`)),
          };
        }
        break;
      }
    }
  }
  markNav(path);
  if (page === null) {
    container.append(h("h1", {}, "Not found"), h("p", {}, "No page has this address."));
  } else {
    try {
      await page.render(container, { params, query, session: state.session, can, navigate,
                                     signedIn });
    } catch (e) {
      container.append(h("div", { role: "alert", class: "alert" }, e.describe?.() ?? String(e)));
    }
  }
  if (generation !== state.generation) return;
  main.replaceChildren(container);
  const heading = container.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    if (document.activeElement === document.body || document.activeElement === null ||
        document.activeElement.closest?.("#nav")) heading.focus({ preventScroll: true });
    document.title = `${heading.textContent} – edgeca`;
  }
}

function signedIn(s) {
  state.session = s;
  setCsrfToken(s?.csrf_token ?? null);
  showShell(s !== null);
  route();
}

async function signOut() {
  try {
    await session.end();
  } catch {
    /* the session is gone either way */
  }
  signedIn(null);
  history.replaceState(null, "", location.pathname);
}

async function start() {
  onSessionLost(() => {
    if (state.session) signedIn(null);
  });
  document.getElementById("signout").addEventListener("click", signOut);
  window.addEventListener("hashchange", route);
  let s = null;
  try {
    s = await session.current();
  } catch {
    s = null;
  }
  signedIn(s);
}

start();
