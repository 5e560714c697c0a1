/**
 * A thin, typed client for the Kafka Connect REST API: one method per endpoint, one error model
 * (KafkaConnectError). Paths are built here with every name URL-encoded; the internal `forward` parameter
 * is never sent. HTTP, failover and retries live in transport.ts.
 */

import type { z } from "zod";
import { credentialScrubber } from "./credentials.js";
import { parseEndpoints } from "./endpoints.js";
import {
  classifyResponse,
  invalidArgument,
  isKafkaConnectError,
  KafkaConnectError,
  scrubFailure,
} from "./errors.js";
import type { ResponseObserver } from "./observer.js";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";
import {
  AffectedLoggersSchema,
  ConfigInfosSchema,
  ConfigKeyInfoListSchema,
  ConfigSchema,
  ConnectorInfoSchema,
  ConnectorNamesSchema,
  ConnectorOffsetsSchema,
  ConnectorStateInfoSchema,
  ExpandedConnectorsSchema,
  LoggerLevelSchema,
  LoggersSchema,
  MessageSchema,
  PluginInfoListSchema,
  ServerInfoSchema,
  TaskInfoListSchema,
  TaskStatusSchema,
  TopicsSchema,
  WorkerHealthSchema,
} from "./schemas.js";
import {
  type CallOptions,
  type HttpAnswer,
  type Logger,
  type RequestSpec,
  type Sleep,
  Transport,
} from "./transport.js";
import type {
  ConfigInfos,
  ConfigKeyInfo,
  ConfigProblem,
  ConfigValidation,
  ConnectorExpansion,
  ConnectorInfo,
  ConnectorOffsets,
  ConnectorStateInfo,
  ExpandedConnectors,
  InitialState,
  LoggerLevel,
  LoggerScope,
  Message,
  PluginInfo,
  PutConfigResult,
  RestartResult,
  ServerInfo,
  SetLoggerResult,
  TaskInfo,
  TaskStatus,
  WorkerHealthReport,
} from "./types.js";

export interface KafkaConnectClientOptions {
  /** The provider's `endpoints`: URLs (http or https), as an array or one comma-separated string. */
  readonly endpoints: string | readonly string[];
  /** HTTP basic auth (the worker's BasicAuthSecurityRestExtension). */
  readonly auth?: { readonly username: string; readonly password: string };
  /**
   * PEM CA chain that signed the workers' certificates (the provider's secret-tls `tls-ca`). Without it, the
   * system's CAs are used. Verification is always on; there is no option to turn it off.
   */
  readonly tlsCa?: string;
  /** Per attempt, connect to last body byte (default 30 s). */
  readonly timeoutMs?: number;
  /**
   * The most bytes of one answer's body the client reads (default 32 MiB); a larger answer fails with kind
   * "response-too-large" and its connection is closed. A 500-connector `expand=status&expand=info` listing is
   * ~3 MiB with 40-key configs and ~12 MiB with 100 keys of 200 bytes each.
   */
  readonly maxResponseBytes?: number;
  /** Backoff for the rebalancing 409s: `baseDelayMs × 2^n`, at most `attempts` tries within `deadlineMs`. */
  readonly retry?: {
    readonly attempts?: number;
    readonly baseDelayMs?: number;
    readonly deadlineMs?: number;
  };
  /** Aborts every call of this client; each call may also pass its own. */
  readonly signal?: AbortSignal;
  /** Debug lines per attempt (method, path, endpoint, status, duration) and failover warnings; never headers. */
  readonly logger?: Logger;
  /**
   * Called once per HTTP attempt (version probes, retries and failover included) with the method, the route
   * template, the endpoint, the status (absent without an answer), the duration and the error kind of a
   * failed attempt: to count requests by status without parsing logs. Never given headers or bodies.
   */
  readonly onResponse?: ResponseObserver;
  /** Injectable clock for tests. */
  readonly sleep?: Sleep;
  readonly now?: () => number;
}

