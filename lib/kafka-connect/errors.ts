/**
 * One error model for the Kafka Connect client: every failure is a `KafkaConnectError` whose `kind` says
 * what a caller can do about it, with the worker's own message kept verbatim up to a bound (2 KiB: a status
 * line or a log event must stay readable whatever a worker sends). The classifiers here are pure
 * (status + body text in, error fields out) so every message variant of the worker is tested without I/O.
 */

import type { ConfigProblem } from "./types.js";

export type KafkaConnectErrorKind =
  /** The connector, task, logger or route does not exist; see `variant`. */
  | "not-found"
  /** 409 `Connector X already exists`. */
  | "already-exists"
  /** 409 while the cluster rebalances or its config is stale; retried with backoff before surfacing. */
  | "rebalancing"
  /** Any other 409 (not retried). */
  | "conflict"
  /** 400 `Connector configuration is invalid …` (errors in `configErrors`), or a failed `validateConfig`. */
  | "invalid-config"
  /** Any other 400 (and the 404 the worker uses for an invalid log level); see `variant`. */
  | "bad-request"
  /** 401: the worker rejected the credentials (plain-text `User cannot access the resource.`). */
  | "unauthorized"
  /** 403, e.g. topic tracking disabled. */
  | "forbidden"
  /** No answer within the attempt timeout, or the worker's own 500 `Request timed out…`. */
  | "timeout"
  /**
   * Connection refused/reset/cut, DNS failure, a 5xx that is not the worker's JSON error, all endpoints down,
   * or the worker's 500 `IO Error trying to forward REST request…` (variant "forward-failed").
   */
  | "unavailable"
  /** The worker's own JSON 500 (e.g. unknown connector class) from every endpoint asked. */
  | "server-error"
  /** The worker is too old for the endpoint or option; `since` names the Kafka version that added it. */
  | "unsupported"
  /** A success status whose body is not the JSON expected, or an unexpected status. */
  | "malformed-response"
  /**
   * The answer's body is larger than the client's `maxResponseBytes`: reading stopped at the limit (or before
   * the first byte, from `content-length`) and the connection was closed. Not failed over, not retried.
   */
  | "response-too-large"
  /** The server certificate failed verification. Never failed over: another host must not bypass it. */
  | "tls"
  /** The caller's AbortSignal fired; `cause` is the signal's reason. */
  | "aborted"
  /** The client was given an invalid option or argument; no request was made. */
  | "invalid-argument";

/** Which worker message a 404 (or a specific 400) was; lets a caller tell e.g. a transient status 404. */
export type KafkaConnectErrorVariant =
  /** `Connector X not found` */
  | "connector-not-found"
  /** `Unknown connector X` or `Unknown connector: X` */
  | "unknown-connector"
  /** `No status found for connector X`: also answered briefly right after a create; retry then. */
  | "no-connector-status"
  /** `Status for connector X not found` (restart with flags). */
  | "connector-status-not-found"
  /** `No status found for task X-N` */
  | "no-task-status"
  /** `Unknown task: X-N` */
  | "unknown-task"
  /** `Logger X not found.` */
  | "logger-not-found"
  /** `HTTP 404 Not Found`: no such route (an old worker, or a non-integer task id). */
  | "route"
  /** 404 `invalid log level 'X'.` (a bad-request) */
  | "invalid-log-level"
  /** 400 `Connectors must be in the STOPPED state before their offsets can be modified…` */
  | "connector-not-stopped"
  /** 400 `Connector config {…} contains no connector type` (the config map is redacted from the message). */
  | "no-connector-type"
  /** 400 `Connector name configuration (x) doesn't match connector name in the URL (y)` */
  | "name-mismatch"
  /**
   * 500 `IO Error trying to forward REST request: …`: the worker could not reach the leader (typically gone,
   * until the group notices): transient, retried like a rebalance for every method but POST.
   */
  | "forward-failed";

