/**
 * HTTP to the Kafka Connect workers: one pooled undici Agent, failover between endpoints, backoff for the
 * rebalancing 409s, a timeout per attempt and the caller's AbortSignal. It returns raw answers; the client
 * decodes them. Every failure leaves here as a KafkaConnectError.
 *
 * Failover rules, and why:
 * - connection errors, timeouts and any 5xx (the worker's own JSON 500s included) move to the next endpoint;
 *   a POST (create, restart) only when the request certainly never left (connect failed), as repeating it
 *   elsewhere could apply it twice;
 * - a 401 is tried once on every other endpoint: workers disagree while they roll after a credential change;
 * - a certificate that fails verification is never failed over: another host must not bypass it;
 * - the endpoint that answered last is tried first next time (sticky); a round reads that preference once, so
 *   concurrent calls moving it cannot make a round skip an endpoint.
 * Retries: the rebalancing 409s (any method) and the worker's "IO Error trying to forward" 500 (not POST) are
 * retried with backoff; once a call retries, no attempt may run past its deadline.
 */

import { setTimeout as delay } from "node:timers/promises";
import { Agent, type Dispatcher } from "undici";
import { formatBytes, readBounded } from "./body.js";
import { noScrub, type Scrub } from "./credentials.js";
import {
  boundText,
  classifyResponse,
  classifyTransportError,
  invalidArgument,
  KafkaConnectError,
  type KafkaConnectErrorInit,
  type RouteFacts,
  scrubFailure,
} from "./errors.js";
import { type ResponseObserver, routeTemplate } from "./observer.js";
import { nextRetry, type RetryPolicy } from "./retry.js";
import { isOlderThan, parseServerVersion } from "./version.js";

export interface LogEvent {
  readonly level: "debug" | "warn";
  readonly message: string;
  readonly endpoint?: string;
}

export type Logger = (event: LogEvent) => void;

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RequestSpec {
  readonly method: HttpMethod;
  /** Path and query, names already URL-encoded. */
  readonly path: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Statuses handed back to the caller; by default every 2xx. Anything else is classified and thrown. */
  readonly expect?: readonly number[];
  readonly route?: RouteFacts;
  /**
   * A feature older workers lack but do not refuse cleanly (they ignore it, or fail with an obscure 500): the
   * worker's version (`GET /`, read once per endpoint) is checked before the request is sent there, and an
   * older worker gets an "unsupported" error instead.
   */
  readonly requires?: { readonly since: string; readonly feature: string };
}

export interface CallOptions {
  /** Aborts this call, its retries and its sleeps at once. */
  readonly signal?: AbortSignal;
  /** Per attempt; overrides the client's `timeoutMs`. */
  readonly timeoutMs?: number;
}

/** A worker's answer to one call. */
export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  readonly endpoint: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly attempts: number;
  /** Removes the client's credentials from a text (see credentials.ts): for errors built from this answer. */
  readonly scrub: Scrub;
}

export interface TransportConfig {
  readonly endpoints: readonly string[];
  /** The whole `Authorization` header value; kept out of every log and error. */
  readonly authorization?: string;
  /** Removes the credentials from any text bound for an error or a log event. */
  readonly scrub?: Scrub;
  readonly tlsCa?: string;
  readonly timeoutMs: number;
  /** The most bytes of an answer's body read; past it the call fails with "response-too-large". */
  readonly maxResponseBytes: number;
  readonly retry: RetryPolicy;
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
  readonly onResponse?: ResponseObserver;
  readonly sleep?: Sleep;
  readonly now?: () => number;
}

/** One call's bookkeeping across its attempts. */
interface Call {
  readonly spec: RequestSpec;
  readonly idempotent: boolean;
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number;
  readonly body: string | undefined;
  attempts: number;
  lastEndpoint: string;
  /** Set once the call retries: the retry deadline, which no later attempt may run past. */
  deadlineAt?: number;
  /** The failure that made the call retry, for an error when the deadline ends it before another attempt. */
  retried?: Failure;
}

/** One HTTP exchange: the call's own request, or the version probe some calls need first. */
interface Exchange {
  readonly method: HttpMethod;
  readonly path: string;
  readonly body: string | undefined;
  readonly expect?: readonly number[];
  readonly route?: RouteFacts;
  /** Whether repeating it elsewhere is harmless (failover on any failure after it may have been sent). */
  readonly idempotent: boolean;
}