const CLIENT_OPTIONS = new Set([
  "endpoints",
  "auth",
  "tlsCa",
  "timeoutMs",
  "maxResponseBytes",
  "retry",
  "signal",
  "logger",
  "onResponse",
  "sleep",
  "now",
]);
// Refused like any unknown option, with a hint: each could carry a way around certificate verification.
const TLS_BYPASS_OPTIONS = new Set([
  "rejectUnauthorized",
  "insecure",
  "skipVerify",
  "checkServerIdentity",
  "ca",
  "dispatcher",
  "agent",
  "connect",
]);
const DEFAULT_TIMEOUT_MS = 30_000;
/** Over 2.5× the heaviest 500-connector listing measured on the emulator (~12 MiB), far under any heap limit. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 2 ** 20;

export class KafkaConnectClient {
  readonly #transport: Transport;

  constructor(options: KafkaConnectClientOptions) {
    if (typeof options !== "object" || options === null) throw invalidArgument("options must be an object");
    checkKeys(options, CLIENT_OPTIONS, "option");
    const endpoints = parseEndpoints(options.endpoints);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    checkPositive(timeoutMs, "timeoutMs");
    const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 1) {
      throw invalidArgument("maxResponseBytes must be an integer ≥ 1");
    }
    if (options.tlsCa !== undefined && (typeof options.tlsCa !== "string" || options.tlsCa.trim() === "")) {
      throw invalidArgument("tlsCa must be a PEM string");
    }
    const authorization = options.auth === undefined ? undefined : basicAuthorization(options.auth);
    this.#transport = new Transport({
      endpoints,
      timeoutMs,
      maxResponseBytes,
      retry: retryPolicy(options.retry),
      ...(authorization === undefined ? {} : { authorization, scrub: credentialScrubber(options.auth) }),
      ...(options.tlsCa === undefined ? {} : { tlsCa: options.tlsCa }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.onResponse === undefined ? {} : { onResponse: observer(options.onResponse) }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  }

  /** The endpoint the next call tries first (the one that answered last). */
  get preferredEndpoint(): string {
    return this.#transport.preferredEndpoint;
  }

  /** Releases the pooled keep-alive connections. Calls made afterwards are refused. */
  close(): Promise<void> {
    return this.#transport.close();
  }

  /** `GET /`: version, commit and Kafka cluster id of the worker. */
  async serverInfo(options?: CallOptions): Promise<ServerInfo> {
    return this.#json({ method: "GET", path: "/" }, ServerInfoSchema, options);
  }

  /**
   * `GET /health` (3.9+): the health of the worker that answered (`endpoint`); 503 while it starts and 500
   * when unhealthy are reported, not thrown.
   */
  async health(options?: CallOptions): Promise<WorkerHealthReport> {
    const route = { since: "3.9", feature: "GET /health" };
    const spec: RequestSpec = { method: "GET", path: "/health", expect: [200, 500, 503], route };
    const answer = await this.#send(spec, options);
    if (answer.status !== 200) {
      const parsed = tryJson(answer.text, WorkerHealthSchema);
      if (!parsed) {
        throw answerError(answer, classifyResponse(answer.status, answer.scrub(answer.text), route));
      }
      return { ...parsed, httpStatus: answer.status, endpoint: answer.endpoint };
    }
    return { ...decode(answer, WorkerHealthSchema), httpStatus: answer.status, endpoint: answer.endpoint };
  }

  /** `GET /connectors`: the names; with `expand` (2.3+), a map of each connector's status and/or info. */
  listConnectors(options?: CallOptions): Promise<string[]>;
  listConnectors(
    options: CallOptions & { readonly expand: readonly [ConnectorExpansion, ...ConnectorExpansion[]] },
  ): Promise<ExpandedConnectors>;
  async listConnectors(
    options: CallOptions & { readonly expand?: readonly ConnectorExpansion[] } = {},
  ): Promise<string[] | ExpandedConnectors> {
    const { expand = [], ...call } = options;
    const kinds = [...new Set(expand)];
    for (const kind of kinds) {
      if (kind !== "status" && kind !== "info") throw invalidArgument(`expand must be "status" or "info"`);
    }
    if (kinds.length === 0)
      return this.#json({ method: "GET", path: "/connectors" }, ConnectorNamesSchema, call);
    const path = `/connectors?${kinds.map((k) => `expand=${k}`).join("&")}`;
    const answer = await this.#send({ method: "GET", path }, call);
    // A pre-2.3 worker ignores `expand` and answers the plain list.
    if (tryJson(answer.text, ConnectorNamesSchema)) {
      throw answerError(answer, {
        kind: "unsupported",
        status: answer.status,
        message: "the worker ignored the expand parameter",
        since: "2.3",
        detail: "GET /connectors?expand needs Kafka Connect 2.3 or later; this worker is older",
      });
    }
    return decode(answer, ExpandedConnectorsSchema);
  }

  /**
   * `POST /connectors` (201). Not failed over unless the request never left. `initialState` needs 3.7+: the
   * worker's version (`GET /`, read once per endpoint) is checked first, and an older worker is refused with
   * kind "unsupported" before anything is created (its Jackson rejects the unknown property with a 500).
   */
  async createConnector(
    name: string,
    config: Readonly<Record<string, string>>,
    options: CallOptions & { readonly initialState?: InitialState } = {},
  ): Promise<ConnectorInfo> {
    const { initialState, ...call } = options;
    segment(name, "connector name");
    checkConfig(config);
    if (initialState === undefined) {
      const spec: RequestSpec = { method: "POST", path: "/connectors", body: { name, config } };
      return this.#json(spec, ConnectorInfoSchema, call);
    }
    const spec: RequestSpec = {
      method: "POST",
      path: "/connectors",
      body: { name, config, initial_state: initialState },
      requires: INITIAL_STATE,
    };
    try {
      return await this.#json(spec, ConnectorInfoSchema, call);
    } catch (error) {
      // A worker whose version we could not read, older than 3.7 after all.
      if (isKafkaConnectError(error, "server-error") && error.message.startsWith(UNKNOWN_INITIAL_STATE)) {
        throw new KafkaConnectError({
          ...errorInit(error),
          kind: "unsupported",
          since: INITIAL_STATE.since,
          detail: `${INITIAL_STATE.feature} needs Kafka Connect ${INITIAL_STATE.since} or later`,
        });
      }
      throw error;
    }
  }

  /** `GET /connectors/{c}`; the config holds secrets in clear text unless config providers are used. */
  async getConnector(name: string, options?: CallOptions): Promise<ConnectorInfo> {
    return this.#json({ method: "GET", path: connectorPath(name) }, ConnectorInfoSchema, options);
  }

  /** `GET /connectors/{c}/config`: raw, `${provider:…}` references unresolved. */
  async getConfig(name: string, options?: CallOptions): Promise<Record<string, string>> {
    return this.#json({ method: "GET", path: connectorPath(name, "config") }, ConfigSchema, options);
  }

  /**
   * `PUT /connectors/{c}/config`: creates (201) or updates (200). An identical config is still written and
   * restarts the connector and its tasks: compare first.
   */
  async putConfig(
    name: string,
    config: Readonly<Record<string, string>>,
    options?: CallOptions,
  ): Promise<PutConfigResult> {
    checkConfig(config);
    const answer = await this.#send(
      { method: "PUT", path: connectorPath(name, "config"), body: config },
      options,
    );
    return { created: answer.status === 201, info: decode(answer, ConnectorInfoSchema) };
  }

  /** `PATCH /connectors/{c}/config` (3.8+): merges; a `null` value removes the key. Restarts like a PUT. */
  async patchConfig(
    name: string,
    patch: Readonly<Record<string, string | null>>,
    options?: CallOptions,
  ): Promise<ConnectorInfo> {
    checkConfig(patch, true);
    const route = { since: "3.8", feature: "PATCH /connectors/{c}/config" };
    const spec: RequestSpec = { method: "PATCH", path: connectorPath(name, "config"), body: patch, route };
    return this.#json(spec, ConnectorInfoSchema, options);
  }

  /**
   * `GET /connectors/{c}/status`. Right after a create the worker may briefly answer 404
   * `No status found for connector X` (variant "no-connector-status"): poll again.
   */
  async status(name: string, options?: CallOptions): Promise<ConnectorStateInfo> {
    return this.#json(
      { method: "GET", path: connectorPath(name, "status") },
      ConnectorStateInfoSchema,
      options,
    );
  }

  /** `GET /connectors/{c}/tasks`: each task's id and config (secrets in clear text, as for the connector). */
  async tasks(name: string, options?: CallOptions): Promise<TaskInfo[]> {
    return this.#json({ method: "GET", path: connectorPath(name, "tasks") }, TaskInfoListSchema, options);
  }

  /** `GET /connectors/{c}/tasks/{t}/status`. */
  async taskStatus(name: string, task: number, options?: CallOptions): Promise<TaskStatus> {
    const path = connectorPath(name, "tasks", taskSegment(task), "status");
    return this.#json({ method: "GET", path }, TaskStatusSchema, options);
  }

  /**
   * `POST /connectors/{c}/restart`. Without flags the worker answers 204. With `includeTasks`/`onlyFailed`
   * (3.0+) it answers 202 and the status with RESTARTING marks (tasks not sorted); a pre-3.0 worker ignores
   * the flags and answers 204, reported as `honoured: false` (it restarted the connector instance only).
   */
  async restartConnector(
    name: string,
    options: CallOptions & { readonly includeTasks?: boolean; readonly onlyFailed?: boolean } = {},
  ): Promise<RestartResult> {
    const { includeTasks = false, onlyFailed = false, ...call } = options;
    const flags = [includeTasks ? "includeTasks=true" : "", onlyFailed ? "onlyFailed=true" : ""].filter(
      Boolean,
    );
    const path = connectorPath(name, "restart") + (flags.length ? `?${flags.join("&")}` : "");
    const answer = await this.#send({ method: "POST", path }, call);
    if (answer.status === 204) return { honoured: flags.length === 0 };
    return { honoured: true, status: decode(answer, ConnectorStateInfoSchema) };
  }

  /** `POST /connectors/{c}/tasks/{t}/restart` (204). */
  async restartTask(name: string, task: number, options?: CallOptions): Promise<void> {
    const path = connectorPath(name, "tasks", taskSegment(task), "restart");
    await this.#send({ method: "POST", path }, options);
  }

  /** `PUT /connectors/{c}/pause` (202 at once; the state changes asynchronously: poll status). */
  async pause(name: string, options?: CallOptions): Promise<void> {
    await this.#send({ method: "PUT", path: connectorPath(name, "pause") }, options);
  }

  /** `PUT /connectors/{c}/resume` (202): resumes a PAUSED or STOPPED connector. */
  async resume(name: string, options?: CallOptions): Promise<void> {
    await this.#send({ method: "PUT", path: connectorPath(name, "resume") }, options);
  }

  /** `PUT /connectors/{c}/stop` (3.5+, 204, idempotent). */
  async stop(name: string, options?: CallOptions): Promise<void> {
    const route = { since: "3.5", feature: "PUT /connectors/{c}/stop" };
    await this.#send({ method: "PUT", path: connectorPath(name, "stop"), route }, options);
  }

  /** `DELETE /connectors/{c}` (204). */
  async deleteConnector(name: string, options?: CallOptions): Promise<void> {
    await this.#send({ method: "DELETE", path: connectorPath(name) }, options);
  }

  /** `GET /connectors/{c}/offsets` (3.5+). */
  async getOffsets(name: string, options?: CallOptions): Promise<ConnectorOffsets> {
    const route = { since: "3.5", feature: "GET /connectors/{c}/offsets" };
    const spec: RequestSpec = { method: "GET", path: connectorPath(name, "offsets"), route };
    return this.#json(spec, ConnectorOffsetsSchema, options);
  }

  /** `PATCH /connectors/{c}/offsets` (3.6+): the connector must be STOPPED (else 400 "connector-not-stopped"). */
  async alterOffsets(name: string, offsets: ConnectorOffsets, options?: CallOptions): Promise<Message> {
    const route = { since: "3.6", feature: "PATCH /connectors/{c}/offsets" };
    const spec: RequestSpec = { method: "PATCH", path: connectorPath(name, "offsets"), body: offsets, route };
    return this.#json(spec, MessageSchema, options);
  }

  /** `DELETE /connectors/{c}/offsets` (3.6+): the connector must be STOPPED. */
  async resetOffsets(name: string, options?: CallOptions): Promise<Message> {
    const route = { since: "3.6", feature: "DELETE /connectors/{c}/offsets" };
    return this.#json(
      { method: "DELETE", path: connectorPath(name, "offsets"), route },
      MessageSchema,
      options,
    );
  }

  /**
   * `GET /connectors/{c}/topics` (2.5+): the topics the connector used. An unknown connector gets `[]`, not a
   * 404; 403 when topic tracking is disabled.
   */
  async topics(name: string, options?: CallOptions): Promise<string[]> {
    const route = { since: "2.5", feature: "GET /connectors/{c}/topics" };
    const answer = await this.#send({ method: "GET", path: connectorPath(name, "topics"), route }, options);
    const entry = decode(answer, TopicsSchema)[name];
    if (!entry) throw malformed(answer, `the answer has no entry for connector ${JSON.stringify(name)}`);
    return entry.topics;
  }

  /** `PUT /connectors/{c}/topics/reset` (2.5+, 202); 403 when topic tracking reset is disabled. */
  async resetTopics(name: string, options?: CallOptions): Promise<void> {
    const route = { since: "2.5", feature: "PUT /connectors/{c}/topics/reset" };
    await this.#send({ method: "PUT", path: connectorPath(name, "topics", "reset"), route }, options);
  }

  /**
   * `GET /connector-plugins`; `connectorsOnly: false` (3.2+) lists every plugin type. Older workers ignore the
   * parameter, so the worker's version is checked first and an older one is refused with "unsupported".
   */
  async plugins(options: CallOptions & { readonly connectorsOnly?: boolean } = {}): Promise<PluginInfo[]> {
    const { connectorsOnly, ...call } = options;
    if (connectorsOnly === undefined) {
      return this.#json({ method: "GET", path: "/connector-plugins" }, PluginInfoListSchema, call);
    }
    const path = `/connector-plugins?connectorsOnly=${connectorsOnly}`;
    // `true` is what every version does anyway.
    const spec: RequestSpec = connectorsOnly
      ? { method: "GET", path }
      : { method: "GET", path, requires: ALL_PLUGINS };
    return this.#json(spec, PluginInfoListSchema, call);
  }

  /** `GET /connector-plugins/{p}/config` (3.2+); `plugin` is a class name or an alias. */
  async pluginConfig(plugin: string, options?: CallOptions): Promise<ConfigKeyInfo[]> {
    const route = { since: "3.2", feature: "GET /connector-plugins/{p}/config" };
    const path = `/connector-plugins/${segment(plugin, "plugin")}/config`;
    return this.#json({ method: "GET", path, route }, ConfigKeyInfoListSchema, options);
  }

  /**
   * `PUT /connector-plugins/{p}/config/validate`. The worker answers 200 even when the config is invalid:
   * read `valid`/`errorCount`, or pass `throwIfInvalid` to get an "invalid-config" error. A `connector.class`
   * other than `plugin` is a 400; a missing or unknown class a 500 ("server-error").
   */
  async validateConfig(
    plugin: string,
    config: Readonly<Record<string, string>>,
    options: CallOptions & { readonly throwIfInvalid?: boolean } = {},
  ): Promise<ConfigValidation> {
    const { throwIfInvalid = false, ...call } = options;
    checkConfig(config);
    const path = `/connector-plugins/${segment(plugin, "plugin")}/config/validate`;
    const answer = await this.#send({ method: "PUT", path, body: config }, call);
    const infos = decode(answer, ConfigInfosSchema);
    const errors = configProblems(infos);
    if (throwIfInvalid && infos.error_count > 0) {
      throw answerError(answer, {
        kind: "invalid-config",
        status: answer.status,
        message: [
          `Connector configuration is invalid and contains the following ${infos.error_count} error(s):`,
          ...errors.map((e) => `${e.key}: ${e.message}`),
        ].join("\n"),
        configErrors: errors,
      });
    }
    return { valid: infos.error_count === 0, errorCount: infos.error_count, errors, infos };
  }

  /** `GET /admin/loggers` (2.4+): levels of the loggers set explicitly on the worker that answered. */
  async listLoggers(options?: CallOptions): Promise<Record<string, LoggerLevel>> {
    const route = { since: "2.4", feature: "GET /admin/loggers" };
    return this.#json({ method: "GET", path: "/admin/loggers", route }, LoggersSchema, options);
  }

  /** `GET /admin/loggers/{l}` (2.4+). */
  async getLogger(logger: string, options?: CallOptions): Promise<LoggerLevel> {
    const route = { since: "2.4", feature: "GET /admin/loggers/{l}" };
    const path = `/admin/loggers/${segment(logger, "logger")}`;
    return this.#json({ method: "GET", path, route }, LoggerLevelSchema, options);
  }

  /**
   * `PUT /admin/loggers/{l}` (2.4+). Worker scope answers 200 with the loggers changed; `scope: "cluster"`
   * (3.7+) answers 204. A pre-3.7 worker ignores the scope and changes only itself: `honoured: false`.
   */
  async setLogger(
    logger: string,
    level: string,
    options: CallOptions & { readonly scope?: LoggerScope } = {},
  ): Promise<SetLoggerResult> {
    const { scope, ...call } = options;
    if (typeof level !== "string" || level === "") throw invalidArgument("level must be a non-empty string");
    if (scope !== undefined && scope !== "worker" && scope !== "cluster") {
      throw invalidArgument(`scope must be "worker" or "cluster"`);
    }
    const route = { since: "2.4", feature: "PUT /admin/loggers/{l}" };
    const path = `/admin/loggers/${segment(logger, "logger")}${scope === undefined ? "" : `?scope=${scope}`}`;
    const answer = await this.#send({ method: "PUT", path, body: { level }, route }, call);
    if (answer.status === 204) return { honoured: true };
    return { honoured: scope !== "cluster", affected: decode(answer, AffectedLoggersSchema) };
  }

  async #send(spec: RequestSpec, options: CallOptions = {}): Promise<HttpAnswer> {
    checkKeys(options, CALL_OPTIONS, "call option");
    if (options.timeoutMs !== undefined) checkPositive(options.timeoutMs, "timeoutMs");
    return this.#transport.request(spec, options);
  }

  async #json<T>(spec: RequestSpec, schema: z.ZodType<T>, options?: CallOptions): Promise<T> {
    return decode(await this.#send(spec, options), schema);
  }
}

