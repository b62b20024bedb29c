/* The flow's portal steps, on what issue 17 added for portals: CA
 * certificate and chain downloads by Accept; ETag, If-None-Match (304) and
 * If-Match (412 on a lost update) on a CA and a token; Idempotency-Key
 * retries of a certificate and a token; a CA disabled and enabled again;
 * a CA that never issued deleted, one that did refused. */
import type { Client } from "openapi-fetch";
import { randomUUID } from "node:crypto";
import type { paths } from "./schema.js";
import { check, count, expectProblem, pemDer } from "./checks.js";

type Api = Client<paths>;

const REPLAYED = "Idempotency-Replayed";

/* The CA's certificate by Accept (PEM, DER) and its first location's chain
 * (PEM chain, PKCS#7): two certificates for a subordinate under a root. */
export async function caDownloadsStep(api: Api, caId: string): Promise<void> {
  const path = { params: { path: { ca_id: caId } } } as const;
  const pem = await api.GET("/api/v1/cas/{ca_id}/certificate", {
    ...path,
    headers: { Accept: "application/x-pem-file" },
    parseAs: "text",
  });
  const caDer = pemDer(String(pem.data ?? ""), "CERTIFICATE");
  const der = await api.GET("/api/v1/cas/{ca_id}/certificate", {
    ...path,
    headers: { Accept: "application/pkix-cert" },
    parseAs: "arrayBuffer",
  });
  check(der.data instanceof ArrayBuffer && Buffer.from(der.data).equals(caDer), "CA certificate: DER = PEM");
  const ca = await api.GET("/api/v1/cas/{ca_id}", path);
  const location = ca.data?.locations[0]?.name ?? "";
  check(location !== "", "the CA's location");
  const where = { params: { path: { ca_id: caId, location } } } as const;
  const chain = await api.GET("/api/v1/cas/{ca_id}/locations/{location}/chain", {
    ...where,
    headers: { Accept: "application/pem-certificate-chain" },
    parseAs: "text",
  });
  const chainPem = String(chain.data ?? "");
  check(count(chainPem, "-----BEGIN CERTIFICATE-----") === 2, "location chain: the CA and its root");
  check(pemDer(chainPem, "CERTIFICATE").equals(caDer), "location chain starts with the CA");
  const p7 = await api.GET("/api/v1/cas/{ca_id}/locations/{location}/chain", {
    ...where,
    headers: { Accept: "application/pkcs7-mime" },
    parseAs: "arrayBuffer",
  });
  const p7Bytes = p7.data instanceof ArrayBuffer ? Buffer.from(p7.data) : Buffer.alloc(0);
  check(p7Bytes[0] === 0x30 && p7Bytes.includes(caDer), "PKCS#7 chain holds the CA certificate");
  const refused = await api.GET("/api/v1/cas/{ca_id}/certificate", { ...path, headers: { Accept: "text/html" } });
  expectProblem(refused.error, 406, "urn:edgeca:problem:not-acceptable", "CA certificate as text/html");
}

/* A CA's ETag: 304 on If-None-Match; a PATCH with the tag applies and
 * answers the next GET's tag; the same PATCH with the old tag is a lost
 * update, 412. */
export async function caEtagStep(api: Api, caId: string): Promise<void> {
  const path = { ca_id: caId };
  const read = await api.GET("/api/v1/cas/{ca_id}", { params: { path } });
  const tag = read.response.headers.get("ETag") ?? "";
  check(read.response.status === 200 && tag !== "", "a CA's ETag");
  const same = await api.GET("/api/v1/cas/{ca_id}", { params: { path, header: { "If-None-Match": tag } } });
  /* a 304 comes with Content-Length: 0, which openapi-fetch answers as
   * neither data nor an error */
  check(same.response.status === 304 && same.data === undefined && same.error === undefined,
        "If-None-Match: 304, no body");
  check(same.response.headers.get("ETag") === tag, "the 304 names the tag");
  const changed = await api.PATCH("/api/v1/cas/{ca_id}", {
    params: { path, header: { "If-Match": tag } },
    body: { lifecycle: { threshold_percent: 70 } },
  });
  const newTag = changed.response.headers.get("ETag") ?? "";
  check(changed.response.status === 200 && changed.data?.lifecycle.threshold_percent === 70, "PATCH with If-Match");
  check(newTag !== "" && newTag !== tag, "the PATCH answers a new ETag");
  const again = await api.GET("/api/v1/cas/{ca_id}", { params: { path, header: { "If-None-Match": tag } } });
  check(again.response.status === 200 && again.response.headers.get("ETag") === newTag, "the next GET has the PATCH's ETag");
  const lost = await api.PATCH("/api/v1/cas/{ca_id}", {
    params: { path, header: { "If-Match": tag } },
    body: { lifecycle: { threshold_percent: 60 } },
  });
  check(lost.data === undefined, "a lost update is refused");
  expectProblem(lost.error, 412, "urn:edgeca:problem:precondition-failed", "PATCH with a stale If-Match");
  const kept = await api.GET("/api/v1/cas/{ca_id}", { params: { path } });
  check(kept.data?.lifecycle.threshold_percent === 70, "the lost update changed nothing");
}