/** An attempt's failure, before the call's final attempt count is known. */
type Failure = Omit<KafkaConnectErrorInit, "method" | "path" | "attempts">;

type Outcome =
  | { readonly type: "answer"; readonly status: number; readonly text: string }
  | { readonly type: "failure"; readonly failure: Failure; readonly failover: boolean };

type RoundResult = { readonly answer: HttpAnswer } | { readonly failure: Failure; readonly deadline?: true };

/** A marker thrown out of an aborted sleep; turned into an "aborted" error by the caller. */
const ABORTED = Symbol("aborted");

const defaultSleep: Sleep = (ms, signal) => delay(ms, undefined, signal ? { signal } : {});

const VERSION_PROBE: Exchange = { method: "GET", path: "/", body: undefined, idempotent: true };

/**
 * The test seam (test-seam.ts): a dispatcher handed to the next Transport built. Not an option, so nothing
 * reachable through the package (index.ts, package.json "exports") can swap the client's own Agent.
 */
let injectedDispatcher: Dispatcher | undefined;

/** Runs `build` with `dispatcher` handed to the one Transport it constructs. Internal: see test-seam.ts. */
export function withInjectedDispatcher<T>(dispatcher: Dispatcher, build: () => T): T {
  injectedDispatcher = dispatcher;
  try {
    return build();
  } finally {
    injectedDispatcher = undefined;
  }
}

export class Transport {
  readonly #endpoints: readonly string[];
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #config: TransportConfig;
  readonly #sleep: Sleep;
  readonly #now: () => number;
  readonly #scrub: Scrub;
  /** Worker version per endpoint, read once (null: the answer had no version we could read). */
  readonly #versions = new Map<string, string | null>();
  #preferred = 0;
  #closed = false;

  constructor(config: TransportConfig) {
    this.#config = config;
    this.#endpoints = config.endpoints;
    this.#sleep = config.sleep ?? defaultSleep;
    this.#now = config.now ?? Date.now;
    this.#scrub = config.scrub ?? noScrub;
    const injected = injectedDispatcher;
    injectedDispatcher = undefined;
    // A test dispatcher never talks to an https endpoint: only the client's own Agent, which verifies, does.
    if (injected !== undefined && config.endpoints.some((e) => e.startsWith("https:"))) {
      throw invalidArgument(
        "an injected dispatcher is for http test endpoints only; https is always verified",
      );
    }
    this.#ownsDispatcher = injected === undefined;
    // Verification is always on: `rejectUnauthorized` is set explicitly so that even
    // NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot turn it off.
    this.#dispatcher =
      injected ??
      new Agent({
        connect: { rejectUnauthorized: true, ...(config.tlsCa === undefined ? {} : { ca: config.tlsCa }) },
      });
  }

  /** The endpoint tried first by the next call. */
  get preferredEndpoint(): string {
    return this.#endpoints[this.#preferred]!;
  }

