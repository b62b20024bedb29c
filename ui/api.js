// api.js: the portal's only way to the server: the public REST API, same
// origin, with the session cookie. Unsafe methods carry the session's CSRF
// token (X-CSRF-Token); errors come back as ApiProblem, read from the
// application/problem+json body (branch on .slug, show .detail).

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const PROBLEM_PREFIX = "urn:edgeca:problem:";

let csrfToken = null;
let onSignedOut = () => {};

export function setCsrfToken(token) {
  csrfToken = token;
}

// fn() runs when the API says the session is gone (401 on any call but the
// sign-in itself).
export function onSessionLost(fn) {
  onSignedOut = fn;
}

export class ApiProblem extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.slug = String(problem?.type ?? "").startsWith(PROBLEM_PREFIX)
      ? problem.type.slice(PROBLEM_PREFIX.length) : "";
    this.detail = this.message;
    this.requestId = problem?.request_id ?? null;
    this.retryAfter = retryAfter;
  }

  // The text to show: the detail, with what to do for passing states and
  // faults.
  describe() {
    if (this.status === 503) {
      return `${this.detail} Try again in ${this.retryAfter ?? "a few"} seconds.`;
    }
    if (this.status >= 500 && this.requestId) {
      return `${this.detail} (request ${this.requestId})`;
    }
    return this.detail;
  }

  // The member of `names` the detail names, longest first (the API names
  // the offending member in every detail), or null.
  fieldIn(names) {
    const sorted = [...names].sort((a, b) => b.length - a.length);
    for (const n of sorted) {
      const re = new RegExp(`(^|[^a-z_.])${n.replace(/[.]/g, "\\.")}($|[^a-z_])`);
      if (re.test(this.detail)) return n;
    }
    return null;
  }
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

async function problemOf(resp) {
  const type = resp.headers.get("Content-Type") ?? "";
  let body = null;
  if (type.includes("json")) {
    try { body = await resp.json(); } catch { body = null; }
  }
  return new ApiProblem(resp.status, body, resp.headers.get("Retry-After"));
}

// request("GET", "/api/v1/cas") → the parsed JSON (null for 204).
// opts: body (JSON) or text with contentType, accept, idempotent (adds an Idempotency-Key, so a
// retried creation is not made twice), ifMatch (an ETag: the change applies only to that
// version, 412 precondition-failed otherwise), raw (answer the Response).
export async function request(method, path, opts = {}) {
  const headers = { Accept: opts.accept ?? "application/json" };
  if (opts.ifMatch) headers["If-Match"] = opts.ifMatch;
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  if (opts.idempotent) headers["Idempotency-Key"] = newKey();
  let body;
  if (opts.text !== undefined) {
    headers["Content-Type"] = opts.contentType;
    body = opts.text;
  } else if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body, credentials: "same-origin",
                               cache: "no-store" });
  } catch {
    throw new ApiProblem(0, { detail: "The server cannot be reached." }, null);
  }
  if (!resp.ok) {
    const problem = await problemOf(resp);
    if (resp.status === 401 && !opts.signIn) onSignedOut(problem);
    throw problem;
  }
  if (opts.raw) return resp;
  if (resp.status === 204) return null;
  return resp.json();
}

export const get = (path, opts) => request("GET", path, opts);
export const post = (path, body, opts = {}) => request("POST", path, { ...opts, body });
export const del = (path, opts) => request("DELETE", path, opts);

// A resource with the ETag of the version read: {body, etag}.
export async function getTagged(path) {
  const resp = await request("GET", path, { raw: true });
  return { body: await resp.json(), etag: resp.headers.get("ETag") };
}

// PATCH of the version etag names: {body, etag} of the new version.
export async function patchTagged(path, body, etag) {
  const resp = await request("PATCH", path, { body, ifMatch: etag, raw: true });
  return { body: await resp.json(), etag: resp.headers.get("ETag") };
}

// Saves a Blob as a file of the user's.
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Downloads path as the file name, in the form Accept names.
export async function download(path, accept, filename) {
  const resp = await request("GET", path, { accept, raw: true });
  saveBlob(await resp.blob(), filename);
}

// Sessions (the portal contract).
export const session = {
  create: (token) => request("POST", "/api/v1/sessions", { body: { token }, signIn: true }),
  current: () => request("GET", "/api/v1/sessions/current", { signIn: true }),
  end: () => request("DELETE", "/api/v1/sessions/current", { signIn: true }),
};