export interface KafkaConnectErrorInit {
  readonly kind: KafkaConnectErrorKind;
  /** The worker's message verbatim, or the client's own description for client-side failures. */
  readonly message: string;
  /** Origin that answered or failed ("" when no request was made). */
  readonly endpoint: string;
  readonly method: string;
  /** Path and query as sent (names already URL-encoded). */
  readonly path: string;
  readonly status?: number;
  /** `error_code` of the worker's JSON error body (equals the HTTP status). */
  readonly errorCode?: number;
  /** HTTP attempts made for this call, across retries and failover. */
  readonly attempts?: number;
  /** Client-side context: why retries stopped, which version added a route, which endpoints failed. */
  readonly detail?: string;
  readonly variant?: KafkaConnectErrorVariant;
  /** What the message names: a connector, `connector-N` task, logger or log level. */
  readonly subject?: string;
  readonly connector?: string;
  readonly task?: number;
  readonly configErrors?: readonly ConfigProblem[];
  /** For "unsupported": the first Kafka version with the endpoint or option. */
  readonly since?: string;
  /** For retried errors: the retry deadline, not the attempt limit, ended the retries. */
  readonly deadlineReached?: boolean;
  /** For failures after failover: every endpoint tried, in order. */
  readonly tried?: readonly string[];
  readonly cause?: unknown;
}

export class KafkaConnectError extends Error {
  override name = "KafkaConnectError";
  readonly kind: KafkaConnectErrorKind;
  readonly endpoint: string;
  readonly method: string;
  readonly path: string;
  declare readonly status?: number;
  declare readonly errorCode?: number;
  readonly attempts: number;
  declare readonly detail?: string;
  declare readonly variant?: KafkaConnectErrorVariant;
  declare readonly subject?: string;
  declare readonly connector?: string;
  declare readonly task?: number;
  declare readonly configErrors?: readonly ConfigProblem[];
  declare readonly since?: string;
  declare readonly deadlineReached?: boolean;
  declare readonly tried?: readonly string[];

  constructor(init: KafkaConnectErrorInit) {
    super(boundText(init.message), init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.endpoint = init.endpoint;
    this.method = init.method;
    this.path = init.path;
    this.attempts = init.attempts ?? 0;
    // Optional fields exist only when present (they are `declare`d), so inspect output stays readable.
    for (const key of OPTIONAL_FIELDS) {
      const value = init[key];
      if (value === undefined) continue;
      Object.assign(this, { [key]: typeof value === "string" ? boundText(value) : value });
    }
    if (init.configErrors !== undefined) this.configErrors = boundProblems(init.configErrors);
  }

  /** One line for logs: kind, request, status, message and client-side detail. */
  describe(): string {
    const where = this.endpoint ? ` on ${this.endpoint}` : "";
    const status = this.status === undefined ? "" : ` → ${this.status}`;
    const detail = this.detail ? ` (${this.detail})` : "";
    return `${this.kind}: ${this.method} ${this.path}${where}${status}: ${this.message}${detail}`;
  }
}

const OPTIONAL_FIELDS = [
  "status",
  "errorCode",
  "detail",
  "variant",
  "subject",
  "connector",
  "task",
  "configErrors",
  "since",
  "deadlineReached",
  "tried",
] as const;

/** The longest text an error keeps (message, detail, subject, each config error), marker included. */
export const MAX_ERROR_TEXT = 2048;
/** The most config errors an error keeps; a config with more keys than this is not a real connector's. */
export const MAX_CONFIG_ERRORS = 1000;

/**
 * `text` if it fits in `max` characters; else its start and a marker saying how long it was, `max` in all, so
 * bounding twice changes nothing.
 */
export function boundText(text: string, max = MAX_ERROR_TEXT): string {
  if (text.length <= max) return text;
  const marker = `… [cut: ${text.length} characters in all]`;
  let keep = Math.max(0, max - marker.length);
  // Never split a surrogate pair.
  const code = text.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep -= 1;
  return text.slice(0, keep) + marker;
}

function boundProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return problems.slice(0, MAX_CONFIG_ERRORS).map((problem) => ({
    ...(problem.key === undefined ? {} : { key: boundText(problem.key) }),
    message: boundText(problem.message),
  }));
}

