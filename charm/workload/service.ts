import { createHash } from "node:crypto";
import { type FSWatcher, watch } from "node:fs";
import { join } from "node:path";
import { KafkaConnectClient, type ResponseObserver } from "../../lib/kafka-connect/index.js";
import {
  type DesiredState,
  DesiredState as DesiredStateSchema,
  type KafkaConnectAccess,
  type RestartHistory,
  RestartHistory as RestartHistorySchema,
  type RestartRecord,
} from "../common/desired-state.js";
import { DESIRED_FILE, readBoundedFile, SNAPSHOT_FILE, writeFileAtomic } from "../common/files.js";
import type { Reconcile, ReconcileResult } from "../common/reconcile-api.js";
import {
  type ConnectorObservation,
  type ErrorReport,
  ObservedState,
  StatusSnapshot,
} from "../common/snapshot.js";
import { oneLine } from "../common/text.js";
import { LEADERSHIP_LEASE_MS } from "../common/workload-api.js";
import { type DispatchEvent, HealthNotifier, healthDigest, jujuExecDispatch, type Timers } from "./events.js";
import { jujuExecLeadership, type LeadershipCheck, LeadershipLease } from "./leadership.js";
import { createLog, describeError, Masker, type WorkloadLog } from "./log.js";
import { CycleLoop } from "./loop.js";
import { WorkloadMetrics } from "./metrics.js";
import { PluginServer, type PluginServerLimits } from "./plugin-server.js";

export const HISTORY_FILE = "history.json";
const MAX_ERRORS_LOGGED = 20;
/**
 * What status.json carries per cycle, whatever a worker reports (100k tasks, kilobyte traces on each, ids the
 * contract refuses): hooks read the file with a 16 MiB bound and drop it whole when it is invalid, so it must
 * stay small and valid. The metrics keep the true task counts.
 */
export const MAX_TASKS_REPORTED = 256;
export const MAX_TRACES_REPORTED = 8;
export const MAX_DELETED_REPORTED = 500;
/** A desired.json that flaps costs at most one cycle (and its Kafka Connect requests) per second. */
const MIN_CYCLE_GAP_MS = 1_000;
/** Before any desired state arrives, look for one this often (fs.watch usually sees it first). */
const NO_DESIRED_INTERVAL_MS = 5_000;
/**
 * Kinds of a cycle-level error that mean "Kafka Connect did not answer us usefully". `response-too-large` at
 * the cycle level means even the reconciler's names-only fallback listing was over the client's cap: nothing
 * was observed, and without it here the status would read "reachable" with every connector UNKNOWN.
 */
const UNREACHABLE_KINDS = new Set([
  "response-too-large",
  "unavailable",
  "timeout",
  "unauthorized",
  "forbidden",
  "tls",
  "server-error",
]);

export type ClientFactory = (
  access: KafkaConnectAccess,
  observers: { readonly onResponse: ResponseObserver },
) => KafkaConnectClient;

export const defaultClientFactory: ClientFactory = (access, { onResponse }) =>
  new KafkaConnectClient({
    endpoints: access.endpoints,
    auth: { username: access.username, password: access.password },
    ...(access.tlsCa === undefined ? {} : { tlsCa: access.tlsCa }),
    onResponse,
  });

export interface WorkloadOptions {
  readonly stateDir: string;
  /** The reconciler (production: ./reconciler/index.js). */
  readonly reconcile: Reconcile;
  readonly now?: () => number;
  /** Production: juju-exec is-leader. */
  readonly leadership?: LeadershipCheck;
  /** Production: juju-exec … dispatch. */
  readonly dispatchEvent?: DispatchEvent;
  readonly clientFactory?: ClientFactory;
  readonly log?: WorkloadLog;
  /** Masks every log line and report; shared with the caller's own logging (main.ts's fatal handler). */
  readonly masker?: Masker;
  /** Where the plugin server listens: production 0.0.0.0 and the desired port; tests 127.0.0.1 and 0. */
  readonly listen?: { readonly host?: string; readonly port?: number };
  readonly limits?: Partial<PluginServerLimits>;
  readonly timers?: Timers;
  readonly debounceMs?: number;
  /** A triggered cycle starts at least this long after the previous one ended (default 1 s). */
  readonly minCycleGapMs?: number;
  /** Dispatches of the custom hook at most this often (default 5 s). */
  readonly eventMinIntervalMs?: number;
  /** Watch the state folder (default true; tests of the interval turn it off). */
  readonly watch?: boolean;
  /** prom-client's process metrics (default true). */
  readonly processMetrics?: boolean;
}

