/**
 * Decoding and encoding of connect_client v0 application databags: wire strings in, typed values out, and
 * back. All problems are collected, not just the first; warnings flag legacy peers without refusing them.
 */
import type { z } from "zod/mini";
import { pythonJsonDumps } from "./json-text.js";
import { PROVIDER_KEYS as P, REQUIRER_KEYS as R } from "./keys.js";
import { warn } from "./messages.js";
import { ProviderAppBag, ProviderAppBagPartial, RequirerAppBag, RequirerAppBagPartial } from "./models.js";
import { repeatedItems, splitEndpoints } from "./rules.js";

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
  /** A Juju secret URI as written (trimmed). */
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
}

type Bag = Readonly<Record<string, string>>;

function problemsOf(error: z.core.$ZodError): Problem[] {
  return error.issues.map((issue) => ({ key: String(issue.path[0] ?? ""), message: issue.message }));
}

export function decodeRequirerBag(bag: Bag, opts?: { partial?: false }): Decoded<RequirerData>;
export function decodeRequirerBag(bag: Bag, opts: DecodeOptions): Decoded<Partial<RequirerData>>;
export function decodeRequirerBag(bag: Bag, opts: DecodeOptions = {}): Decoded<Partial<RequirerData>> {
  const result = (opts.partial ? RequirerAppBagPartial : RequirerAppBag).safeParse(bag);
  const warnings: string[] = [];
  if (isRecord(bag)) {
    if (!opts.partial && !Object.hasOwn(bag, R.requestedSecrets)) warnings.push(warn.noRequestedSecrets());
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

export function decodeProviderBag(bag: Bag, opts: DecodeOptions = {}): Decoded<ProviderData> {
  const result = (opts.partial ? ProviderAppBagPartial : ProviderAppBag).safeParse(bag);
  const warnings: string[] = [];
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
  if (secretUser !== undefined) value.secretUser = secretUser.trim();
  const secretTls = bag[P.secretTls];
  if (secretTls !== undefined) value.secretTls = secretTls.trim();
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

/** A validated JSON array of secret keys, each once, in the order of first appearance. */
function distinctKeys(text: string): string[] {
  return [...new Set(JSON.parse(text) as string[])];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