  /** Releases the pooled connections (not an injected dispatcher, which belongs to its creator). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async request(spec: RequestSpec, options: CallOptions = {}): Promise<HttpAnswer> {
    if (this.#closed) throw invalidArgument("the Kafka Connect client is closed", spec.method, spec.path);
    const signals = [this.#config.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const call: Call = {
      spec,
      idempotent: spec.method !== "POST",
      signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
      timeoutMs: options.timeoutMs ?? this.#config.timeoutMs,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      attempts: 0,
      lastEndpoint: "",
    };
    const { retry } = this.#config;
    const started = this.#now();
    for (let tries = 1; ; tries++) {
      const result = await this.#round(call);
      if ("answer" in result) return result.answer;
      const { failure } = result;
      if (result.deadline || !this.#retryable(call, failure)) throw this.#error(call, failure);
      const decision = nextRetry(retry, tries, this.#now() - started);
      if (!decision.retry) {
        throw this.#error(call, {
          ...failure,
          detail: decision.detail,
          deadlineReached: decision.reason === "deadline",
        });
      }
      call.deadlineAt = started + retry.deadlineMs;
      call.retried = failure;
      this.#log(
        "warn",
        `${spec.method} ${spec.path}: ${failure.message}; retrying in ${decision.delayMs} ms`,
      );
      await this.#pause(call, decision.delayMs);
    }
  }

  /** The rebalancing 409s always (nothing was done); a failed forward to the leader unless it is a POST. */
  #retryable(call: Call, failure: Failure): boolean {
    if (failure.kind === "rebalancing") return true;
    return call.idempotent && failure.variant === "forward-failed";
  }

  /** Tries the endpoints, preferred first, until one gives an answer that ends the round. */
  async #round(call: Call): Promise<RoundResult> {
    const failures: Failure[] = [];
    const count = this.#endpoints.length;
    // Read once: concurrent calls move the preference, and re-reading it mid-round could skip endpoints.
    const first = this.#preferred;
    const request: Exchange = {
      method: call.spec.method,
      path: call.spec.path,
      body: call.body,
      idempotent: call.idempotent,
      ...(call.spec.expect === undefined ? {} : { expect: call.spec.expect }),
      ...(call.spec.route === undefined ? {} : { route: call.spec.route }),
    };
    for (let step = 0; step < count; step++) {
      const index = (first + step) % count;
      const endpoint = this.#endpoints[index]!;
      this.#throwIfAborted(call);
      const timeoutMs = this.#attemptTimeout(call);
      if (timeoutMs <= 0) return { failure: this.#deadlinePassed(call, failures), deadline: true };
      let outcome = await this.#versionGate(call, endpoint, timeoutMs);
      if (outcome === undefined) {
        const left = this.#attemptTimeout(call); // the version probe took some of it
        if (left <= 0) return { failure: this.#deadlinePassed(call, failures), deadline: true };
        outcome = await this.#attempt(call, endpoint, request, left);
      }
      if (outcome.type === "answer") {
        this.#preferred = index;
        return {
          answer: {
            status: outcome.status,
            text: outcome.text,
            endpoint,
            method: call.spec.method,
            path: call.spec.path,
            attempts: call.attempts,
            scrub: this.#scrub,
          },
        };
      }
      // An attempt cut short by the retry deadline ends the call: there is no time left for another.
      if (outcome.failure.deadlineReached) return { failure: outcome.failure, deadline: true };
      if (!outcome.failover) {
        // A worker that answered (even with an error) is a good one to ask next time.
        if (outcome.failure.status !== undefined && outcome.failure.kind !== "unavailable")
          this.#preferred = index;
        return { failure: outcome.failure };
      }
      failures.push(outcome.failure);
      if (step + 1 < count) {
        this.#log(
          "warn",
          `${call.spec.method} ${call.spec.path} failed (${outcome.failure.message}); trying the next endpoint`,
          endpoint,
        );
      }
    }
    return { failure: summarise(failures) };
  }

  /** The attempt timeout, capped once the call retries by what is left before the retry deadline. */
  #attemptTimeout(call: Call): number {
    if (call.deadlineAt === undefined) return call.timeoutMs;
    return Math.min(call.timeoutMs, call.deadlineAt - this.#now());
  }

  /** The error for a retrying call whose deadline passed before the next endpoint could be tried. */
  #deadlinePassed(call: Call, failures: readonly Failure[]): Failure {
    const last = failures.length > 0 ? summarise(failures) : call.retried!;
    const detail =
      `gave up after ${call.attempts} attempt(s): the retry deadline of ${this.#config.retry.deadlineMs} ms ` +
      "was reached before another endpoint could be tried";
    return { ...last, detail, deadlineReached: true };
  }

  /**
   * For a request older workers lack part of: the worker's version, read once per endpoint with `GET /`.
   * Nothing (undefined) when the request may go ahead; else the probe's failure or "unsupported".
   */
  async #versionGate(call: Call, endpoint: string, timeoutMs: number): Promise<Outcome | undefined> {
    const needs = call.spec.requires;
    if (!needs) return undefined;
    let version = this.#versions.get(endpoint);
    if (version === undefined) {
      const probe = await this.#attempt(call, endpoint, VERSION_PROBE, timeoutMs);
      if (probe.type === "failure") return probe;
      // A version we cannot read (a vendor build, say) does not block: the worker decides.
      version = parseServerVersion(probe.text);
      this.#versions.set(endpoint, version);
    }
    if (version === null || !isOlderThan(version, needs.since)) return undefined;
    const failure: Failure = {
      kind: "unsupported",
      message: `${needs.feature} needs Kafka Connect ${needs.since} or later; this worker runs ${version}`,
      endpoint,
      since: needs.since,
      detail: "refused before sending, from the version the worker reports on GET /",
    };
    return { type: "failure", failure, failover: false };
  }

  /** One HTTP attempt, reported to the `onResponse` observer however it ends. */
  async #attempt(call: Call, endpoint: string, request: Exchange, timeoutMs: number): Promise<Outcome> {
    const started = this.#now();
    try {
      const outcome = await this.#exchange(call, endpoint, request, timeoutMs);
      if (outcome.type === "answer") this.#observe(request, endpoint, started, outcome.status);
      else this.#observe(request, endpoint, started, outcome.failure.status, outcome.failure.kind);
      return outcome;
    } catch (error) {
      // Only an abort leaves an exchange by throwing.
      const kind = error instanceof KafkaConnectError ? error.kind : "aborted";
      this.#observe(request, endpoint, started, undefined, kind);
      throw error;
    }
  }

  #observe(
    request: Exchange,
    endpoint: string,
    started: number,
    status: number | undefined,
    errorKind?: KafkaConnectError["kind"],
  ): void {
    const observer = this.#config.onResponse;
    if (observer === undefined) return;
    const event = {
      method: request.method,
      path: routeTemplate(request.path),
      endpoint,
      durationMs: Math.max(0, this.#now() - started),
      ...(status === undefined ? {} : { status }),
      ...(errorKind === undefined ? {} : { errorKind }),
    };
    try {
      observer(event);
    } catch {
      // A failing metrics hook must not fail or retry the REST call it observes.
      this.#log(
        "warn",
        `the onResponse observer threw on ${request.method} ${event.path}; ignored`,
        endpoint,
      );
    }
  }

  async #exchange(call: Call, endpoint: string, request: Exchange, timeoutMs: number): Promise<Outcome> {
    call.attempts += 1;
    call.lastEndpoint = endpoint;
    const { method, path } = request;
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(), timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timer.signal]) : timer.signal;
    const headers: Record<string, string> = { accept: "application/json" };
    if (request.body !== undefined) headers["content-type"] = "application/json";
    if (this.#config.authorization !== undefined) headers["authorization"] = this.#config.authorization;
    const started = this.#now();
    try {
      const response = await this.#dispatcher.request({
        origin: endpoint,
        path,
        method,
        headers,
        body: request.body ?? null,
        signal,
      });
      const status = response.statusCode;
      const limit = this.#config.maxResponseBytes;
      const body = await readBounded(response.body, limit, response.headers["content-length"]);
      if ("tooLarge" in body) {
        const read =
          body.declared === undefined
            ? `stopped reading at ${body.received} bytes`
            : `its content-length is ${body.declared}; not read`;
        this.#log("debug", `${method} ${path} → ${status}, body over ${limit} bytes (${read})`, endpoint);
        const failure: Failure = {
          kind: "response-too-large",
          status,
          message:
            `the answer to ${method} ${path} from ${endpoint} is larger than the client's limit of ` +
            `${formatBytes(limit)} (maxResponseBytes)`,
          endpoint,
          detail: `${read}; the connection was closed`,
        };
        return { type: "failure", failure, failover: false };
      }
      const { text } = body;
      this.#log("debug", `${method} ${path} → ${status} in ${this.#now() - started} ms`, endpoint);
      const expected = request.expect ? request.expect.includes(status) : status >= 200 && status < 300;
      if (expected) return { type: "answer", status, text };
      // Scrubbed before classifying: the classifier cuts long texts, which could leave half a credential.
      const classified = classifyResponse(status, this.#scrub(text), request.route);
      const failure: Failure = { ...classified, endpoint };
      // Workers disagree about credentials while they roll: ask every other one once, even for a POST,
      // since the auth filter rejected the request before the worker acted on it.
      if (failure.kind === "unauthorized") return { type: "failure", failure, failover: true };
      // Any 5xx may be one worker's trouble (its own JSON 500s included): ask another, unless it is a POST.
      return { type: "failure", failure, failover: status >= 500 && request.idempotent };
    } catch (error) {
      this.#throwIfAborted(call);
      const ms = this.#now() - started;
      if (timer.signal.aborted) {
        this.#log("debug", `${method} ${path} → no answer within ${timeoutMs} ms`, endpoint);
        const failure: Failure = {
          kind: "timeout",
          message: `no answer within ${timeoutMs} ms`,
          endpoint,
          cause: error,
        };
        // Cut short by the retry deadline rather than by the attempt timeout: the call ends here.
        if (timeoutMs < call.timeoutMs) {
          const detail =
            `gave up after ${call.attempts} attempt(s): the retry deadline of ` +
            `${this.#config.retry.deadlineMs} ms was reached during the last attempt`;
          return { type: "failure", failure: { ...failure, detail, deadlineReached: true }, failover: false };
        }
        return { type: "failure", failure, failover: request.idempotent };
      }
      const transport = classifyTransportError(error);
      this.#log("debug", `${method} ${path} → ${transport.message} after ${ms} ms`, endpoint);
      const failure: Failure = { kind: transport.kind, message: transport.message, endpoint, cause: error };
      if (transport.kind !== "unavailable") return { type: "failure", failure, failover: false };
      return { type: "failure", failure, failover: request.idempotent || transport.notSent };
    } finally {
      clearTimeout(timeout);
    }
  }

  /** Sleeps between retries; the caller's signal ends the sleep at once. */
  async #pause(call: Call, ms: number): Promise<void> {
    const { signal } = call;
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(ABORTED);
        signal?.addEventListener("abort", onAbort, { once: true });
        this.#sleep(ms, signal).then(
          () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
          (error: unknown) => {
            signal?.removeEventListener("abort", onAbort);
            reject(error);
          },
        );
      });
    } catch (error) {
      this.#throwIfAborted(call);
      throw error;
    }
  }

  #throwIfAborted(call: Call): void {
    if (!call.signal?.aborted) return;
    throw this.#error(call, {
      kind: "aborted",
      message: "the request was aborted",
      endpoint: call.lastEndpoint,
      cause: call.signal.reason,
    });
  }

  #error(call: Call, failure: Failure): KafkaConnectError {
    return new KafkaConnectError({
      ...scrubFailure(failure, this.#scrub),
      method: call.spec.method,
      path: call.spec.path,
      attempts: call.attempts,
    });
  }

  #log(level: LogEvent["level"], text: string, endpoint?: string): void {
    const { logger } = this.#config;
    if (logger === undefined) return;
    // Log lines carry worker messages: scrubbed, and bounded like an error's.
    const message = boundText(this.#scrub(text));
    logger(endpoint === undefined ? { level, message } : { level, message, endpoint });
  }
}