/** The same failure with every text field passed through `scrub` (see credentials.ts). */
export function scrubFailure<T extends Partial<KafkaConnectErrorInit>>(
  failure: T,
  scrub: (text: string) => string,
): T {
  const out: Record<string, unknown> = { ...failure };
  for (const key of ["message", "detail", "subject", "connector"] as const) {
    const value = failure[key];
    if (typeof value === "string") out[key] = scrub(value);
  }
  if (failure.configErrors) {
    out["configErrors"] = failure.configErrors.map((problem) => ({
      ...(problem.key === undefined ? {} : { key: scrub(problem.key) }),
      message: scrub(problem.message),
    }));
  }
  return out as T;
}

export function isKafkaConnectError(
  error: unknown,
  kind?: KafkaConnectErrorKind,
): error is KafkaConnectError {
  return error instanceof KafkaConnectError && (kind === undefined || error.kind === kind);
}

/** An invalid option or argument, refused before any request. */
export function invalidArgument(message: string, method = "", path = ""): KafkaConnectError {
  return new KafkaConnectError({ kind: "invalid-argument", message, endpoint: "", method, path });
}

/** The classification of one HTTP answer: everything but the request context. */
export type ResponseFailure = Omit<KafkaConnectErrorInit, "endpoint" | "method" | "path" | "attempts">;

/** What the classifier needs to know about the route besides the answer. */
export interface RouteFacts {
  /** First Kafka version with this route (or method on it); absent for routes every version has. */
  readonly since?: string;
  /** What the route is, for the "unsupported" detail ("PUT /connectors/{c}/stop"). */
  readonly feature?: string;
}

const ROUTE_NOT_FOUND = "HTTP 404 Not Found";
const REQUEST_TIMED_OUT_PREFIX = "Request timed out";
const FORWARD_FAILED_PREFIX = "IO Error trying to forward REST request";
const REBALANCING_PREFIXES = [
  "Cannot complete request momentarily due to no known leader URL",
  "Cannot complete request because of a conflicting operation",
  "Cannot complete request momentarily due to stale configuration",
] as const;
const INVALID_CONFIG_HEADER =
  /^Connector configuration is invalid and contains the following (\d+) error\(s\):/;
const VALIDATE_HINT_PREFIX = "You can also find the above list of errors at the endpoint";
const MAX_TEXT_MESSAGE = 300;

/** Parses the worker's `{error_code, message}` body; null when the body is something else. */
export function parseErrorMessage(text: string): { errorCode: number; message: string } | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== "object" || body === null) return null;
  const { error_code: errorCode, message } = body as Record<string, unknown>;
  if (typeof errorCode !== "number") return null;
  if (typeof message !== "string" && message !== null) return null;
  return { errorCode, message: message ?? "" };
}

/** A non-JSON body as a message: trimmed, whitespace collapsed, bounded (proxies answer whole HTML pages). */
function textMessage(status: number, text: string): string {
  // Only the start can be shown: never scan megabytes for it.
  const flat = text
    .trimStart()
    .slice(0, 16 * MAX_TEXT_MESSAGE)
    .replace(/\s+/g, " ")
    .trim();
  if (flat === "") return `HTTP ${status} with an empty body`;
  return flat.length > MAX_TEXT_MESSAGE ? `${flat.slice(0, MAX_TEXT_MESSAGE)}…` : flat;
}

