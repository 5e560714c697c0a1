import type { ConnectEngine } from "./engine.js";
import { RestError } from "./errors.js";
import type { WorkerRuntime } from "./worker.js";

/** The HTTP-side shapes every handler speaks, and the body helpers Jersey/Jackson would have applied. */

/** A request as a worker receives it (over HTTP, or as an internal hop from another worker). */
export interface Incoming {
  method: string;
  /** Raw path, still URL-encoded, without the query. */
  path: string;
  /** Raw query string without `?`. */
  query: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  scheme: "http" | "https";
  forwardedFrom?: number;
}

export interface Reply {
  status: number;
  /** JSON body. */
  body?: unknown;
  /** Plain-text body (only the basic-auth 401). */
  text?: string;
  headers?: Record<string, string>;
}

export interface Ctx {
  engine: ConnectEngine;
  w: WorkerRuntime;
  req: Incoming;
  params: Record<string, string>;
  query: URLSearchParams;
  /** An internal hop to worker `to` (RestClient forwarding), served there as a forwarded request. */
  forward: (to: number, req: Incoming) => Promise<Reply>;
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

export const ok = (body: unknown, status = 200): Reply => ({ status, body });
export const empty = (status: number): Reply => ({ status });

/** Jackson's failures to read an entity reach the exception mapper as 500s; the wording here is ours. */
export function malformed(detail: string): RestError {
  return new RestError(500, `Cannot deserialize the request body: ${detail}`);
}

export function readJson(ctx: Ctx): unknown {
  if (ctx.req.body.length === 0) return undefined;
  try {
    return JSON.parse(ctx.req.body.toString("utf8"));
  } catch (e) {
    throw malformed(e instanceof Error ? e.message : String(e));
  }
}

/** A `Map<String, String>` as Jackson binds it: scalars become strings; `null` kept only when asked. */
export function stringMap(value: unknown, keepNulls: false): Record<string, string>;
export function stringMap(value: unknown, keepNulls: true): Record<string, string | null>;
export function stringMap(value: unknown, keepNulls: boolean): Record<string, string | null> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw malformed("expected a JSON object of strings");
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) {
      if (keepNulls) out[k] = null;
    } else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    else throw malformed(`the value of ${JSON.stringify(k)} is not a string`);
  }
  return out;
}

/** Jersey's `Boolean` query parameters: "true" in any case is true, anything else false. */
export function flag(query: URLSearchParams, name: string, dflt: boolean): boolean {
  const v = query.get(name);
  return v === null ? dflt : v.toLowerCase() === "true";
}
