/**
 * HTTP to the Kafka Connect workers: one pooled undici Agent, failover between endpoints, backoff for the
 * rebalancing 409s, a timeout per attempt and the caller's AbortSignal. It returns raw answers; the client
 * decodes them. Every failure leaves here as a KafkaConnectError.
 *
 * Failover rules, and why:
 * - connection errors, timeouts and 5xx that are not the worker's own JSON error move to the next endpoint;
 *   a POST (create, restart) only when the request certainly never left (connect failed), as repeating it
 *   elsewhere could apply it twice;
 * - a 401 is tried once on every other endpoint: workers disagree while they roll after a credential change;
 * - a certificate that fails verification is never failed over: another host must not bypass it;
 * - the endpoint that answered last is tried first next time (sticky).
 */

import { setTimeout as delay } from "node:timers/promises";
import { Agent, type Dispatcher } from "undici";
import {
  classifyResponse,
  classifyTransportError,
  invalidArgument,
  KafkaConnectError,
  type KafkaConnectErrorInit,
  type RouteFacts,
} from "./errors.js";
import { nextRetry, type RetryPolicy } from "./retry.js";

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
}

export interface TransportConfig {
  readonly endpoints: readonly string[];
  /** The whole `Authorization` header value; kept out of every log and error. */
  readonly authorization?: string;
  readonly tlsCa?: string;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
  readonly dispatcher?: Dispatcher;
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
}

/** An attempt's failure, before the call's final attempt count is known. */
type Failure = Omit<KafkaConnectErrorInit, "method" | "path" | "attempts">;

type Outcome =
  | { readonly type: "answer"; readonly status: number; readonly text: string }
  | { readonly type: "failure"; readonly failure: Failure; readonly failover: boolean };

/** A marker thrown out of an aborted sleep; turned into an "aborted" error by the caller. */
const ABORTED = Symbol("aborted");

const defaultSleep: Sleep = (ms, signal) => delay(ms, undefined, signal ? { signal } : {});

export class Transport {
  readonly #endpoints: readonly string[];
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #config: TransportConfig;
  readonly #sleep: Sleep;
  readonly #now: () => number;
  #preferred = 0;
  #closed = false;

  constructor(config: TransportConfig) {
    this.#config = config;
    this.#endpoints = config.endpoints;
    this.#sleep = config.sleep ?? defaultSleep;
    this.#now = config.now ?? Date.now;
    this.#ownsDispatcher = config.dispatcher === undefined;
    // Verification is always on: `rejectUnauthorized` is set explicitly so that even
    // NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot turn it off.
    this.#dispatcher =
      config.dispatcher ??
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
    const started = this.#now();
    for (let tries = 1; ; tries++) {
      const result = await this.#round(call);
      if ("answer" in result) return result.answer;
      const failure = result.failure;
      if (failure.kind !== "rebalancing") throw this.#error(call, failure);
      const decision = nextRetry(this.#config.retry, tries, this.#now() - started);
      if (!decision.retry) {
        throw this.#error(call, {
          ...failure,
          detail: decision.detail,
          deadlineReached: decision.reason === "deadline",
        });
      }
      this.#log(
        "warn",
        `${spec.method} ${spec.path}: ${failure.message}; retrying in ${decision.delayMs} ms`,
      );
      await this.#pause(call, decision.delayMs);
    }
  }

  /** Tries the endpoints, preferred first, until one gives an answer that ends the round. */
  async #round(call: Call): Promise<{ answer: HttpAnswer } | { failure: Failure }> {
    const failures: Failure[] = [];
    const count = this.#endpoints.length;
    for (let step = 0; step < count; step++) {
      const index = (this.#preferred + step) % count;
      const endpoint = this.#endpoints[index]!;
      this.#throwIfAborted(call);
      call.attempts += 1;
      call.lastEndpoint = endpoint;
      const outcome = await this.#attempt(call, endpoint);
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
          },
        };
      }
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

  async #attempt(call: Call, endpoint: string): Promise<Outcome> {
    const { spec } = call;
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(), call.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timer.signal]) : timer.signal;
    const headers: Record<string, string> = { accept: "application/json" };
    if (call.body !== undefined) headers["content-type"] = "application/json";
    if (this.#config.authorization !== undefined) headers["authorization"] = this.#config.authorization;
    const started = this.#now();
    try {
      const response = await this.#dispatcher.request({
        origin: endpoint,
        path: spec.path,
        method: spec.method,
        headers,
        body: call.body ?? null,
        signal,
      });
      const text = await response.body.text();
      const status = response.statusCode;
      this.#log("debug", `${spec.method} ${spec.path} → ${status} in ${this.#now() - started} ms`, endpoint);
      const expected = spec.expect ? spec.expect.includes(status) : status >= 200 && status < 300;
      if (expected) return { type: "answer", status, text };
      const failure: Failure = { ...classifyResponse(status, text, spec.route), endpoint };
      // Workers disagree about credentials while they roll: ask every other one once, even for a POST,
      // since the auth filter rejected the request before the worker acted on it.
      if (failure.kind === "unauthorized") return { type: "failure", failure, failover: true };
      return { type: "failure", failure, failover: failure.kind === "unavailable" && call.idempotent };
    } catch (error) {
      this.#throwIfAborted(call);
      const ms = this.#now() - started;
      if (timer.signal.aborted) {
        this.#log("debug", `${spec.method} ${spec.path} → no answer within ${call.timeoutMs} ms`, endpoint);
        const failure: Failure = {
          kind: "timeout",
          message: `no answer within ${call.timeoutMs} ms`,
          endpoint,
          cause: error,
        };
        return { type: "failure", failure, failover: call.idempotent };
      }
      const transport = classifyTransportError(error);
      this.#log("debug", `${spec.method} ${spec.path} → ${transport.message} after ${ms} ms`, endpoint);
      const failure: Failure = { kind: transport.kind, message: transport.message, endpoint, cause: error };
      if (transport.kind !== "unavailable") return { type: "failure", failure, failover: false };
      return { type: "failure", failure, failover: call.idempotent || transport.notSent };
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
      ...failure,
      method: call.spec.method,
      path: call.spec.path,
      attempts: call.attempts,
    });
  }

  #log(level: LogEvent["level"], message: string, endpoint?: string): void {
    this.#config.logger?.(endpoint === undefined ? { level, message } : { level, message, endpoint });
  }
}

/**
 * The error for a round in which every endpoint failed. A 401 wins (the credentials are the thing to fix),
 * then timeouts if that is all there was; otherwise the cluster is unavailable.
 */
function summarise(failures: readonly Failure[]): Failure {
  const tried = failures.map((f) => f.endpoint);
  const last = failures.at(-1)!;
  if (failures.length === 1) return last;
  const unauthorized = failures.findLast((f) => f.kind === "unauthorized");
  if (unauthorized) {
    return { ...unauthorized, tried, detail: `no endpoint accepted the credentials (${tried.length} tried)` };
  }
  const kind = failures.every((f) => f.kind === "timeout") ? "timeout" : "unavailable";
  const each = failures.map(
    (f) => `${f.endpoint}: ${f.status === undefined ? "" : `${f.status} `}${f.message}`,
  );
  return {
    ...last,
    kind,
    message: `no Kafka Connect endpoint answered (${each.join("; ")})`,
    tried,
    detail: `all ${tried.length} endpoints failed`,
  };
}