/** Classifies a non-success answer by status and the worker's message (the only way to tell 409s apart). */
export function classifyResponse(status: number, text: string, route: RouteFacts = {}): ResponseFailure {
  const parsed = parseErrorMessage(text);
  const message = redactConfigEcho(parsed ? parsed.message : textMessage(status, text));
  const base = { status, message, ...(parsed ? { errorCode: parsed.errorCode } : {}) };

  if (status === 401) return { ...base, kind: "unauthorized" };
  if (status === 403) return { ...base, kind: "forbidden" };
  if (status === 404) return { ...base, ...classifyNotFound(message, parsed !== null, route) };
  if (status === 405) {
    return route.since
      ? { ...base, kind: "unsupported", since: route.since, detail: unsupportedDetail(route) }
      : { ...base, kind: "bad-request" };
  }
  if (status === 409) return { ...base, ...classifyConflict(message) };
  if (status === 400) return { ...base, ...classifyBadRequest(message) };
  if (status >= 400 && status < 500) return { ...base, kind: "bad-request" };
  if (status === 500 && parsed) {
    if (message.startsWith(REQUEST_TIMED_OUT_PREFIX))
      return { ...base, kind: "timeout", detail: "the worker timed out waiting for the cluster" };
    if (message.startsWith(FORWARD_FAILED_PREFIX)) {
      const detail = "the worker could not forward the request to the leader (likely gone); transient";
      return { ...base, kind: "unavailable", variant: "forward-failed", detail };
    }
    return { ...base, kind: "server-error" };
  }
  if (status >= 500) return { ...base, kind: "unavailable" };
  return { ...base, kind: "malformed-response", detail: `unexpected HTTP status ${status}` };
}

function unsupportedDetail(route: RouteFacts): string {
  const what = route.feature ?? "this endpoint";
  return `${what} needs Kafka Connect ${route.since} or later; this worker is older`;
}

type Classified = Omit<ResponseFailure, "status" | "message" | "errorCode">;

function classifyNotFound(message: string, isJson: boolean, route: RouteFacts): Classified {
  // Before 1.1 an unmatched route answered an HTML page instead of the JSON `HTTP 404 Not Found`.
  if (message === ROUTE_NOT_FOUND || !isJson) {
    return route.since
      ? { kind: "unsupported", since: route.since, variant: "route", detail: unsupportedDetail(route) }
      : { kind: "not-found", variant: "route" };
  }
  let m = /^Connector (.+) not found$/s.exec(message);
  if (m) return connectorNotFound("connector-not-found", m[1]!);
  m = /^Unknown connector:? (.+)$/s.exec(message);
  if (m) return connectorNotFound("unknown-connector", m[1]!);
  m = /^No status found for connector (.+)$/s.exec(message);
  if (m) return connectorNotFound("no-connector-status", m[1]!);
  m = /^Status for connector (.+) not found$/s.exec(message);
  if (m) return connectorNotFound("connector-status-not-found", m[1]!);
  m = /^No status found for task (.+)$/s.exec(message);
  if (m) return taskNotFound("no-task-status", m[1]!);
  m = /^Unknown task:? (.+)$/s.exec(message);
  if (m) return taskNotFound("unknown-task", m[1]!);
  m = /^Logger (.+) not found\.$/s.exec(message);
  if (m) return { kind: "not-found", variant: "logger-not-found", subject: m[1]! };
  // The worker answers an invalid level with 404, but it is the caller's argument that is wrong.
  m = /^invalid log level '(.*)'\.$/s.exec(message);
  if (m) return { kind: "bad-request", variant: "invalid-log-level", subject: m[1]! };
  return { kind: "not-found" };
}

function connectorNotFound(variant: KafkaConnectErrorVariant, connector: string): Classified {
  return { kind: "not-found", variant, subject: connector, connector };
}

/** Task ids print as `connector-N`; connector names may themselves contain dashes, so split at the last. */
function taskNotFound(variant: KafkaConnectErrorVariant, subject: string): Classified {
  const m = /^(.*)-(\d+)$/s.exec(subject);
  return m
    ? { kind: "not-found", variant, subject, connector: m[1]!, task: Number(m[2]) }
    : { kind: "not-found", variant, subject };
}

function classifyConflict(message: string): Classified {
  if (REBALANCING_PREFIXES.some((prefix) => message.startsWith(prefix))) return { kind: "rebalancing" };
  const m = /^Connector (.+) already exists$/s.exec(message);
  if (m) return { kind: "already-exists", subject: m[1]!, connector: m[1]! };
  return { kind: "conflict" };
}

