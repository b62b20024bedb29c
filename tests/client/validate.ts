/* Checks every answer the generated client receives against
 * openapi/openapi.yaml, as an openapi-fetch middleware: the status is one
 * the operation declares, the Content-Type one declared for that status,
 * every required header is there, every declared header that is there
 * matches its schema (an ETag's pattern, Idempotency-Replayed's const),
 * and a JSON body matches the schema of
 * that operation, status and media type (JSON Schema 2020-12, ajv). Failures
 * are collected, not thrown, so that the flow reports them all at the end.
 * Each exchange is also written where tests/openapi/check_exchanges.py reads
 * them (EDGECA_TEST_EXCHANGES), so the conformance test covers them too. */
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { Middleware } from "openapi-fetch";
import { parse } from "yaml";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const BASE = "urn:edgeca:openapi";

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/* Every "#/..." reference becomes BASE + "#/...", so that it resolves in
 * the whole document whichever sub-schema is compiled. */
function rebase(node: Json): Json {
  if (Array.isArray(node)) return node.map(rebase);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node))
    out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#") ? BASE + v : rebase(v);
  return out;
}

function mediaType(value: string | null): string | null {
  return value === null ? null : (value.split(";")[0] ?? "").trim().toLowerCase();
}

export class SpecValidator {
  readonly failures: string[] = [];
  private readonly spec: JsonObject;
  private readonly ajv: Ajv2020;
  private readonly exchanges: string | null;
  private readonly validators = new Map<string, ValidateFunction>();
  private step = "start";
  count = 0;

  constructor(specPath: string, exchangesDir: string | undefined) {
    const spec: Json = parse(readFileSync(specPath, "utf8")) as Json;
    if (!isObject(spec) || !isObject(spec["paths"]))
      throw new Error(`${specPath}: not an OpenAPI document`);
    this.spec = spec;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormatsModule.default(this.ajv);
    /* The whole document is one schema with an $id, so that rebased
     * references resolve into it. */
    this.ajv.addSchema({ ...(rebase(spec) as JsonObject), $id: BASE });
    this.exchanges = exchangesDir ?? null;
    if (this.exchanges !== null) mkdirSync(this.exchanges, { recursive: true });
  }

  /* Names what the flow does now, in failures and recorded exchanges. */
  at(step: string): void {
    this.step = step;
  }

  hasPath(template: string): boolean {
    const paths = this.spec["paths"];
    return isObject(paths) && isObject(paths[template]);
  }

  private deref(node: Json | undefined): Json | undefined {
    let n = node;
    for (let i = 0; i < 32 && isObject(n) && typeof n["$ref"] === "string"; i++) {
      const ref: string = n["$ref"];
      let target: Json | undefined = this.spec;
      for (const raw of ref.replace(/^#\/?/, "").split("/")) {
        const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        target = isObject(target) ? target[part] : undefined;
      }
      n = target;
    }
    return n;
  }

  /* The validator of a schema of the document (rebased), built once. */
  private compile(schema: Json | undefined): ValidateFunction {
    const key = JSON.stringify(schema ?? {});
    let v = this.validators.get(key);
    if (v === undefined) {
      v = this.ajv.compile(rebase(schema ?? {}) as JsonObject);
      this.validators.set(key, v);
    }
    return v;
  }

  private fail(what: string, message: string): void {
    this.failures.push(`${this.step}: ${what}: ${message}`);
  }

  middleware(): Middleware {
    return {
      onResponse: async ({ request, response, schemaPath }) => {
        await this.check(request, response.clone(), schemaPath);
        return undefined;
      },
    };
  }

  private async check(request: Request, response: Response, template: string): Promise<void> {
    const method = request.method.toLowerCase();
    const url = new URL(request.url);
    const what = `${request.method} ${url.pathname} -> ${response.status}`;
    const body = Buffer.from(await response.arrayBuffer());
    const type = mediaType(response.headers.get("content-type"));
    this.count++;
    this.record(request.method, url, response, body);
    const paths = this.spec["paths"];
    const item = isObject(paths) ? paths[template] : undefined;
    const op = isObject(item) ? item[method === "head" ? "get" : method] : undefined;
    if (!isObject(op) || !isObject(op["responses"])) {
      this.fail(what, `no operation ${method} ${template} in the spec`);
      return;
    }
    const responses = op["responses"];
    const status = String(response.status);
    const responseKey = status in responses ? status : `${status[0] ?? ""}XX`;
    const resp = this.deref(responses[responseKey]);
    if (!isObject(resp)) {
      this.fail(what, `status ${status} not declared for ${method} ${template}`);
      return;
    }
    const headers = resp["headers"];
    if (isObject(headers)) {
      for (const name of Object.keys(headers)) {
        const h = this.deref(headers[name]);
        if (!isObject(h)) continue;
        const value = response.headers.get(name);
        if (value === null) {
          if (h["required"] === true) this.fail(what, `required header ${name} missing`);
          continue;
        }
        /* every header schema of the spec is a string's */
        const validate = h["schema"] === undefined ? null : this.compile(h["schema"]);
        if (validate !== null && !validate(value))
          this.fail(what, `header ${name}: ${JSON.stringify(value)} ${validate.errors?.[0]?.message ?? "invalid"}`);
      }
    }
    const content = resp["content"];
    if (!isObject(content)) {
      if (body.length > 0) this.fail(what, "a body, but the spec declares none");
      return;
    }
    if (type === null || !(type in content)) {
      this.fail(what, `Content-Type ${type ?? "(none)"} not declared (declared: ${Object.keys(content).join(", ")})`);
      return;
    }
    const media = content[type];
    if (method === "head" || !isObject(media) || media["schema"] === undefined) return;
    if (type !== "application/json" && !type.endsWith("+json")) return;
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      this.fail(what, `${type} body is not JSON`);
      return;
    }
    const validate = this.compile(media["schema"]);
    if (!validate(json)) {
      for (const e of validate.errors ?? [])
        this.fail(what, `${type}: ${e.instancePath || "(body)"} ${e.message ?? "invalid"}`);
    }
  }

  /* One line of the format tests/support/http.c records. */
  private record(method: string, url: URL, response: Response, body: Buffer): void {
    if (this.exchanges === null) return;
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    const ex: Record<string, unknown> = {
      listener: "api",
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ""),
      status: response.status,
      content_type: response.headers.get("content-type"),
      headers,
      test: `client_flow: ${this.step}`,
    };
    const type = mediaType(response.headers.get("content-type"));
    let parsed = false;
    if (type !== null && (type === "application/json" || type.endsWith("+json"))) {
      try {
        ex["json"] = JSON.parse(body.toString("utf8"));
        parsed = true;
      } catch {
        parsed = false;
      }
    }
    if (!parsed && body.length > 0) ex["body_b64"] = body.toString("base64");
    appendFileSync(join(this.exchanges, "client_flow.jsonl"), JSON.stringify(ex) + "\n");
  }
}