export interface Workload {
  /** Run a cycle soon (debounced), as a desired-state change does. */
  trigger(): void;
  /** Run a cycle now and wait for it. */
  runCycle(): Promise<void>;
  /** The last snapshot written. */
  snapshot(): StatusSnapshot | undefined;
  /** Where the plugin server listens (port 0 resolved). */
  address(): { host: string; port: number; listening: boolean };
  readonly metrics: WorkloadMetrics;
  readonly notifier: HealthNotifier;
  readonly loop: CycleLoop;
  /** Stop: no new cycle, the current one aborted, server closed, a last snapshot written. */
  close(): Promise<void>;
}

interface CycleView {
  acting: boolean;
  /** When the observations were made (epoch ms); they are dropped from snapshots once older than the lease. */
  observedAt?: number;
  connectors: ConnectorObservation[];
  deleted: string[];
  kafkaConnect?: StatusSnapshot["kafkaConnect"];
  lastReconcile?: StatusSnapshot["lastReconcile"];
}

/** Starts the workload: plugin server, desired-state watch, the loop. Resolves once the first cycle ran. */
export async function startWorkload(options: WorkloadOptions): Promise<Workload> {
  const w = new WorkloadService(options);
  await w.start();
  return w;
}

/**
 * How far ahead of our clock a peer's time is still taken as "now" (clock skew between units). Anything later
 * is not credible (a bad clock, or hostile peer data): it ranks as oldest, or it would win every merge.
 */
export const HISTORY_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Per-connector history merge: the record with the newest `lastRestartAt` wins; a tie keeps ours. Times are
 * clamped to `now` (as the reconciler does), and a record stamped beyond the skew allowance ranks as the
 * oldest: clamped, a record a year ahead would still be "newest" at every merge, for ever.
 */
export function mergeHistory(ours: RestartHistory, theirs: RestartHistory, now = Date.now()): RestartHistory {
  const rank = (r: RestartRecord) => {
    const t = r.lastRestartAt;
    if (t === undefined || !Number.isFinite(t) || t > now + HISTORY_CLOCK_SKEW_MS) return -1;
    return Math.min(t, now);
  };
  const out: RestartHistory = {};
  for (const [name, record] of Object.entries(ours)) out[name] = clampTimes(record, now);
  for (const [name, record] of Object.entries(theirs)) {
    const mine = ours[name];
    if (!mine || rank(record) > rank(mine)) out[name] = clampTimes(record, now);
  }
  return out;
}

function clampTimes(record: RestartRecord, now: number): RestartRecord {
  const clamp = (t: number | undefined) =>
    t === undefined ? undefined : Number.isFinite(t) ? Math.min(t, now) : now;
  const lastRestartAt = clamp(record.lastRestartAt);
  const healthySince = clamp(record.healthySince);
  const { lastRestartAt: _l, healthySince: _h, ...rest } = record;
  return {
    ...rest,
    ...(lastRestartAt === undefined ? {} : { lastRestartAt }),
    ...(healthySince === undefined ? {} : { healthySince }),
  };
}

class WorkloadService implements Workload {
  readonly metrics: WorkloadMetrics;
  readonly notifier: HealthNotifier;
  readonly loop: CycleLoop;
  readonly #o: WorkloadOptions;
  readonly #now: () => number;
  readonly #masker: Masker;
  readonly #log: WorkloadLog;
  readonly #server: PluginServer;
  readonly #lease: LeadershipLease;
  readonly #desiredPath: string;
  readonly #historyPath: string;
  readonly #snapshotPath: string;
  #desired: DesiredState | undefined;
  #desiredText: string | undefined;
  #desiredError: string | undefined;
  #history: RestartHistory = {};
  #historyText = "{}";
  #client: { key: string; client: KafkaConnectClient } | undefined;
  #view: CycleView = { acting: false, connectors: [], deleted: [] };
  #snapshot: StatusSnapshot | undefined;
  #writes: Promise<void> = Promise.resolve();
  #watcher: FSWatcher | undefined;
  #closed = false;

