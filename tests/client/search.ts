/* The flow's search step: GET /api/v1/certificates as a portal's
 * certificate table uses it, on the subordinate CA's two certificates
 * (`revoked`: JSON CSR, edge-device-p256, 90 days, revoked; `valid`: raw
 * CSR, my-iot-device2 with DNS SANs, 30 days): each filter, both sort
 * directions, cursor pages stitched together against one big page, the
 * total, and the 400s a bad parameter or cursor gets. */
import type { Client } from "openapi-fetch";
import type { paths } from "./schema.js";
import { check, expectProblem } from "./checks.js";

type Api = Client<paths>;
type Query = NonNullable<paths["/api/v1/certificates"]["get"]["parameters"]["query"]>;

/* The serials one search answers, in its order (a single page). */
async function serials(api: Api, query: Query, what: string): Promise<string[]> {
  const r = await api.GET("/api/v1/certificates", { params: { query } });
  check(r.response.status === 200 && r.data !== undefined,
        `search ${what}: ${r.response.status} ${r.error?.detail ?? ""}, want 200`);
  check(r.data?.next_cursor === null, `search ${what}: one page`);
  return (r.data?.items ?? []).map((c) => c.serial_number);
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/* Checks that a search answered these serials, in this order. */
function checkSame(got: string[], want: string[], what: string): void {
  check(same(got, want), `${what}: ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

/* Every page of a search of limit 1, stitched together. */
async function stitched(api: Api, query: Query): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page++) {
    const q: Query = cursor === null ? { ...query, limit: 1 } : { ...query, limit: 1, cursor };
    const r = await api.GET("/api/v1/certificates", { params: { query: q } });
    check(r.response.status === 200 && (r.data?.items.length ?? 0) <= 1, "a page of one");
    out.push(...(r.data?.items ?? []).map((c) => c.serial_number));
    cursor = r.data?.next_cursor ?? null;
    if (cursor === null) return out;
  }
  throw new Error("check failed: the pages end");
}

export async function searchStep(api: Api, caIds: string[], revoked: string, valid: string): Promise<void> {
  const ca_id = caIds;
  const both = await serials(api, { ca_id }, "by CA");
  check(both.length === 2 && both.includes(revoked) && both.includes(valid), "search by CA finds both");
  checkSame(await serials(api, { ca_id, common_name_prefix: "edge-device-" }, "by CN prefix"), [revoked],
        "common_name_prefix");
  checkSame(await serials(api, { ca_id, common_name_prefix: "Edge-" }, "by CN prefix, case"), [],
        "common_name_prefix is case-sensitive");
  checkSame(await serials(api, { san: "DNS:my-iot-device2.local" }, "by SAN"), [valid], "san, typed");
  checkSame(await serials(api, { ca_id, san: "my-iot-device2" }, "by bare SAN"), [valid], "san, bare");
  checkSame(await serials(api, { serial: revoked.toUpperCase() }, "by serial"), [revoked], "serial");
  checkSame(await serials(api, { ca_id, status: "revoked" }, "revoked"), [revoked], "status revoked");
  checkSame(await serials(api, { ca_id, status: "valid" }, "valid"), [valid], "status valid");
  checkSame(await serials(api, { ca_id, status: "expired" }, "expired"), [], "status expired");

  const hour = 3600 * 1000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const now = Date.now();
  checkSame((await serials(api, { ca_id, issued_after: iso(now - hour), issued_before: iso(now + hour) }, "issued"))
    .sort(), [...both].sort(), "issued in the last hour");
  checkSame(await serials(api, { ca_id, issued_before: iso(now - hour) }, "issued before"), [],
        "nothing issued before the flow");
  const in60Days = iso(now + 60 * 24 * hour);
  checkSame(await serials(api, { ca_id, expires_before: in60Days }, "expires before"), [valid],
        "expires_before: the 30-day certificate");
  checkSame(await serials(api, { ca_id, expires_after: in60Days }, "expires after"), [revoked],
        "expires_after: the 90-day certificate");

  const bySerial = await serials(api, { ca_id, sort: "serial" }, "sorted by serial");
  const numbers = bySerial.map((s) => BigInt(`0x${s}`));
  check(numbers.length === 2 && (numbers[0] ?? 0n) < (numbers[1] ?? 0n), "sort=serial ascends by number");
  checkSame(await serials(api, { ca_id, sort: "-serial" }, "sorted by -serial"), [...bySerial].reverse(),
        "sort=-serial is the reverse");
  const byExpiry = await serials(api, { ca_id, sort: "expires_at" }, "sorted by expiry");
  checkSame(byExpiry, [valid, revoked], "sort=expires_at: the 30-day certificate first");
  checkSame(await serials(api, { ca_id, sort: "-expires_at" }, "sorted by -expiry"), [revoked, valid],
        "sort=-expires_at");

  for (const sort of ["-issued_at", "common_name", "-serial"] as const) {
    const big = await serials(api, { ca_id, sort, limit: 100 }, `one page by ${sort}`);
    checkSame(await stitched(api, { ca_id, sort }), big, `pages of one stitched = one page (${sort})`);
  }
  const counted = await api.GET("/api/v1/certificates", { params: { query: { ca_id, limit: 1, total: "true" } } });
  check(counted.data?.total === 2 && counted.data.items.length === 1, "total=true counts every match");
  const uncounted = await api.GET("/api/v1/certificates", { params: { query: { ca_id } } });
  check(uncounted.data !== undefined && uncounted.data.total === undefined, "no total unless asked");

  /* A misspelt parameter, as a form or a URL builder would send it: the
   * typed literal would not compile. */
  const misspelt = { ca_id, comon_name: "edge" };
  const unknown = await api.GET("/api/v1/certificates", { params: { query: misspelt } });
  check(unknown.data === undefined, "an unknown parameter finds nothing");
  expectProblem(unknown.error, 400, "urn:edgeca:problem:invalid-parameter", "unknown query parameter");
  const badCursor = await api.GET("/api/v1/certificates", { params: { query: { ca_id, cursor: "bm90LWEtY3Vyc29y" } } });
  expectProblem(badCursor.error, 400, "urn:edgeca:problem:invalid-cursor", "a cursor the API did not return");
  const first = await api.GET("/api/v1/certificates", { params: { query: { ca_id, limit: 1, sort: "serial" } } });
  const cursor = first.data?.next_cursor ?? "";
  check(cursor !== "", "a next cursor");
  const otherSort = await api.GET("/api/v1/certificates", {
    params: { query: { ca_id, limit: 1, sort: "-serial", cursor } },
  });
  expectProblem(otherSort.error, 400, "urn:edgeca:problem:invalid-cursor", "a cursor of another sort");
}