// Method-specific options (expand, scope, …) are taken out before this check.
const CALL_OPTIONS = new Set(["signal", "timeoutMs"]);

/** Features older workers lack without a clean refusal: checked against the worker's version before sending. */
const INITIAL_STATE = { since: "3.7", feature: "initial_state in POST /connectors" } as const;
const ALL_PLUGINS = { since: "3.2", feature: "connectorsOnly=false on GET /connector-plugins" } as const;
/** What a pre-3.7 worker's Jackson answers (500) to the unknown `initial_state` property. */
const UNKNOWN_INITIAL_STATE = 'Unrecognized field "initial_state"';

/** Every own key, symbols included: nothing unlisted may ride along (a symbol-keyed dispatcher, say). */
function checkKeys(object: object, known: ReadonlySet<string>, what: string): void {
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key === "string" && known.has(key)) continue;
    if (typeof key === "symbol") throw invalidArgument(`unknown ${what} ${String(key)}`);
    const hint = TLS_BYPASS_OPTIONS.has(key) ? "; TLS verification cannot be turned off (use tlsCa)" : "";
    throw invalidArgument(`unknown ${what} "${key}"${hint}`);
  }
}

/** The fields of an error, to build another from it. */
function errorInit(error: KafkaConnectError): ConstructorParameters<typeof KafkaConnectError>[0] {
  const { kind, message, endpoint, method, path, attempts } = error;
  const optional = Object.fromEntries(
    (["status", "errorCode", "variant", "subject", "connector", "tried"] as const)
      .filter((key) => error[key] !== undefined)
      .map((key) => [key, error[key]]),
  );
  return { ...optional, kind, message, endpoint, method, path, attempts, cause: error.cause };
}