  constructor(options: WorkloadOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#masker = options.masker ?? new Masker();
    const masker = this.#masker;
    const sink = options.log ?? createLog(masker);
    // Masked here whatever the sink does: a test's or a caller's log sees no secret either.
    this.#log = {
      info: (m) => sink.info(masker.mask(m)),
      warn: (m) => sink.warn(masker.mask(m)),
      error: (m) => sink.error(masker.mask(m)),
    };
    this.#desiredPath = join(options.stateDir, DESIRED_FILE);
    this.#historyPath = join(options.stateDir, HISTORY_FILE);
    this.#snapshotPath = join(options.stateDir, SNAPSHOT_FILE);
    this.metrics = new WorkloadMetrics({ processMetrics: options.processMetrics ?? true });
    this.#lease = new LeadershipLease(options.leadership ?? jujuExecLeadership(), this.#now);
    this.notifier = new HealthNotifier({
      dispatch: options.dispatchEvent ?? jujuExecDispatch(),
      log: this.#log,
      now: this.#now,
      ...(options.timers ? { timers: options.timers } : {}),
      ...(options.eventMinIntervalMs === undefined ? {} : { minIntervalMs: options.eventMinIntervalMs }),
    });
    this.#server = new PluginServer({
      log: this.#log,
      ...(options.limits ? { limits: options.limits } : {}),
      metricsText: async () => ({ contentType: this.metrics.contentType, body: await this.metrics.text() }),
      onDownload: (outcome, bytes) => {
        this.metrics.download(outcome);
        this.metrics.bytesServed(bytes);
      },
      onChange: () => {
        this.metrics.setPluginVerified(this.#server.state().sha512 !== undefined);
        if (this.#desired) void this.#publish();
      },
    });
    this.loop = new CycleLoop({
      run: (signal) => this.#cycle(signal),
      intervalMs: () => this.#desired?.reconcileIntervalMs ?? NO_DESIRED_INTERVAL_MS,
      log: this.#log,
      ...(options.timers ? { timers: options.timers } : {}),
      ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
      minGapMs: options.minCycleGapMs ?? MIN_CYCLE_GAP_MS,
    });
  }

  async start(): Promise<void> {
    await this.#loadHistory();
    if (this.#o.watch ?? true) this.#watch();
    await this.loop.start();
  }

  trigger(): void {
    this.loop.trigger();
  }

  runCycle(): Promise<void> {
    return this.loop.runNow();
  }

  snapshot(): StatusSnapshot | undefined {
    return this.#snapshot;
  }

  address() {
    const s = this.#server.state();
    return { host: s.host, port: s.port, listening: s.listening };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    // First, so a cycle waiting on is-leader (held by the uniter while a hook runs) ends at once.
    this.#lease.close();
    await this.loop.stop();
    await this.notifier.close();
    await this.#server.close();
    await this.#closeClient();
    this.#view = { ...this.#view, acting: false };
    if (this.#desired) await this.#publish();
  }

  // ---- one cycle ----------------------------------------------------------------------------------------

  async #cycle(signal: AbortSignal): Promise<void> {
    await this.#readDesired();
    const desired = this.#desired;
    if (!desired) return;
    await this.#server.listen(this.#o.listen?.host ?? "0.0.0.0", this.#o.listen?.port ?? desired.port);
    await this.#server.setPlugin(desired.plugin);

    const access = desired.leader ? desired.kafkaConnect : undefined;
    if (!desired.leader) this.#lease.drop();
    const confirmed = access !== undefined && !signal.aborted && (await this.#lease.confirm(desired.unit));
    if (access && !confirmed && this.#lease.lastError) {
      this.#log.warn(`not acting on Kafka Connect: leadership not confirmed: ${this.#lease.lastError}`);
    }
    if (!access || !confirmed || signal.aborted) {
      await this.#closeClient();
      this.#view = { acting: false, connectors: [], deleted: [] };
      this.metrics.setLeader(false);
      this.metrics.clearConnectors();
    } else {
      await this.#reconcile(desired, access, signal);
    }
    await this.#saveHistory();
    await this.#publish();
  }

  async #reconcile(desired: DesiredState, access: KafkaConnectAccess, signal: AbortSignal): Promise<void> {
    const client = await this.#clientFor(access);
    const started = this.#now();
    const t0 = performance.now();
    let result: ReconcileResult;
    try {
      result = await this.#o.reconcile({
        desired,
        client,
        history: this.#history,
        now: this.#now,
        signal,
        mayAct: this.#lease.mayAct,
      });
    } catch (err) {
      // The reconciler reports Kafka Connect's failures itself; this is a bug or an abort: say so, carry on.
      const durationMs = performance.now() - t0;
      const kind = signal.aborted ? "aborted" : "workload";
      const message = oneLine(this.#masker.mask(describeError(err)), 300);
      this.#log.error(`reconcile failed: ${message}`);
      this.metrics.cycleFailed(kind, durationMs, this.#now());
      this.#view = {
        acting: this.#lease.holds(),
        connectors: [],
        deleted: [],
        kafkaConnect: { reachable: false, error: { kind, message } },
        lastReconcile: { at: new Date(started).toISOString(), durationMs, requests: 0, ok: false },
      };
      this.metrics.setLeader(this.#view.acting);
      return;
    }
    const durationMs = performance.now() - t0;
    const now = this.#now();
    this.#history = result.history;
    // Only declared connectors, once each: a buggy reconciler's extra entries must not reach metric labels.
    const observations = declaredOnly(result.observations, desired);
    this.metrics.observeCycle({ ...result, observations }, durationMs, now);
    const cycleError = result.errors.find((e) => e.connector === undefined && UNREACHABLE_KINDS.has(e.kind));
    // Bounded: 500 failing connectors must not mean 500 log lines every cycle.
    for (const e of result.errors.slice(0, MAX_ERRORS_LOGGED)) {
      this.#log.warn(`${e.connector ? `${e.connector}: ` : ""}${e.kind}: ${e.message}`);
    }
    if (result.errors.length > MAX_ERRORS_LOGGED) {
      this.#log.warn(
        `… and ${result.errors.length - MAX_ERRORS_LOGGED} more errors this cycle (see status.json)`,
      );
    }
    for (const name of result.deleted) this.#log.info(`deleted ${name}: no longer declared`);
    this.#view = {
      acting: this.#lease.holds(),
      observedAt: now,
      connectors: observations.map((o) => this.#maskObservation(o)),
      deleted: result.deleted.slice(0, MAX_DELETED_REPORTED),
      kafkaConnect: {
        reachable: cycleError === undefined,
        ...(result.workerVersion === undefined ? {} : { version: result.workerVersion }),
        ...(cycleError ? { error: this.#maskError(cycleError) } : {}),
      },
      lastReconcile: {
        at: new Date(started).toISOString(),
        durationMs,
        requests: result.requests,
        ok: result.errors.length === 0,
      },
    };
    this.metrics.setLeader(this.#view.acting);
  }

  // ---- desired state, history -----------------------------------------------------------------------------

  async #readDesired(): Promise<void> {
    let text: string | undefined;
    try {
      text = await readBoundedFile(this.#desiredPath);
    } catch (err) {
      this.#rejectDesired(`cannot read ${DESIRED_FILE}: ${describeError(err)}`);
      return;
    }
    if (text === undefined || text === this.#desiredText) return;
    let parsed: ReturnType<typeof DesiredStateSchema.safeParse>;
    try {
      parsed = DesiredStateSchema.safeParse(JSON.parse(text));
    } catch (err) {
      // Never V8's message: it quotes the text around the error ("…"password":hunter2…"), and a file that
      // never parsed taught the masker nothing. The position is all a person needs to look.
      const at = /at position (\d+)/.exec(describeError(err))?.[1];
      this.#rejectDesired(`${DESIRED_FILE} is not JSON${at === undefined ? "" : ` (at position ${at})`}`);
      this.#desiredText = text;
      return;
    }
    this.#desiredText = text;
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first?.path.join(".") || "(top)";
      this.#rejectDesired(`${DESIRED_FILE} is invalid at ${where}: ${first?.message ?? "unknown problem"}`);
      return;
    }
    const desired = parsed.data;
    this.#masker.learn(desired);
    const previous = this.#desired;
    this.#desired = desired;
    this.#desiredError = undefined;
    this.#history = mergeHistory(this.#history, desired.history, this.#now());
    if (previous?.unit !== desired.unit) this.#lease.drop();
    this.#log.info(
      `desired state generation ${desired.generation} (${desired.connectors.length} connectors)`,
    );
  }

  #rejectDesired(problem: string): void {
    // Never the content: a half-valid file may hold a password.
    const line = oneLine(this.#masker.mask(problem), 300);
    if (line !== this.#desiredError) this.#log.warn(`${line}; keeping the last good desired state`);
    this.#desiredError = line;
  }

  async #loadHistory(): Promise<void> {
    try {
      const text = await readBoundedFile(this.#historyPath);
      if (text === undefined) return;
      const parsed = RestartHistorySchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error("not a restart history");
      this.#history = parsed.data;
      this.#historyText = JSON.stringify(parsed.data);
    } catch (err) {
      this.#log.warn(`ignoring ${HISTORY_FILE}: ${describeError(err)}`);
    }
  }

  async #saveHistory(): Promise<void> {
    const text = JSON.stringify(this.#history);
    if (text === this.#historyText) return;
    try {
      await writeFileAtomic(this.#historyPath, text);
      this.#historyText = text;
    } catch (err) {
      this.#log.error(`cannot write ${HISTORY_FILE}: ${describeError(err)}`);
    }
  }

  // ---- the snapshot ---------------------------------------------------------------------------------------

  /** Compose and write status.json (serialised), then tell the notifier what the health digest is now. */
  #publish(): Promise<void> {
    const desired = this.#desired;
    if (!desired) return this.#writes;
    const server = this.#server.state();
    const view = this.#view;
    const fresh = view.observedAt !== undefined && this.#now() - view.observedAt < LEADERSHIP_LEASE_MS;
    const acting = view.acting && this.#lease.holds();
    const composed: StatusSnapshot = {
      version: 1,
      writtenAt: new Date(this.#now()).toISOString(),
      generation: desired.generation,
      acting,
      pluginServer: {
        listening: server.listening,
        port: server.port,
        ...(server.sha512 === undefined ? {} : { sha512: server.sha512 }),
        downloads: server.downloads,
        bytesServed: server.bytesServed,
        ...(server.error === undefined ? {} : { error: oneLine(this.#masker.mask(server.error), 300) }),
      },
      ...(acting && view.kafkaConnect ? { kafkaConnect: view.kafkaConnect } : {}),
      ...(view.lastReconcile ? { lastReconcile: view.lastReconcile } : {}),
      connectors: acting && fresh ? view.connectors : [],
      deleted: acting ? view.deleted : [],
      history: this.#history,
      ...(this.#desiredError === undefined ? {} : { desiredError: this.#desiredError }),
    };
    const snapshot = this.#valid(composed);
    this.#snapshot = snapshot;
    const text = JSON.stringify(snapshot);
    this.#writes = this.#writes
      .then(() => writeFileAtomic(this.#snapshotPath, text))
      .catch((err: unknown) => this.#log.error(`cannot write ${SNAPSHOT_FILE}: ${describeError(err)}`));
    if (!this.#closed) {
      this.notifier.notify(healthDigest(snapshot), { unit: desired.unit, charmDir: desired.charmDir });
    }
    return this.#writes;
  }

  /**
   * The last line of defence: hooks drop an invalid status.json whole (and with it the plugin server's state,
   * so plugin-url is never published). Whatever slipped through is dropped from the report, not the report.
   */
  #valid(snapshot: StatusSnapshot): StatusSnapshot {
    const checked = StatusSnapshot.safeParse(snapshot);
    if (checked.success) return snapshot;
    const where = checked.error.issues[0]?.path.join(".") || "(top)";
    this.#log.error(
      `status.json would be invalid at ${oneLine(where, 200)}: reporting no connectors this cycle`,
    );
    const { kafkaConnect: _k, lastReconcile: _l, ...rest } = snapshot;
    const reduced: StatusSnapshot = { ...rest, connectors: [], deleted: [] };
    if (StatusSnapshot.safeParse(reduced).success) return reduced;
    return { ...reduced, history: {} };
  }

  #maskError(e: ErrorReport): ErrorReport {
    return { kind: e.kind, message: oneLine(this.#masker.mask(e.message), 300) };
  }

  #maskObservation(o: ConnectorObservation): ConnectorObservation {
    const trace = (t: string) => oneLine(this.#masker.mask(t.slice(0, 4096)), 300);
    return {
      ...o,
      state: knownState(o.state),
      ...(o.trace === undefined ? {} : { trace: trace(o.trace) }),
      tasks: reportedTasks(o.tasks).map((t) => (t.trace === undefined ? t : { ...t, trace: trace(t.trace) })),
      ...(o.error ? { error: this.#maskError(o.error) } : {}),
    };
  }

  // ---- the client, the watch ------------------------------------------------------------------------------

  /** One client per access: new endpoints, credentials or CA → a new client (the old one closed); no restart. */
  async #clientFor(access: KafkaConnectAccess): Promise<KafkaConnectClient> {
    const key = createHash("sha256")
      .update(JSON.stringify([access.endpoints, access.username, access.password, access.tlsCa ?? null]))
      .digest("hex");
    if (this.#client?.key === key) return this.#client.client;
    await this.#closeClient();
    const factory = this.#o.clientFactory ?? defaultClientFactory;
    const client = factory(access, { onResponse: this.metrics.onResponse });
    this.#client = { key, client };
    this.#log.info(`Kafka Connect client for ${access.endpoints.join(",")} as ${access.username}`);
    return client;
  }

  async #closeClient(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    await c?.client.close().catch(() => undefined);
  }

  #watch(): void {
    try {
      // The folder, not the file: the hook replaces desired.json by rename, which a file watch would lose.
      this.#watcher = watch(this.#o.stateDir, { persistent: false }, (_event, filename) => {
        if (filename === null || filename === DESIRED_FILE) this.loop.trigger();
      });
      this.#watcher.on("error", (err) => {
        this.#log.warn(`watching ${this.#o.stateDir} failed (${err.message}); the interval still applies`);
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#log.warn(`cannot watch ${this.#o.stateDir} (${describeError(err)}); the interval still applies`);
    }
  }
}

type TaskReport = ConnectorObservation["tasks"][number];

/** The observations of declared connectors, in declaration order, once each. */
function declaredOnly(
  observations: readonly ConnectorObservation[],
  desired: DesiredState,
): ConnectorObservation[] {
  const byName = new Map<string, ConnectorObservation>();
  for (const o of observations) if (!byName.has(o.name)) byName.set(o.name, o);
  const out: ConnectorObservation[] = [];
  for (const c of desired.connectors) {
    const o = byName.get(c.name);
    if (o) out.push(o);
    byName.delete(c.name);
  }
  return out;
}

function knownState(state: string): ObservedState {
  return (ObservedState.options as readonly string[]).includes(state) ? (state as ObservedState) : "UNKNOWN";
}

/**
 * The tasks status.json reports: valid ids only (TaskReport requires an integer ≥ 0), each once, failed
 * ones first when there are too many, in id order; traces on the first few (the failed ones first).
 */
function reportedTasks(tasks: readonly TaskReport[]): TaskReport[] {
  const seen = new Set<number>();
  const valid: TaskReport[] = [];
  for (const t of tasks) {
    if (!Number.isSafeInteger(t.id) || t.id < 0 || seen.has(t.id)) continue;
    seen.add(t.id);
    valid.push(t);
  }
  const failedFirst = [
    ...valid.filter((t) => t.state === "FAILED"),
    ...valid.filter((t) => t.state !== "FAILED"),
  ].slice(0, MAX_TASKS_REPORTED);
  let traces = 0;
  const kept = failedFirst.map((t): TaskReport => {
    const state = knownState(t.state);
    if (t.trace !== undefined && traces < MAX_TRACES_REPORTED) {
      traces++;
      return { id: t.id, state, trace: t.trace };
    }
    return { id: t.id, state };
  });
  return kept.sort((a, b) => a.id - b.id);
}
