/* What a portal backend or a script does with edgeca's REST API, through a
 * client generated from openapi/openapi.yaml (openapi-typescript types,
 * openapi-fetch calls): health; a root and a subordinate CA; CA reads;
 * certificates issued from a CSR as JSON and as raw application/pkcs10;
 * downloads by Accept; revocation; search (search.ts); the CRL; the EST
 * URLs; tokens; notifications; the audit trail; the portal steps
 * (portal.ts: CA downloads, ETags, idempotent retries, disable, enable,
 * delete); and the errors a client must handle (404, 400, 403) as typed
 * problem documents. Every answer is
 * checked against the spec (validate.ts). Exits 1 on the first wrong answer
 * or when any answer did not match the spec, printing every failure.
 *
 * Environment: EDGECA_URL (https://host:port), EDGECA_TOKEN (pki_admin),
 * EDGECA_READONLY_TOKEN (auditor), EDGECA_SPEC (openapi.yaml),
 * EDGECA_CSR_JSON and EDGECA_CSR_RAW (CSR files), EDGECA_TEST_EXCHANGES
 * (optional: where to record the exchanges); the service CA through
 * NODE_EXTRA_CA_CERTS. */
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";
import { SpecValidator } from "./validate.js";
import { check, count, expectProblem, pemDer } from "./checks.js";
import { searchStep } from "./search.js";
import { caDownloadsStep, caEtagStep, caStateStep, idempotencyStep } from "./portal.js";

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === "") throw new Error(`${name} is not set`);
  return v;
}

/* The answers' checker, so that its failures are shown however the flow
 * ends. */
let validator: SpecValidator | null = null;
const started = Date.now();