function observer(value: unknown): ResponseObserver {
  if (typeof value !== "function") throw invalidArgument("onResponse must be a function");
  return value as ResponseObserver;
}

function checkPositive(value: unknown, what: string): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(`${what} must be a positive number`);
  }
}

function retryPolicy(retry: KafkaConnectClientOptions["retry"]): RetryPolicy {
  if (retry === undefined) return DEFAULT_RETRY;
  checkKeys(retry, new Set(["attempts", "baseDelayMs", "deadlineMs"]), "retry option");
  const policy = { ...DEFAULT_RETRY, ...retry };
  if (!Number.isSafeInteger(policy.attempts) || policy.attempts < 1) {
    throw invalidArgument("retry.attempts must be an integer ≥ 1");
  }
  for (const key of ["baseDelayMs", "deadlineMs"] as const) {
    const value = policy[key];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw invalidArgument(`retry.${key} must be a number ≥ 0`);
    }
  }
  return policy;
}

/** The `Authorization` header value; the error texts never include either part. */
function basicAuthorization(auth: { readonly username: string; readonly password: string }): string {
  if (typeof auth !== "object" || auth === null) throw invalidArgument("auth must be {username, password}");
  checkKeys(auth, new Set(["username", "password"]), "auth field");
  const { username, password } = auth;
  if (typeof username !== "string" || username === "" || typeof password !== "string") {
    throw invalidArgument("auth must have a non-empty username and a password, both strings");
  }
  // RFC 7617: the first colon separates the user-id from the password.
  if (username.includes(":")) throw invalidArgument("auth.username must not contain a colon");
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** One URL path segment: every name is encoded, so spaces, slashes and unicode stay inside it. */
function segment(value: string, what: string): string {
  if (typeof value !== "string" || value === "") throw invalidArgument(`${what} must be a non-empty string`);
  return encodeURIComponent(value);
}

function connectorPath(name: string, ...rest: string[]): string {
  return ["/connectors", segment(name, "connector name"), ...rest].join("/");
}

function taskSegment(task: number): string {
  if (!Number.isSafeInteger(task) || task < 0) throw invalidArgument("task id must be an integer ≥ 0");
  return String(task);
}

function checkConfig(config: Readonly<Record<string, unknown>>, allowNull = false): void {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw invalidArgument("config must be an object of strings");
  }
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "string" || (allowNull && value === null)) continue;
    // Name the key only: the value may be a secret.
    throw invalidArgument(`config value of "${key}" must be a string${allowNull ? " or null" : ""}`);
  }
}