function classifyBadRequest(message: string): Classified {
  const configErrors = parseInvalidConfigMessage(message);
  if (configErrors) return { kind: "invalid-config", configErrors };
  if (message.startsWith("Connectors must be in the STOPPED state before their offsets can be modified")) {
    return { kind: "bad-request", variant: "connector-not-stopped" };
  }
  if (message === REDACTED_NO_CONNECTOR_TYPE) return { kind: "bad-request", variant: "no-connector-type" };
  if (message.startsWith("Connector name configuration ("))
    return { kind: "bad-request", variant: "name-mismatch" };
  return { kind: "bad-request" };
}

const CONFIG_ECHO_START = "Connector config {";
const CONFIG_ECHO_END = "} contains no connector type";
const REDACTED_NO_CONNECTOR_TYPE = "Connector config {…} contains no connector type";

/**
 * The worker echoes the whole config map, secrets included, when `connector.class` is missing: a config
 * write answers it as a 400, the validate endpoint as a 500 prefixed with the exception's class name. Keep
 * the shape, drop the values: from the first opening to the last closing, as a greedy match would, but with
 * two index searches (a regex here is quadratic on a message repeating the opening).
 */
function redactConfigEcho(message: string): string {
  const start = message.indexOf(CONFIG_ECHO_START);
  if (start === -1) return message;
  const end = message.lastIndexOf(CONFIG_ECHO_END);
  if (end < start + CONFIG_ECHO_START.length) return message;
  return message.slice(0, start) + REDACTED_NO_CONNECTOR_TYPE + message.slice(end + CONFIG_ECHO_END.length);
}

/**
 * Splits the worker's 400 `Connector configuration is invalid and contains the following N error(s):`
 * message into its errors: one per line, without the `You can also find …` hint added in 2.5.
 */
export function parseInvalidConfigMessage(message: string): ConfigProblem[] | null {
  if (!INVALID_CONFIG_HEADER.test(message)) return null;
  const lines = message.split("\n").slice(1);
  if (lines.at(-1)?.startsWith(VALIDATE_HINT_PREFIX)) lines.pop();
  return lines.filter((line) => line.trim() !== "").map((line) => ({ message: line }));
}

/** How a request that got no HTTP answer failed. */
export interface TransportFailure {
  readonly kind: "tls" | "unavailable" | "invalid-argument";
  /** The request certainly never reached a worker (connect failed), so even a POST may go elsewhere. */
  readonly notSent: boolean;
  readonly message: string;
  readonly code?: string;
}

// Failures before a connection exists: nothing was sent.
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

// OpenSSL's verification results as Node reports them, and Node's own hostname check.
const TLS_VERIFY_CODES = new Set([
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_CRL",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CRL_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CRL_NOT_YET_VALID",
  "CRL_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "ERROR_IN_CRL_LAST_UPDATE_FIELD",
  "ERROR_IN_CRL_NEXT_UPDATE_FIELD",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
]);

/** Every error code in an error, its causes and (for AggregateError, e.g. happy eyeballs) its members. */
function errorCodes(error: unknown, seen = new Set<unknown>()): string[] {
  if (typeof error !== "object" || error === null || seen.has(error)) return [];
  seen.add(error);
  const record = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof record.code === "string" ? [record.code] : [];
  const members = Array.isArray(record.errors) ? record.errors.flatMap((e) => errorCodes(e, seen)) : [];
  return [...own, ...errorCodes(record.cause, seen), ...members];
}

export function classifyTransportError(error: unknown): TransportFailure {
  const codes = errorCodes(error);
  const message = error instanceof Error && error.message ? error.message : String(error);
  const tls = codes.find((code) => TLS_VERIFY_CODES.has(code));
  if (tls) return { kind: "tls", notSent: false, message, code: tls };
  if (codes.includes("UND_ERR_INVALID_ARG")) return { kind: "invalid-argument", notSent: true, message };
  const code = codes[0];
  const notSent = codes.length > 0 && codes.every((c) => NOT_SENT_CODES.has(c));
  return code === undefined
    ? { kind: "unavailable", notSent, message }
    : { kind: "unavailable", notSent, message, code };
}
