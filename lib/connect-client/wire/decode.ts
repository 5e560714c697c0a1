/**
 * Decoding and encoding of connect_client v0 application databags: wire strings in, typed values out, and
 * back. All problems are collected, not just the first; warnings flag legacy peers without refusing them.
 */
import type { z } from "zod/mini";
import { pythonJsonDumps, tryParseJson } from "./json-text.js";
import { PROVIDER_KEYS as P, REQUIRER_KEYS as R } from "./keys.js";
import { warn } from "./messages.js";
import {
  ProviderAppBag,
  ProviderAppBagPartial,
  RequirerAppBag,
  RequirerAppBagLegacy,
  RequirerAppBagPartial,
} from "./models.js";
import { repeatedItems, STATUS_FIELDS, splitEndpoints } from "./rules.js";

/** The decoded requirer application databag. */
export interface RequirerData {
  /** An http(s) URL, or NOT_REQUIRED. */
  pluginUrl: string;
  /** undefined: a legacy requirer, which gets cleartext credentials. Each key once (repeats are dropped). */
  requestedSecrets?: string[];
  /** Each key once (repeats are dropped). */
  providedSecrets?: string[];
}

export interface ProviderStatus {
  code: number;
  message: string;
  resolution: string;
}

/** The decoded provider application databag. */
export interface ProviderData {
  /** Each an http(s) URL, trimmed. */
  endpoints?: string[];
  /** A Juju secret URI; `secret:<uuid>/<id>` and `<uuid>/<id>` are given as `secret://<uuid>/<id>`. */
  secretUser?: string;
  secretTls?: string;
  /** Legacy cleartext fallback only. */
  username?: string;
  password?: string;
  /**
   * Legacy cleartext fallback only: the raw flag ("enabled" or "disabled") and the PEM CA chain. Left out when
   * secret-tls is present: the secret wins (with a warning).
   */
  tls?: string;
  tlsCa?: string;
  status?: ProviderStatus[];
}

/** One thing wrong with a bag. The message names the key, what is wrong, and the fix. */
export interface Problem {
  key: string;
  message: string;
}

export type Decoded<T> =
  | { ok: true; value: T; warnings: string[] }
  | { ok: false; problems: Problem[]; warnings: string[] };

export interface DecodeOptions {
  /** Keys may be missing (the side has not finished publishing), but any key present must be valid. */
  partial?: boolean;
  /**
   * Read as the runtime reads a peer: what the interface does not allow but a peer plainly means is read, with
   * a warning: spaces around endpoints items and secret URIs (trimmed), status items with fields besides
   * code, message and resolution (those three kept), a requirer without requested-secrets (legacy). Without
   * it, decoding checks the interface contract, as `connect-client validate` does.
   */
  liberal?: boolean;
}

type Bag = Readonly<Record<string, string>>;

function problemsOf(error: z.core.$ZodError): Problem[] {
  return error.issues.map((issue) => ({ key: String(issue.path[0] ?? ""), message: issue.message }));
}

export function decodeRequirerBag(bag: Bag, opts?: { partial?: false }): Decoded<RequirerData>;
export function decodeRequirerBag(bag: Bag, opts: DecodeOptions): Decoded<Partial<RequirerData>>;
export function decodeRequirerBag(bag: Bag, opts: DecodeOptions = {}): Decoded<Partial<RequirerData>> {
  const model = opts.partial ? RequirerAppBagPartial : opts.liberal ? RequirerAppBagLegacy : RequirerAppBag;
  const result = model.safeParse(bag);
  const warnings: string[] = [];
  if (isRecord(bag)) {
    if (opts.liberal && !opts.partial && !Object.hasOwn(bag, R.requestedSecrets)) {
      warnings.push(warn.noRequestedSecrets());
    }
    for (const key of [R.requestedSecrets, R.providedSecrets]) {
      const text: unknown = bag[key];
      if (typeof text !== "string") continue;
      for (const item of repeatedItems(text)) warnings.push(warn.secretsItemRepeated(key, item));
    }
  }
  if (!result.success) return { ok: false, problems: problemsOf(result.error), warnings };
  const value: Partial<RequirerData> = {};
  const pluginUrl = bag[R.pluginUrl];
  if (pluginUrl !== undefined) value.pluginUrl = pluginUrl;
  const requested = bag[R.requestedSecrets];
  if (requested !== undefined) value.requestedSecrets = distinctKeys(requested);
  const provided = bag[R.providedSecrets];
  if (provided !== undefined) value.providedSecrets = distinctKeys(provided);
  return { ok: true, value, warnings };
}

