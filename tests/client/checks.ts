/* What the flow's steps share: the check that fails the flow, and errors
 * read through the generated Problem type (every error answer of the API is
 * application/problem+json), branched on its typed `type`. */
import type { components } from "./schema.js";

export type Problem = components["schemas"]["Problem"];
export type ProblemType = components["schemas"]["ProblemType"];

/* Throws "check failed: what" unless ok. */
export function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`check failed: ${what}`);
}

/* Checks that an answer failed with this status and problem type: type is
 * one of the spec's ProblemType values, so a slug the spec drops no longer
 * compiles. */
export function expectProblem(error: Problem | undefined, status: number, type: ProblemType, what: string): void {
  check(error !== undefined, `${what}: a problem document`);
  check(error?.status === status, `${what}: problem status ${String(error?.status)}, want ${status}`);
  check(error?.type === type, `${what}: problem type ${String(error?.type)}, want ${type}`);
}

/* The DER bytes of the first PEM block of this label. */
export function pemDer(pem: string, label: string): Buffer {
  const m = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(pem);
  check(m !== null && m[1] !== undefined, `a ${label} PEM block`);
  return Buffer.from((m?.[1] ?? "").replace(/\s+/g, ""), "base64");
}

export function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}
