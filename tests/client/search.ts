/* The flow's search step: GET /api/v1/certificates finds the certificates
 * the flow issued by CA and by serial. Compiled by build.sh only once the
 * spec describes the path; flow.ts loads it then. */
import type { Client } from "openapi-fetch";
import type { paths } from "./schema.js";

export async function searchStep(api: Client<paths>, caId: string, serials: string[]): Promise<void> {
  const byCa = await api.GET("/api/v1/certificates", { params: { query: { ca_id: [caId] } } });
  const found = (byCa.data?.items ?? []).map((c) => c.serial_number);
  for (const s of serials)
    if (!found.includes(s)) throw new Error(`check failed: search by CA finds ${s}`);
  const first = serials[0] ?? "";
  const bySerial = await api.GET("/api/v1/certificates", { params: { query: { serial: first } } });
  const items = bySerial.data?.items ?? [];
  if (items.length !== 1 || items[0]?.serial_number !== first)
    throw new Error(`check failed: search by serial finds exactly ${first}`);
}