export function decodeProviderBag(given: Bag, opts: DecodeOptions = {}): Decoded<ProviderData> {
  const warnings: string[] = [];
  const bag = opts.liberal && isRecord(given) ? readLiberally(given, warnings) : given;
  const result = (opts.partial ? ProviderAppBagPartial : ProviderAppBag).safeParse(bag);
  if (isRecord(bag)) {
    const has = (k: string) => Object.hasOwn(bag, k);
    if (has(P.username) || has(P.password)) warnings.push(warn.cleartextCredentials());
    const cleartextTls = [P.tls, P.tlsCa].filter(has);
    if (has(P.secretTls) && cleartextTls.length > 0) warnings.push(warn.cleartextTlsShadowed(cleartextTls));
    const endpoints = bag[P.endpoints];
    if (
      typeof endpoints === "string" &&
      /(^|,)\s*https:/.test(endpoints) &&
      !has(P.secretTls) &&
      !has(P.tlsCa)
    ) {
      warnings.push(warn.httpsWithoutTls());
    }
  }
  if (!result.success) return { ok: false, problems: problemsOf(result.error), warnings };
  const value: ProviderData = {};
  const endpoints = bag[P.endpoints];
  if (endpoints !== undefined) value.endpoints = splitEndpoints(endpoints);
  const secretUser = bag[P.secretUser];
  if (secretUser !== undefined) value.secretUser = canonicalSecretUri(secretUser);
  const secretTls = bag[P.secretTls];
  if (secretTls !== undefined) value.secretTls = canonicalSecretUri(secretTls);
  const username = bag[P.username];
  if (username !== undefined) value.username = username;
  const password = bag[P.password];
  if (password !== undefined) value.password = password;
  if (secretTls === undefined) {
    const tls = bag[P.tls];
    if (tls !== undefined) value.tls = tls;
    const tlsCa = bag[P.tlsCa];
    if (tlsCa !== undefined) value.tlsCa = tlsCa;
  }
  const status = bag[P.status];
  if (status !== undefined) {
    value.status = (JSON.parse(status) as ProviderStatus[]).map(({ code, message, resolution }) => ({
      code,
      message,
      resolution,
    }));
  }
  return { ok: true, value, warnings };
}

/**
 * The requirer's keys in wire form; JSON arrays are written as Python's json.dumps does, so a bag is
 * byte-identical to what Canonical's library writes. Encoding does not validate: decode the result to check.
 */
export function encodeRequirerBag(d: RequirerData): Record<string, string> {
  const bag: Record<string, string> = { [R.pluginUrl]: d.pluginUrl };
  if (d.requestedSecrets !== undefined) bag[R.requestedSecrets] = pythonJsonDumps(d.requestedSecrets);
  if (d.providedSecrets !== undefined) bag[R.providedSecrets] = pythonJsonDumps(d.providedSecrets);
  return bag;
}

/** Only the keys that are set (an empty endpoints list is not set); status as JSON text. Does not validate. */
export function encodeProviderBag(d: ProviderData): Record<string, string> {
  const bag: Record<string, string> = {};
  if (d.endpoints !== undefined && d.endpoints.length > 0) bag[P.endpoints] = d.endpoints.join(",");
  if (d.secretUser !== undefined) bag[P.secretUser] = d.secretUser;
  if (d.secretTls !== undefined) bag[P.secretTls] = d.secretTls;
  if (d.username !== undefined) bag[P.username] = d.username;
  if (d.password !== undefined) bag[P.password] = d.password;
  if (d.tls !== undefined) bag[P.tls] = d.tls;
  if (d.tlsCa !== undefined) bag[P.tlsCa] = d.tlsCa;
  if (d.status !== undefined) {
    bag[P.status] = pythonJsonDumps(
      d.status.map(({ code, message, resolution }) => ({ code, message, resolution })),
    );
  }
  return bag;
}

/** One line for a Juju status message: the problems' messages (each names its key), joined by "; ". */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => p.message.replace(/\s+/g, " ").trim()).join("; ");
}

/**
 * The provider bag with what a liberal reader repairs repaired, and a warning for each: spaces around
 * endpoints items and secret URIs, and status fields besides the three (dropped).
 */
function readLiberally(bag: Bag, warnings: string[]): Bag {
  const out: Record<string, string> = { ...bag };
  const endpoints = bag[P.endpoints];
  if (typeof endpoints === "string" && endpoints.split(",").some((item) => item !== item.trim())) {
    out[P.endpoints] = splitEndpoints(endpoints).join(",");
    warnings.push(warn.endpointsSpaces());
  }
  for (const key of [P.secretUser, P.secretTls]) {
    const uri = bag[key];
    if (typeof uri === "string" && uri !== uri.trim() && uri.trim() !== "") {
      out[key] = uri.trim();
      warnings.push(warn.secretUriSpaces(key));
    }
  }
  const status = bag[P.status];
  const items = typeof status === "string" ? tryParseJson(status) : undefined;
  if (items?.ok && Array.isArray(items.value)) {
    let trimmed = false;
    const kept = (items.value as unknown[]).map((item, i) => {
      if (!isRecord(item)) return item;
      const extra = Object.keys(item).filter((f) => !STATUS_FIELDS.includes(f));
      if (extra.length === 0) return item;
      warnings.push(warn.statusItemExtra(i + 1, extra));
      trimmed = true;
      return Object.fromEntries(STATUS_FIELDS.filter((f) => f in item).map((f) => [f, item[f]]));
    });
    if (trimmed) out[P.status] = pythonJsonDumps(kept);
  }
  return out;
}

/** `secret:<uuid>/<id>` and `<uuid>/<id>` (which Juju also parses) as `secret://<uuid>/<id>`; others as given. */
function canonicalSecretUri(uri: string): string {
  const m = /^(?:secret:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/([^/]+)$/.exec(uri);
  return m ? `secret://${m[1]}/${m[2]}` : uri;
}

/** A validated JSON array of secret keys, each once, in the order of first appearance. */
function distinctKeys(text: string): string[] {
  return [...new Set(JSON.parse(text) as string[])];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