/**
 * The error for a round in which every endpoint failed. A 401 wins (the credentials are the thing to fix),
 * then a worker's own JSON 500 (an answer, surfaced verbatim), then timeouts if that is all there was;
 * otherwise the cluster is unavailable. A variant is kept only when every endpoint gave it.
 */
function summarise(failures: readonly Failure[]): Failure {
  const tried = failures.map((f) => f.endpoint);
  const last = failures.at(-1)!;
  if (failures.length === 1) return last;
  const unauthorized = failures.findLast((f) => f.kind === "unauthorized");
  if (unauthorized) {
    return { ...unauthorized, tried, detail: `no endpoint accepted the credentials (${tried.length} tried)` };
  }
  const answered = failures.findLast((f) => f.kind === "server-error");
  if (answered) {
    return { ...answered, tried, detail: `no endpoint served it (${tried.length} tried)` };
  }
  const kind = failures.every((f) => f.kind === "timeout") ? "timeout" : "unavailable";
  const each = failures.map(
    (f) => `${f.endpoint}: ${f.status === undefined ? "" : `${f.status} `}${f.message}`,
  );
  const { variant: _variant, ...rest } = last;
  const variant = failures.every((f) => f.variant === last.variant) ? last.variant : undefined;
  return {
    ...rest,
    ...(variant === undefined ? {} : { variant }),
    kind,
    message: `no Kafka Connect endpoint answered (${each.join("; ")})`,
    tried,
    detail: `all ${tried.length} endpoints failed`,
  };
}