function report(): number {
  const failures = validator?.failures ?? [];
  for (const f of failures) console.error(`FAIL ${f}`);
  console.log(`flow: ${validator?.count ?? 0} answers checked against the spec, ${failures.length} failures (${Date.now() - started} ms)`);
  return failures.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const baseUrl = env("EDGECA_URL");
  const v = new SpecValidator(env("EDGECA_SPEC"), process.env["EDGECA_TEST_EXCHANGES"]);
  validator = v;
  /* openapi-fetch's defaults: a query array goes exploded
   * (ca_id=a&ca_id=b), as the spec declares the search's ca_id. */
  const api = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${env("EDGECA_TOKEN")}` },
  });
  const auditor = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${env("EDGECA_READONLY_TOKEN")}` },
  });
  api.use(v.middleware());
  auditor.use(v.middleware());
  const csrJson = readFileSync(env("EDGECA_CSR_JSON"), "utf8");
  const csrRaw = readFileSync(env("EDGECA_CSR_RAW"), "utf8");

  v.at("health");
  const health = await api.GET("/healthz");
  check(health.response.status === 200 && health.data !== undefined, "GET /healthz 200");

  v.at("root CA");
  const root = await api.POST("/api/v1/cas", {
    body: {
      kind: "root",
      common_name: "Client Flow Root",
      key_algorithm: "EC-P256",
      validity_days: 3650,
      issuance: { template: "subordinate_ca" },
    },
  });
  check(root.response.status === 201 && root.data !== undefined, "root CA created");
  const rootId = root.data?.id ?? "";
  check(root.data?.kind === "root", "the root's kind");

  v.at("subordinate CA");
  const sub = await api.POST("/api/v1/cas", {
    body: {
      kind: "subordinate",
      parent_ca_id: rootId,
      common_name: "Client Flow Issuing CA",
      key_algorithm: "EC-P256",
      validity_days: 730,
      issuance: { template: "client", allowed_templates: ["client", "ssl"] },
    },
  });
  check(sub.response.status === 201 && sub.data !== undefined, "subordinate CA created");
  const subId = sub.data?.id ?? "";
  check(sub.data?.parent_ca_id === rootId, "the subordinate's parent");
  check(sub.data?.status === "active", "the subordinate is active (chained internally)");

  v.at("CA get and list");
  const got = await api.GET("/api/v1/cas/{ca_id}", { params: { path: { ca_id: subId } } });
  check(got.data?.common_name === "Client Flow Issuing CA", "GET the subordinate");
  const list = await api.GET("/api/v1/cas", { params: { query: { limit: 100 } } });
  const listed = (list.data?.items ?? []).map((ca) => ca.id);
  check(listed.includes(rootId) && listed.includes(subId), "both CAs listed");

  v.at("issue from JSON");
  const issued = await api.POST("/api/v1/cas/{ca_id}/certificates", {
    params: { path: { ca_id: subId } },
    body: { csr: csrJson, validity_days: 90 },
  });
  check(issued.response.status === 201 && issued.data !== undefined, "certificate issued (JSON)");
  const serial = issued.data?.serial_number ?? "";
  check(issued.data?.ca_id === subId && issued.data.status === "valid", "the issued certificate");

  v.at("issue from raw application/pkcs10");
  /* The body is the CSR itself: openapi-fetch serializes JSON unless told,
   * so the serializer passes the PEM text through. The ssl template keeps
   * the CSR's DNS names, which search finds. */
  const raw = await api.POST("/api/v1/cas/{ca_id}/certificates", {
    params: { path: { ca_id: subId }, query: { validity_days: 30, template: "ssl" } },
    body: csrRaw,
    bodySerializer: (b: unknown) => String(b),
    headers: { "Content-Type": "application/pkcs10" },
  });
  check(raw.response.status === 201 && raw.data !== undefined, "certificate issued (raw CSR)");
  const rawSerial = raw.data?.serial_number ?? "";
  check(rawSerial !== "" && rawSerial !== serial, "a second certificate");

  v.at("certificate get and downloads");
  const certPath = { params: { path: { ca_id: subId, serial } } } as const;
  /* The operation answers JSON or a download by Accept: the generated type
   * is their union, narrowed here to the JSON form. */
  const got1 = await api.GET("/api/v1/cas/{ca_id}/certificates/{serial}", certPath);
  const cert = typeof got1.data === "object" ? got1.data : undefined;
  check(cert?.serial_number === serial, "GET the certificate");
  const leafDer = pemDer(cert?.certificate_pem ?? "", "CERTIFICATE");
  const chain = await api.GET("/api/v1/cas/{ca_id}/certificates/{serial}", {
    ...certPath,
    headers: { Accept: "application/pem-certificate-chain" },
    parseAs: "text",
  });
  check(count(String(chain.data ?? ""), "-----BEGIN CERTIFICATE-----") === 3, "PEM chain: leaf, issuing CA, root");
  const pem = await api.GET("/api/v1/cas/{ca_id}/certificates/{serial}", {
    ...certPath,
    headers: { Accept: "application/x-pem-file" },
    parseAs: "text",
  });
  check(pemDer(String(pem.data ?? ""), "CERTIFICATE").equals(leafDer), "PEM download is the certificate");
  const der = await api.GET("/api/v1/cas/{ca_id}/certificates/{serial}", {
    ...certPath,
    headers: { Accept: "application/pkix-cert" },
    parseAs: "arrayBuffer",
  });
  check(der.data instanceof ArrayBuffer && Buffer.from(der.data).equals(leafDer), "DER download is the certificate");
  const p7 = await api.GET("/api/v1/cas/{ca_id}/certificates/{serial}", {
    ...certPath,
    headers: { Accept: "application/pkcs7-mime" },
    parseAs: "arrayBuffer",
  });
  const p7Bytes = p7.data instanceof ArrayBuffer ? Buffer.from(p7.data) : Buffer.alloc(0);
  check(p7Bytes[0] === 0x30 && p7Bytes.includes(leafDer), "PKCS#7 download holds the certificate");

  v.at("revoke");
  const revoked = await api.POST("/api/v1/cas/{ca_id}/certificates/{serial}/revoke", {
    ...certPath,
    body: { reason: "keyCompromise" },
  });
  check(revoked.response.ok, "certificate revoked");
  const got2 = await api.GET("/api/v1/cas/{ca_id}/certificates/{serial}", certPath);
  const after = typeof got2.data === "object" ? got2.data : undefined;
  check(after?.status === "revoked" && after.revocation !== null, "revoked status");

  v.at("search");
  await searchStep(api, [subId, rootId], serial, rawSerial);

  v.at("CRL");
  const crlDer = await api.GET("/api/v1/cas/{ca_id}/crl", {
    params: { path: { ca_id: subId } },
    parseAs: "arrayBuffer",
  });
  check(crlDer.data instanceof ArrayBuffer && new Uint8Array(crlDer.data)[0] === 0x30, "the CRL as DER");
  const crlPem = await api.GET("/api/v1/cas/{ca_id}/crl", {
    params: { path: { ca_id: subId } },
    headers: { Accept: "application/x-pem-file" },
    parseAs: "text",
  });
  check(pemDer(String(crlPem.data ?? ""), "X509 CRL").length > 0, "the CRL as PEM");

  v.at("EST URLs");
  const est = await api.GET("/api/v1/cas/{ca_id}/est", { params: { path: { ca_id: subId } } });
  check(est.response.status === 200 && est.data !== undefined, "the EST URLs");
  for (const loc of est.data?.locations ?? [])
    check(loc.url.startsWith("https://") && loc.url.includes("/.well-known/est"), `EST URL ${loc.url}`);

  v.at("tokens");
  const token = await api.POST("/api/v1/tokens", {
    body: { name: "client-flow-requester", role: "requester", ca_ids: [subId] },
  });
  check(token.response.status === 201 && (token.data?.token ?? "") !== "", "token created");
  const tokenId = token.data?.id ?? "";
  const tokens = await api.GET("/api/v1/tokens", {});
  check((tokens.data?.items ?? []).some((t) => t.id === tokenId), "token listed");
  const one = await api.GET("/api/v1/tokens/{token_id}", { params: { path: { token_id: tokenId } } });
  check(one.data?.name === "client-flow-requester", "GET the token");
  const patched = await api.PATCH("/api/v1/tokens/{token_id}", {
    params: { path: { token_id: tokenId } },
    body: { email: "factory@example.com" },
  });
  check(patched.data?.email === "factory@example.com", "token patched");
  const deleted = await api.DELETE("/api/v1/tokens/{token_id}", { params: { path: { token_id: tokenId } } });
  check(deleted.response.status === 204, "token deleted");
  const gone = await api.GET("/api/v1/tokens/{token_id}", { params: { path: { token_id: tokenId } } });
  expectProblem(gone.error, 404, "urn:edgeca:problem:token-not-found", "a deleted token");

  v.at("notifications");
  const notes = await api.GET("/api/v1/notifications", {});
  check(notes.response.status === 200 && Array.isArray(notes.data?.items), "notifications listed");

  v.at("audit");
  const audit = await api.GET("/api/v1/audit", {});
  check(audit.response.status === 200 && (audit.data?.items.length ?? 0) > 0, "the audit trail");

  v.at("CA downloads");
  await caDownloadsStep(api, subId);
  v.at("ETag and If-Match");
  await caEtagStep(api, subId);
  v.at("Idempotency-Key");
  await idempotencyStep(api, subId, csrJson);
  v.at("disable, enable, delete");
  await caStateStep(api, subId, csrJson);

  v.at("errors");
  const missing = await api.GET("/api/v1/cas/{ca_id}", { params: { path: { ca_id: randomUUID() } } });
  check(missing.data === undefined, "no CA for a random id");
  expectProblem(missing.error, 404, "urn:edgeca:problem:ca-not-found", "unknown CA");
  /* A member the schema does not have: the typed literal would not compile,
   * an object built elsewhere (as from a form) does. */
  const form = { name: "client-flow-bad", role: "requester" as const, colour: "blue" };
  const bad = await api.POST("/api/v1/tokens", { body: form });
  check(bad.data === undefined, "an unknown member is refused");
  expectProblem(bad.error, 400, "urn:edgeca:problem:unknown-field", "unknown member");
  const denied = await auditor.POST("/api/v1/tokens", { body: { name: "client-flow-denied", role: "auditor" } });
  check(denied.data === undefined, "an auditor cannot create tokens");
  expectProblem(denied.error, 403, "urn:edgeca:problem:forbidden", "read-only token");

  return report();
}

main().then(
  (rc) => process.exit(rc),
  (e: unknown) => {
    console.error(`flow: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    report();
    process.exit(1);
  },
);
