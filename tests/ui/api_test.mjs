// ui.api: the portal's API wrapper (ui/api.js) against a recording fetch:
// the CSRF header goes with unsafe methods only, creations carry an
// Idempotency-Key, problems become ApiProblem with their slug and detail,
// a 401 ends the session, and query strings leave empty filters out.
// usage: node api_test.mjs <ui dir>
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import assert from "node:assert/strict";

const api = await import(pathToFileURL(join(process.argv[2], "api.js")).href);
const calls = [];
let answer = () => new Response("{}", { status: 200, headers: { "Content-Type": "application/json" } });
globalThis.fetch = async (url, init) => {
  calls.push({ url, ...init });
  return answer(url, init);
};
let failures = 0;
async function check(what, fn) {
  try {
    await fn();
    console.log(`ok   ${what}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${what}: ${e.message}`);
  }
}
const problem = (status, slug, detail, extra = {}) => () => new Response(JSON.stringify({
  type: `urn:edgeca:problem:${slug}`, title: "t", status, detail, request_id: "r-1" }),
{ status, headers: { "Content-Type": "application/problem+json", ...extra } });

await check("GET carries no CSRF token, POST and DELETE do", async () => {
  api.setCsrfToken("csrf-1");
  calls.length = 0;
  await api.get("/api/v1/cas");
  await api.post("/api/v1/cas", { common_name: "x" });
  await api.del("/api/v1/tokens/1");
  assert.equal(calls[0].headers["X-CSRF-Token"], undefined);
  assert.equal(calls[1].headers["X-CSRF-Token"], "csrf-1");
  assert.equal(calls[1].headers["Content-Type"], "application/json");
  assert.equal(calls[1].body, '{"common_name":"x"}');
  assert.equal(calls[2].headers["X-CSRF-Token"], "csrf-1");
  assert.equal(calls[0].credentials, "same-origin");
});
await check("idempotent creations carry a fresh Idempotency-Key", async () => {
  calls.length = 0;
  await api.post("/api/v1/cas", {}, { idempotent: true });
  await api.post("/api/v1/cas", {}, { idempotent: true });
  await api.post("/api/v1/tokens", {});
  const [a, b, c] = calls.map((x) => x.headers["Idempotency-Key"]);
  assert.match(a, /^[0-9a-f-]{32,36}$/);
  assert.notEqual(a, b);
  assert.equal(c, undefined);
});
await check("a problem becomes ApiProblem with slug, detail and the member it names", async () => {
  answer = problem(422, "invalid-field", "lifecycle.threshold_percent must be 1 to 99");
  const e = await api.post("/api/v1/cas", {}).then(() => null, (x) => x);
  assert.ok(e instanceof api.ApiProblem);
  assert.equal(e.status, 422);
  assert.equal(e.slug, "invalid-field");
  assert.equal(e.describe(), "lifecycle.threshold_percent must be 1 to 99");
  assert.equal(e.fieldIn(["threshold_percent", "lifecycle.threshold_percent", "action"]),
    "lifecycle.threshold_percent");
  assert.equal(e.fieldIn(["percent", "validity_days"]), null);
});
await check("503 says when to retry, 500 the request id", async () => {
  answer = problem(503, "signer-unavailable", "the signer is not reachable.", { "Retry-After": "5" });
  const e = await api.get("/api/v1/cas").then(() => null, (x) => x);
  assert.match(e.describe(), /Try again in 5 seconds/);
  answer = problem(500, "internal-error", "internal error");
  const f = await api.get("/api/v1/cas").then(() => null, (x) => x);
  assert.match(f.describe(), /request r-1/);
});
await check("401 ends the session, except on the session calls", async () => {
  let lost = 0;
  api.onSessionLost(() => { lost++; });
  answer = problem(401, "invalid-token", "the session has ended");
  await api.get("/api/v1/cas").catch(() => {});
  assert.equal(lost, 1);
  await api.session.current().catch(() => {});
  await api.session.create("edgeca_bad").catch(() => {});
  assert.equal(lost, 1);
});
await check("an answer that is not JSON still gives a problem", async () => {
  answer = () => new Response("<html>", { status: 502, headers: { "Content-Type": "text/html" } });
  const e = await api.get("/api/v1/cas").then(() => null, (x) => x);
  assert.equal(e.status, 502);
  assert.equal(e.slug, "");
  assert.equal(e.detail, "HTTP 502");
});
await check("a network failure gives a problem", async () => {
  answer = () => { throw new TypeError("fetch failed"); };
  const e = await api.get("/api/v1/cas").then(() => null, (x) => x);
  assert.equal(e.status, 0);
  assert.match(e.detail, /cannot be reached/);
});
await check("a tagged read gives the ETag, a tagged PATCH sends it in If-Match", async () => {
  calls.length = 0;
  answer = () => new Response('{"id":"t1"}', { status: 200,
    headers: { "Content-Type": "application/json", ETag: '"v1"' } });
  const got = await api.getTagged("/api/v1/tokens/t1");
  assert.deepEqual(got, { body: { id: "t1" }, etag: '"v1"' });
  answer = () => new Response('{"id":"t1","email":null}', { status: 200,
    headers: { "Content-Type": "application/json", ETag: '"v2"' } });
  const put = await api.patchTagged("/api/v1/tokens/t1", { email: null }, got.etag);
  assert.equal(put.etag, '"v2"');
  assert.equal(calls[0].headers["If-Match"], undefined);
  assert.equal(calls[1].method, "PATCH");
  assert.equal(calls[1].headers["If-Match"], '"v1"');
  assert.equal(calls[1].headers["X-CSRF-Token"], "csrf-1");
  assert.equal(calls[1].body, '{"email":null}');
  answer = problem(412, "precondition-failed", "the token changed since it was read");
  const e = await api.patchTagged("/api/v1/tokens/t1", { email: null }, '"v1"')
    .then(() => null, (x) => x);
  assert.equal(e.status, 412);
  assert.equal(e.slug, "precondition-failed");
});
await check("query() leaves empty filters out and repeats arrays", () => {
  assert.equal(api.query({ a: "", b: null, c: undefined }), "");
  assert.equal(api.query({ ca_id: ["x", "y"], status: "valid", n: 0 }),
    "?ca_id=x&ca_id=y&status=valid&n=0");
  assert.equal(api.query({ q: "a b&c" }), "?q=a+b%26c");
});

if (failures > 0) {
  console.log(`${failures} failed`);
  process.exit(1);
}
console.log("all passed");