/* A certificate and a token created with an Idempotency-Key: the retry is
 * the first answer replayed, the key with another body 422; then the
 * token's ETag and If-Match, and its deletion. */
export async function idempotencyStep(api: Api, caId: string, csr: string): Promise<void> {
  const certKey = randomUUID();
  const issue = (validity_days: number) =>
    api.POST("/api/v1/cas/{ca_id}/certificates", {
      params: { path: { ca_id: caId }, header: { "Idempotency-Key": certKey } },
      body: { csr, validity_days },
    });
  const first = await issue(10);
  check(first.response.status === 201 && !first.response.headers.has(REPLAYED), "issued with a key");
  const retry = await issue(10);
  check(retry.response.status === 201 && retry.response.headers.get(REPLAYED) === "true", "the retry is replayed");
  check(JSON.stringify(retry.data) === JSON.stringify(first.data), "the replay is the first certificate");
  const reused = await issue(11);
  expectProblem(reused.error, 422, "urn:edgeca:problem:idempotency-key-reused", "a certificate key reused");

  const tokenKey = randomUUID();
  const create = (name: string) =>
    api.POST("/api/v1/tokens", {
      params: { header: { "Idempotency-Key": tokenKey } },
      body: { name, role: "auditor" },
    });
  const token = await create("client-flow-portal");
  const tokenId = token.data?.id ?? "";
  check(token.response.status === 201 && tokenId !== "", "token created with a key");
  const tokenRetry = await create("client-flow-portal");
  check(tokenRetry.response.headers.get(REPLAYED) === "true", "the token retry is replayed");
  check(tokenRetry.data?.id === tokenId && tokenRetry.data.token === token.data?.token, "the replay is the first token");
  expectProblem((await create("client-flow-other")).error, 422, "urn:edgeca:problem:idempotency-key-reused",
                "a token key reused");

  const path = { token_id: tokenId };
  const read = await api.GET("/api/v1/tokens/{token_id}", { params: { path } });
  const tag = read.response.headers.get("ETag") ?? "";
  check(tag !== "", "a token's ETag");
  const same = await api.GET("/api/v1/tokens/{token_id}", { params: { path, header: { "If-None-Match": tag } } });
  check(same.response.status === 304 && same.data === undefined, "token If-None-Match: 304");
  const changed = await api.PATCH("/api/v1/tokens/{token_id}", {
    params: { path, header: { "If-Match": tag } },
    body: { email: "portal@example.com" },
  });
  check(changed.data?.email === "portal@example.com", "token PATCH with If-Match");
  const next = await api.GET("/api/v1/tokens/{token_id}", { params: { path } });
  check(next.response.headers.get("ETag") === changed.response.headers.get("ETag"), "the token's next ETag");
  const lost = await api.PATCH("/api/v1/tokens/{token_id}", {
    params: { path, header: { "If-Match": tag } },
    body: { email: null },
  });
  expectProblem(lost.error, 412, "urn:edgeca:problem:precondition-failed", "token PATCH with a stale If-Match");
  const deleted = await api.DELETE("/api/v1/tokens/{token_id}", { params: { path } });
  check(deleted.response.status === 204, "the token deleted");
}

/* Disable and enable an issuing CA; delete one that never issued and fail
 * to delete one that did. */
export async function caStateStep(api: Api, caId: string, csr: string): Promise<void> {
  const path = { params: { path: { ca_id: caId } } } as const;
  const issue = () => api.POST("/api/v1/cas/{ca_id}/certificates", { ...path, body: { csr, validity_days: 5 } });
  const disabled = await api.POST("/api/v1/cas/{ca_id}/disable", { ...path, body: { reason: "client flow" } });
  check(disabled.data?.status === "disabled", "the CA is disabled");
  expectProblem((await issue()).error, 409, "urn:edgeca:problem:ca-disabled", "issuance from a disabled CA");
  const crl = await api.GET("/api/v1/cas/{ca_id}/crl", { ...path, parseAs: "arrayBuffer" });
  check(crl.response.status === 200 && crl.data instanceof ArrayBuffer, "a disabled CA's CRL");
  const enabled = await api.POST("/api/v1/cas/{ca_id}/enable", path);
  check(enabled.data?.status === "active", "the CA is enabled again");
  check((await issue()).response.status === 201, "an enabled CA issues");

  const pending = await api.POST("/api/v1/cas", {
    body: { kind: "subordinate", common_name: "Client Flow Never Chained", key_algorithm: "EC-P256" },
  });
  const pendingId = pending.data?.id ?? "";
  check(pending.data?.status === "pending_chaining", "a subordinate waiting for an external root");
  const gone = await api.DELETE("/api/v1/cas/{ca_id}", { params: { path: { ca_id: pendingId } } });
  check(gone.response.status === 204, "a CA that never issued is deleted");
  const missing = await api.GET("/api/v1/cas/{ca_id}", { params: { path: { ca_id: pendingId } } });
  expectProblem(missing.error, 404, "urn:edgeca:problem:ca-not-found", "a deleted CA");
  const kept = await api.DELETE("/api/v1/cas/{ca_id}", path);
  expectProblem(kept.error, 409, "urn:edgeca:problem:ca-has-issued", "deleting a CA that issued");
}