function configProblems(infos: ConfigInfos): ConfigProblem[] {
  return infos.configs.flatMap(({ value }) =>
    value ? value.errors.map((message) => ({ key: value.name, message })) : [],
  );
}

function tryJson<T>(text: string, schema: z.ZodType<T>): T | null {
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

/** Parses and checks a success body; anything unexpected is a "malformed-response" error. */
function decode<T>(answer: HttpAnswer, schema: z.ZodType<T>): T {
  if (answer.text.trim() === "")
    throw malformed(answer, `HTTP ${answer.status} with an empty body, JSON expected`);
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw malformed(answer, `HTTP ${answer.status} with a body that is not JSON`);
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  // Paths and expectations only: the values may be secrets (connector configs).
  const issues = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`);
  throw malformed(answer, `HTTP ${answer.status} with an unexpected body (${issues.join("; ")})`);
}

function malformed(answer: HttpAnswer, message: string): KafkaConnectError {
  return answerError(answer, { kind: "malformed-response", status: answer.status, message });
}

function answerError(
  answer: HttpAnswer,
  failure: Omit<ConstructorParameters<typeof KafkaConnectError>[0], "endpoint" | "method" | "path">,
): KafkaConnectError {
  return new KafkaConnectError({
    attempts: answer.attempts,
    ...scrubFailure(failure, answer.scrub),
    endpoint: answer.endpoint,
    method: answer.method,
    path: answer.path,
  });
}
