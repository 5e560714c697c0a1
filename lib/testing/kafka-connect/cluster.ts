import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admits, type Credentials, formatCredentials, parseBasicAuth, parseProperties } from "./auth.js";
import { tasksMax } from "./config.js";
import { errorBody, MSG, notJsonMessage, RestError } from "./errors.js";
import { type FaultSpec, FaultTable } from "./faults.js";
import { builtInPlugins, extractPluginTarball, type PluginDescriptor, scanPluginPath } from "./plugins.js";
import type { RequestRecord } from "./record.js";
import {
  type ConnectorOffset,
  type ConnectorRecord,
  type ConnectorStateInfo,
  connectorStateInfo,
  pickWorker,
  type TargetState,
  type Unit,
  type UnitState,
  type UnitStatus,
  workerLoads,
} from "./state.js";
import type { TestTls } from "./tls.js";
import { formatVersion, type KafkaVersion, parseVersion } from "./versions.js";
import { createWorkerApp, handleRequest, type Incoming, type Reply } from "./worker-app.js";

/** Delays (ms) of the asynchronous transitions; small by default so tests stay fast. */
export interface Timing {
  /** Create → the connector is placed on a worker (UNASSIGNED); until then its status is a 404. */
  assignMs: number;
  /** UNASSIGNED → RUNNING (or PAUSED / STOPPED per its target), for connectors and new tasks alike. */
  startMs: number;
  /** RESTARTING / UNASSIGNED after a restart or config rewrite → running again. */
  restartMs: number;
  /** pause, resume and stop take effect. */
  settleMs: number;
  /** A rebalance window (worker left or joined): config and control writes answer 409 meanwhile. */
  rebalanceMs: number;
}

export const DEFAULT_TIMING: Timing = {
  assignMs: 20,
  startMs: 20,
  restartMs: 20,
  settleMs: 20,
  rebalanceMs: 50,
};

export interface KafkaConnectClusterOptions {
  /** Number of workers (default 3). */
  workers?: number;
  /** Kafka version the workers emulate, "X.Y" (default "3.9"). */
  version?: string;
  /** Serve HTTPS with a freshly generated test CA (`caPem`). */
  tls?: boolean;
  /** Basic auth: a credentials file path (PropertyFileLoginModule format), or users to write to a new one. */
  auth?: string | { users: Record<string, string> };
  /** Plugin path the workers scan at start (default: a new temp dir, removed on close). */
  pluginPath?: string;
  timing?: Partial<Timing>;
  /** `topic.tracking.enable` (default true). */
  topicTracking?: boolean;
  /** `topic.tracking.allow.reset` (default true). */
  topicTrackingReset?: boolean;
  /** Worker i listens on basePort + i (default: a free port each). */
  basePort?: number;
  /**
   * Keep only the last N request records, dropping the oldest (default: every one, for tests). The command
   * sets a cap so a long session does not grow without bound.
   */
  recordLimit?: number;
}

/** What `rebalance()` opens. */
export interface RebalanceOptions {
  /** How long the window lasts (default `timing.rebalanceMs`). */
  ms?: number;
  /**
   * `GET /connectors/{c}`, `/config`, `/tasks` and `/tasks-config` during the window: "conflict" (default, as
   * Kafka's DistributedHerder does: its checkRebalanceNeeded answers the stale-configuration 409) or "served"
   * (a kinder cluster, for tests that only care about writes). Status reads and the listing are always served.
   */
  configReads?: "conflict" | "served";
}

/** A connector as the cluster holds it: what tests inspect to prove what a client did. */
export interface ConnectorSnapshot {
  name: string;
  config: Record<string, string>;
  target: TargetState;
  /** Config writes, the create included: an identical PUT still counts. */
  configWrites: number;
  /** Connector restarts (REST restarts and config rewrites). */
  restarts: number;
  /** Restarts per task id. */
  taskRestarts: Record<number, number>;
  /** Worker index running the connector, if placed. */
  owner?: number;
  /** Worker index per task id, if placed. */
  taskOwners: Record<number, number | undefined>;
  offsets: ConnectorOffset[];
  topics: string[];
}

export interface KafkaConnectCluster {
  /** `scheme://127.0.0.1:port` per worker, in worker order (a stopped worker's entry refuses connections). */
  readonly endpoints: readonly string[];
  /** The test CA when `tls` is on. */
  readonly caPem?: string;
  /** e.g. "3.9.0". */
  readonly version: string;
  /** Every request served, forwarded hops included (the last `recordLimit` if set). Never a password. */
  readonly requests: readonly RequestRecord[];
  readonly pluginPath: string;
  /** The credentials file the workers read at start, when basic auth is on. */
  readonly credentialsFile: string | undefined;
  /** Index of the leader, or null while no leader is known (it left; a rebalance is electing one). */
  readonly leader: number | null;
  /** Extracts a plugin tarball into the plugin path; workers see it after they restart. Returns its dir. */
  installPlugin(tarball: Buffer | string): Promise<string>;
  stopWorker(i: number): Promise<void>;
  startWorker(i: number): Promise<void>;
  restartWorker(i: number): Promise<void>;
  /** Restarts every running worker in turn, waiting for each rebalance. */
  rollingRestart(): Promise<void>;
  /** Rewrites the credentials file; each worker reads it only when it (re)starts. */
  setCredentials(users: Record<string, string>): Promise<void>;
  failTask(connector: string, task: number, trace: string): void;
  failConnector(connector: string, trace: string): void;
  /**
   * Opens a rebalance window: writes answer the retryable 409s meanwhile, and so (by default, as in Kafka) do
   * reads of connector info, config and task configs; status reads and the listing still work.
   */
  rebalance(opts?: RebalanceOptions): void;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /**
   * Delays every request by ms (0 to stop). A request still waiting when its worker stops or the cluster
   * closes is dropped: its connection is cut, nothing is done, and its record says `dropped`.
   */
  latency(ms: number): void;
  /** The topics a connector reports as active (topic tracking). */
  setActiveTopics(connector: string, topics: readonly string[]): void;
  /** The offsets `GET /connectors/{c}/offsets` returns. */
  setOffsets(connector: string, offsets: readonly ConnectorOffset[]): void;
  connector(name: string): ConnectorSnapshot | undefined;
  /** Resolves when no transition or rebalance is pending. */
  idle(): Promise<void>;
  /** Resolves when the current rebalance (if any) has ended. */
  rebalanceSettled(): Promise<void>;
  /** Closes every server and socket, cancels every timer, removes the temp dirs it made. */
  close(): Promise<void>;
}

export interface LoggerEntry {
  level: string | null;
  lastModified: number | null;
}

/** The loggers a fresh worker has: root, those connect-log4j.properties sets, and a few runtime classes. */
const DEFAULT_LOGGERS: readonly (readonly [string, string | null])[] = [
  ["root", "INFO"],
  ["org.apache.zookeeper", "ERROR"],
  ["org.reflections", "ERROR"],
  ["org.apache.kafka.connect.runtime.Worker", null],
  ["org.apache.kafka.connect.runtime.WorkerSinkTask", null],
  ["org.apache.kafka.connect.runtime.WorkerSourceTask", null],
  ["org.apache.kafka.connect.runtime.distributed.DistributedHerder", null],
  ["org.apache.kafka.connect.runtime.rest.RestServer", null],
];

export interface WorkerRuntime {
  index: number;
  port: number;
  running: boolean;
  /** Joined but its first rebalance has not completed: `GET /health` answers 503. */
  starting: boolean;
  plugins: PluginDescriptor[];
  pluginProblems: string[];
  /** null: no basic auth; "unreadable": the file could not be read (every request is refused). */
  credentials: Credentials | "unreadable" | null;
  loggers: Map<string, LoggerEntry>;
  server?: http.Server | https.Server;
  sockets: Set<Socket>;
  /** Counts the worker's starts: a request that arrived before a restart is not served after it. */
  generation: number;
  /** Requests being served, so that stopping the worker can wait for them to be dropped. */
  inFlight: Set<Promise<unknown>>;
}

/** A latency sleep in progress: woken early (false) when its worker stops or the cluster closes. */
interface Sleeper {
  worker: number;
  wake: (served: boolean) => void;
}

const TRANSITIONAL: readonly UnitState[] = ["UNASSIGNED", "RESTARTING"];

/**
 * N workers in one process sharing one config/status store, each an express app on its own port. The engine
 * keeps the state and drives every asynchronous transition on timers; worker-app.ts serves the REST API.
 */
export class ClusterEngine implements KafkaConnectCluster {
  readonly endpoints: string[] = [];
  readonly requests: RequestRecord[] = [];
  readonly connectors = new Map<string, ConnectorRecord>();
  readonly workers: WorkerRuntime[] = [];
  readonly kafkaVersion: KafkaVersion;
  readonly version: string;
  readonly clusterId = randomBytes(16).toString("base64url").slice(0, 22);
  readonly commit = randomBytes(8).toString("hex");
  readonly timing: Timing;
  readonly topicTracking: boolean;
  readonly topicTrackingReset: boolean;
  readonly caPem?: string;
  leader: number | null = 0;
  credentialsFile: string | undefined;

  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Map<NodeJS.Timeout, Sleeper>();
  private readonly recordLimit: number;
  private rebalanceTimer: NodeJS.Timeout | undefined;
  /** How the current rebalance window treats config reads. */
  private configReads: "conflict" | "served" = "conflict";
  private rebalanceEndsAt = 0;
  private idleWaiters: (() => void)[] = [];
  private rebalanceWaiters: (() => void)[] = [];
  private readonly faults = new FaultTable();
  private latencyMs = 0;
  private closed = false;

  private constructor(
    opts: KafkaConnectClusterOptions,
    readonly pluginPath: string,
    private readonly ownedDirs: string[],
    private readonly tls: TestTls | undefined,
  ) {
    this.kafkaVersion = parseVersion(opts.version ?? "3.9");
    this.version = formatVersion(this.kafkaVersion);
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.topicTracking = opts.topicTracking ?? true;
    this.topicTrackingReset = opts.topicTrackingReset ?? true;
    this.recordLimit = opts.recordLimit ?? Number.POSITIVE_INFINITY;
    if (tls) this.caPem = tls.caPem;
  }

  static async start(opts: KafkaConnectClusterOptions = {}): Promise<ClusterEngine> {
    const count = opts.workers ?? 3;
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`workers must be a positive integer, got ${count}`);
    const limit = opts.recordLimit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0) && limit !== Number.POSITIVE_INFINITY)
      throw new RangeError(`recordLimit must be a positive integer, got ${limit}`);
    parseVersion(opts.version ?? "3.9"); // fail before creating anything
    const owned: string[] = [];
    const pluginPath = opts.pluginPath ?? (await mkdtemp(join(tmpdir(), "kc-emulator-plugins-")));
    if (!opts.pluginPath) owned.push(pluginPath);
    const tls = opts.tls ? await (await import("./tls.js")).generateTestTls() : undefined;
    const engine = new ClusterEngine(opts, pluginPath, owned, tls);
    try {
      if (typeof opts.auth === "string") engine.credentialsFile = opts.auth;
      else if (opts.auth) await engine.setCredentials(opts.auth.users);
      for (let i = 0; i < count; i++) {
        const port = opts.basePort === undefined ? 0 : opts.basePort + i;
        const worker: WorkerRuntime = {
          index: i,
          port,
          running: false,
          starting: false,
          plugins: [],
          pluginProblems: [],
          credentials: null,
          loggers: new Map(),
          sockets: new Set(),
          generation: 0,
          inFlight: new Set(),
        };
        engine.workers.push(worker);
        await engine.boot(worker);
        engine.endpoints.push(`${tls ? "https" : "http"}://127.0.0.1:${worker.port}`);
      }
      return engine;
    } catch (e) {
      await engine.close();
      throw e;
    }
  }

  // ---- workers ---------------------------------------------------------------------------------------

  /** Starts a worker's JVM, as it were: scans plugins, reads credentials, fresh loggers, listens. */
  private async boot(w: WorkerRuntime): Promise<void> {
    const scanned = await scanPluginPath(this.pluginPath);
    w.plugins = [...builtInPlugins(this.version), ...scanned.plugins];
    w.pluginProblems = scanned.problems;
    w.credentials = await this.readCredentials();
    w.loggers = new Map(DEFAULT_LOGGERS.map(([name, level]) => [name, { level, lastModified: null }]));
    w.generation++;
    const app = createWorkerApp((incoming) => this.serve(w.index, incoming));
    const server = this.tls
      ? https.createServer({ key: this.tls.keyPem, cert: this.tls.certPem }, app)
      : http.createServer(app);
    server.on("connection", (socket: Socket) => {
      w.sockets.add(socket);
      socket.once("close", () => w.sockets.delete(socket));
    });
    server.on("error", () => {}); // after listen, never let a server error reach the process
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(w.port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    w.port = (server.address() as { port: number }).port;
    w.server = server;
    if (this.closed) {
      // close() ran while this worker was booting: it must not outlive the cluster.
      await this.shutdownServer(w);
      return;
    }
    w.running = true;
  }

  private async readCredentials(): Promise<Credentials | "unreadable" | null> {
    if (this.credentialsFile === undefined) return null;
    try {
      return parseProperties(await readFile(this.credentialsFile, "latin1"));
    } catch {
      return "unreadable";
    }
  }

  private async shutdownServer(w: WorkerRuntime): Promise<void> {
    const server = w.server;
    w.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of w.sockets) socket.destroy();
    await closed;
  }

  worker(i: number): WorkerRuntime {
    const w = this.workers[i];
    if (!w) throw new RangeError(`no worker ${i} (the cluster has ${this.workers.length})`);
    return w;
  }

  workerId = (i: number): string => `127.0.0.1:${this.workers[i]?.port ?? 0}`;

  runningWorkers(): number[] {
    return this.workers.filter((w) => w.running).map((w) => w.index);
  }

  async stopWorker(i: number): Promise<void> {
    const w = this.worker(i);
    if (!w.running) return;
    w.running = false;
    w.starting = false;
    // Its connectors and tasks stop: their last status is UNASSIGNED, written by the leaving worker.
    const orphan = (u: Unit) => {
      if (u.owner !== i) return;
      u.owner = undefined;
      u.token++;
      if (u.status) u.status = { state: "UNASSIGNED", worker: i };
    };
    for (const rec of this.connectors.values()) {
      orphan(rec.connector);
      for (const t of rec.tasks.values()) orphan(t);
    }
    if (this.leader === i) this.leader = null;
    this.wakeSleepers((s) => s.worker === i);
    await this.shutdownServer(w);
    await Promise.all(w.inFlight);
    this.beginRebalance(this.timing.rebalanceMs);
  }

  async startWorker(i: number): Promise<void> {
    const w = this.worker(i);
    if (w.running || this.closed) return;
    await this.boot(w);
    w.starting = true;
    this.beginRebalance(this.timing.rebalanceMs);
  }

  async restartWorker(i: number): Promise<void> {
    await this.stopWorker(i);
    await this.startWorker(i);
  }

  async rollingRestart(): Promise<void> {
    for (const w of this.workers) {
      if (!w.running) continue;
      await this.restartWorker(w.index);
      await this.rebalanceSettled();
    }
  }

  // ---- rebalances and leadership -------------------------------------------------------------------

  get inRebalance(): boolean {
    return this.rebalanceTimer !== undefined;
  }

  rebalance(opts: RebalanceOptions = {}): void {
    this.beginRebalance(opts.ms ?? this.timing.rebalanceMs, opts.configReads ?? "conflict");
  }

  /** Whether reads of connector info, config and task configs answer the stale-configuration 409 now. */
  get configReadsConflict(): boolean {
    return this.inRebalance && this.configReads === "conflict";
  }

  private beginRebalance(ms: number, configReads: "conflict" | "served" = "conflict"): void {
    if (this.closed) return;
    // Overlapping windows: the kinder setting holds only while every open window asked for it.
    this.configReads = this.inRebalance && this.configReads === "conflict" ? "conflict" : configReads;
    const end = Date.now() + ms;
    if (this.rebalanceTimer && this.rebalanceEndsAt >= end) return;
    if (this.rebalanceTimer) this.cancel(this.rebalanceTimer);
    this.rebalanceEndsAt = end;
    this.rebalanceTimer = this.later(ms, () => {
      this.rebalanceTimer = undefined;
      this.endRebalance();
    });
  }

  /** The group settles: the lowest-index running worker leads, and everything unassigned is placed. */
  private endRebalance(): void {
    const running = this.runningWorkers();
    this.leader = running[0] ?? null;
    for (const i of running) this.worker(i).starting = false;
    if (running.length > 0) {
      const load = workerLoads(this.connectors.values(), running);
      for (const rec of this.connectors.values()) {
        const c = rec.connector;
        if (c.owner === undefined) {
          c.owner = pickWorker(load)!;
          c.status ??= { state: "UNASSIGNED", worker: c.owner };
          this.scheduleConnector(rec, this.timing.startMs);
        }
        for (const [id, t] of rec.tasks) {
          if (t.owner !== undefined) continue;
          t.owner = pickWorker(load)!;
          this.scheduleTask(rec, id, t, this.timing.startMs);
        }
      }
    }
    for (const resolve of this.rebalanceWaiters.splice(0)) resolve();
  }

  rebalanceSettled(): Promise<void> {
    if (!this.inRebalance) return Promise.resolve();
    return new Promise((resolve) => this.rebalanceWaiters.push(resolve));
  }

  // ---- timers --------------------------------------------------------------------------------------

  /** Runs fn after ms, unless the cluster closes first; nothing at all once it is closed. */
  private later(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (this.closed) return undefined;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        if (!this.closed) fn();
      } finally {
        this.checkIdle();
      }
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private cancel(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /**
   * The injected latency for a request on worker i: true when it has passed, false when the worker stopped or
   * the cluster closed meanwhile (the timer is then cancelled, so nothing outlives close()).
   */
  private sleep(worker: number, ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleepers.delete(timer);
        resolve(true);
      }, ms);
      this.sleepers.set(timer, { worker, wake: resolve });
    });
  }

  private wakeSleepers(which: (s: Sleeper) => boolean): void {
    for (const [timer, sleeper] of this.sleepers) {
      if (!which(sleeper)) continue;
      clearTimeout(timer);
      this.sleepers.delete(timer);
      sleeper.wake(false);
    }
  }

  private checkIdle(): void {
    if (this.timers.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  idle(): Promise<void> {
    if (this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- connector lifecycle -------------------------------------------------------------------------

  private current(rec: ConnectorRecord): boolean {
    return this.connectors.get(rec.name) === rec;
  }

  private loads(): Map<number, number> {
    return workerLoads(this.connectors.values(), this.runningWorkers());
  }

  /** What a settled unit of this connector reports for its target state. */
  private steady(rec: ConnectorRecord): UnitState {
    return rec.target === "STARTED" ? "RUNNING" : rec.target;
  }

  private scheduleConnector(rec: ConnectorRecord, ms: number): void {
    const u = rec.connector;
    const token = ++u.token;
    this.later(ms, () => {
      if (!this.current(rec) || u.token !== token || u.owner === undefined) return;
      const state = this.steady(rec);
      u.status = { state, worker: u.owner };
      if (state === "RUNNING") this.ensureTasks(rec);
      if (state === "STOPPED") rec.tasks.clear();
    });
  }

  private scheduleTask(rec: ConnectorRecord, id: number, u: Unit, ms: number): void {
    const token = ++u.token;
    this.later(ms, () => {
      if (!this.current(rec) || rec.tasks.get(id) !== u || u.token !== token || u.owner === undefined) return;
      if (rec.target === "STOPPED") {
        rec.tasks.delete(id);
        return;
      }
      u.status = { state: rec.target === "PAUSED" ? "PAUSED" : "RUNNING", worker: u.owner };
      if (u.status.state === "RUNNING") this.trackTopics(rec);
    });
  }

  /** A running connector generates its task configs: min(tasks.max, the plugin's limit), spread over workers. */
  private ensureTasks(rec: ConnectorRecord): void {
    const want = Math.min(tasksMax(rec.config), rec.plugin.maxTasks ?? Number.POSITIVE_INFINITY);
    const taskClass = `${rec.plugin.class.replace(/Connector$/, "")}Task`;
    if (rec.taskConfigs.length !== want) rec.tasks = new Map();
    rec.taskConfigs = Array.from({ length: want }, () => ({ ...rec.config, "task.class": taskClass }));
    const load = this.loads();
    for (let id = 0; id < want; id++) {
      if (rec.tasks.has(id)) continue;
      const owner = pickWorker(load);
      const u: Unit = { token: 0, restarts: 0, ...(owner === undefined ? {} : { owner }) };
      rec.tasks.set(id, u);
      if (owner !== undefined) this.scheduleTask(rec, id, u, this.timing.startMs);
    }
  }

  private trackTopics(rec: ConnectorRecord): void {
    if (!this.topicTracking) return;
    for (const key of ["topics", "topic"]) {
      for (const t of (rec.config[key] ?? "").split(",")) if (t.trim()) rec.topics.add(t.trim());
    }
  }

  /** Marks a unit as restarting on its worker (counted), to come back after the restart delay. */
  private mark(u: Unit, state: UnitState): void {
    u.restarts++;
    u.token++;
    if (u.owner !== undefined) u.status = { state, worker: u.owner };
  }

  create(
    name: string,
    config: Record<string, string>,
    plugin: PluginDescriptor,
    target: TargetState,
  ): ConnectorRecord {
    const rec: ConnectorRecord = {
      name,
      config,
      plugin,
      target,
      taskConfigs: [],
      connector: { token: 0, restarts: 0 },
      tasks: new Map(),
      offsets: [],
      topics: new Set(),
      configWrites: 1,
    };
    this.connectors.set(name, rec);
    const u = rec.connector;
    const token = ++u.token;
    this.later(this.timing.assignMs, () => {
      // Placement waits for the group: during a rebalance (or with no worker up) the rebalance's end places it.
      if (!this.current(rec) || u.token !== token || this.inRebalance) return;
      const owner = pickWorker(this.loads());
      if (owner === undefined) return;
      u.owner = owner;
      u.status = { state: "UNASSIGNED", worker: owner };
      this.scheduleConnector(rec, this.timing.startMs);
    });
    return rec;
  }

  /** A config write to an existing connector restarts it and its tasks, identical config or not. */
  updateConfig(rec: ConnectorRecord, config: Record<string, string>, plugin: PluginDescriptor): void {
    rec.config = config;
    rec.plugin = plugin;
    rec.configWrites++;
    if (rec.connector.owner !== undefined && rec.connector.status) {
      this.mark(rec.connector, "UNASSIGNED");
      this.scheduleConnector(rec, this.timing.restartMs);
    }
    for (const [id, t] of rec.tasks) {
      if (t.owner === undefined || !t.status) continue;
      this.mark(t, "UNASSIGNED");
      this.scheduleTask(rec, id, t, this.timing.restartMs);
    }
  }

  deleteConnector(name: string): void {
    this.connectors.delete(name);
  }

  pause(rec: ConnectorRecord): void {
    rec.target = "PAUSED";
    this.later(this.timing.settleMs, () => {
      if (!this.current(rec) || rec.target !== "PAUSED") return;
      for (const u of [rec.connector, ...rec.tasks.values()])
        if (u.owner !== undefined && u.status?.state === "RUNNING")
          u.status = { state: "PAUSED", worker: u.owner };
    });
  }

  resume(rec: ConnectorRecord): void {
    rec.target = "STARTED";
    this.later(this.timing.settleMs, () => {
      if (!this.current(rec) || rec.target !== "STARTED") return;
      const c = rec.connector;
      if (c.owner !== undefined && (c.status?.state === "PAUSED" || c.status?.state === "STOPPED")) {
        c.status = { state: "RUNNING", worker: c.owner };
        this.ensureTasks(rec);
      }
      for (const t of rec.tasks.values())
        if (t.owner !== undefined && t.status?.state === "PAUSED")
          t.status = { state: "RUNNING", worker: t.owner };
    });
  }

  /** Task configs are emptied at once (so offsets may change); the units stop after the settle delay. */
  stop(rec: ConnectorRecord): void {
    rec.target = "STOPPED";
    rec.taskConfigs = [];
    this.later(this.timing.settleMs, () => {
      if (!this.current(rec) || rec.target !== "STOPPED") return;
      const c = rec.connector;
      if (c.owner !== undefined && c.status && !TRANSITIONAL.includes(c.status.state))
        c.status = { state: "STOPPED", worker: c.owner };
      rec.tasks.clear();
    });
  }

  restartConnector(rec: ConnectorRecord): void {
    this.mark(rec.connector, "UNASSIGNED");
    this.scheduleConnector(rec, this.timing.restartMs);
  }

  restartTask(rec: ConnectorRecord, id: number): void {
    const u = rec.tasks.get(id);
    if (!u) return;
    this.mark(u, "UNASSIGNED");
    this.scheduleTask(rec, id, u, this.timing.restartMs);
  }

  /**
   * KIP-745 restart: the connector unless onlyFailed and it is not FAILED; its tasks when includeTasks (only the
   * FAILED ones with onlyFailed). Returns the 202 body: current states, RESTARTING for what will restart, its
   * tasks deliberately not in id order (Kafka promises none there).
   */
  restartPlan(rec: ConnectorRecord, includeTasks: boolean, onlyFailed: boolean): ConnectorStateInfo {
    const conn = rec.connector;
    const planned = (s: UnitStatus | undefined) => s !== undefined && (!onlyFailed || s.state === "FAILED");
    const restarting = (s: UnitStatus): UnitStatus => ({ state: "RESTARTING", worker: s.worker });
    const override: { connector?: UnitStatus; tasks: Map<number, UnitStatus>; unsorted: true } = {
      tasks: new Map(),
      unsorted: true,
    };
    if (planned(conn.status)) {
      override.connector = restarting(conn.status!);
      if (conn.owner !== undefined) {
        this.mark(conn, "RESTARTING");
        this.scheduleConnector(rec, this.timing.restartMs);
      }
    }
    if (includeTasks) {
      for (const [id, t] of rec.tasks) {
        if (!planned(t.status)) continue;
        override.tasks.set(id, restarting(t.status!));
        if (t.owner === undefined) continue;
        this.mark(t, "RESTARTING");
        this.scheduleTask(rec, id, t, this.timing.restartMs);
      }
    }
    return connectorStateInfo(rec, this.workerId, override)!;
  }

  // ---- test controls -------------------------------------------------------------------------------

  private record(name: string): ConnectorRecord {
    const rec = this.connectors.get(name);
    if (!rec) throw new Error(`the cluster has no connector ${JSON.stringify(name)}`);
    return rec;
  }

  private fail(u: Unit | undefined, what: string, trace: string): void {
    if (!u) throw new Error(`the cluster has no ${what}`);
    const worker = u.owner ?? u.status?.worker;
    if (worker === undefined) throw new Error(`${what} has not been placed on a worker yet`);
    u.token++;
    u.status = { state: "FAILED", worker, trace };
  }

  failTask(connector: string, task: number, trace: string): void {
    this.fail(this.record(connector).tasks.get(task), `task ${connector}-${task}`, trace);
  }

  failConnector(connector: string, trace: string): void {
    this.fail(this.record(connector).connector, `connector ${connector}`, trace);
  }

  setActiveTopics(connector: string, topics: readonly string[]): void {
    this.record(connector).topics = new Set(topics);
  }

  setOffsets(connector: string, offsets: readonly ConnectorOffset[]): void {
    this.record(connector).offsets = offsets.map((o) => ({ partition: o.partition, offset: o.offset }));
  }

  connector(name: string): ConnectorSnapshot | undefined {
    const rec = this.connectors.get(name);
    if (!rec) return undefined;
    const tasks = [...rec.tasks.entries()];
    return {
      name,
      config: { ...rec.config },
      target: rec.target,
      configWrites: rec.configWrites,
      restarts: rec.connector.restarts,
      taskRestarts: Object.fromEntries(tasks.map(([id, t]) => [id, t.restarts])),
      ...(rec.connector.owner === undefined ? {} : { owner: rec.connector.owner }),
      taskOwners: Object.fromEntries(tasks.map(([id, t]) => [id, t.owner])),
      offsets: rec.offsets.map((o) => ({ ...o })),
      topics: [...rec.topics].sort(),
    };
  }

  injectFault(fault: FaultSpec): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  latency(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`latency must be >= 0 ms, got ${ms}`);
    this.latencyMs = ms;
  }

  async installPlugin(tarball: Buffer | string): Promise<string> {
    return extractPluginTarball(this.pluginPath, tarball);
  }

  async setCredentials(users: Record<string, string>): Promise<void> {
    if (this.credentialsFile === undefined) {
      const dir = await mkdtemp(join(tmpdir(), "kc-emulator-auth-"));
      this.ownedDirs.push(dir);
      this.credentialsFile = join(dir, "connect.password");
    }
    await writeFile(this.credentialsFile, formatCredentials(users), { encoding: "latin1", mode: 0o600 });
  }

  // ---- serving -------------------------------------------------------------------------------------

  /** Keeps a record, dropping the oldest beyond the limit. */
  private keep(rec: RequestRecord): void {
    this.requests.push(rec);
    const excess = this.requests.length - this.recordLimit;
    if (excess > 0) this.requests.splice(0, excess);
  }

  /**
   * One request on worker i: latency, faults, then the REST API; recorded either way. Null: dropped (the
   * worker stopped or restarted, or the cluster closed, while the request waited out the latency).
   */
  serve(i: number, incoming: Incoming): Promise<Reply | null> {
    const w = this.worker(i);
    const served = this.serveOn(w, incoming);
    w.inFlight.add(served);
    void served.finally(() => w.inFlight.delete(served));
    return served;
  }

  private async serveOn(w: WorkerRuntime, incoming: Incoming): Promise<Reply | null> {
    const generation = w.generation;
    const presented = parseBasicAuth(incoming.headers.authorization);
    const rec: RequestRecord = {
      worker: w.index,
      method: incoming.method,
      path: incoming.path,
      query: incoming.query,
      status: 0,
      time: Date.now(),
      ...(presented.user === undefined ? {} : { user: presented.user }),
      ...(incoming.forwardedFrom === undefined ? {} : { forwardedFrom: incoming.forwardedFrom }),
    };
    this.keep(rec);
    if (this.latencyMs > 0) {
      const waited = await this.sleep(w.index, this.latencyMs);
      if (!waited || this.closed || !w.running || w.generation !== generation) {
        rec.dropped = true;
        return null;
      }
    }
    let reply: Reply;
    try {
      let path = incoming.path;
      try {
        path = decodeURI(path);
      } catch {}
      const fault = this.faults.take(w.index, incoming.method, path);
      if (fault) {
        rec.fault = true;
        reply = { status: fault.status, body: errorBody(fault.status, fault.message) };
      } else {
        reply = await handleRequest(this, w, incoming);
      }
    } catch (e) {
      reply =
        e instanceof RestError
          ? { status: e.status, body: errorBody(e.status, e.message) }
          : { status: 500, body: errorBody(500, e instanceof Error ? e.message : String(e)) };
    }
    rec.status = reply.status;
    return reply;
  }

  /**
   * An internal hop (RestClient forwarding a request to another worker), recorded there as forwarded. A JSON
   * error is relayed as it came; RestClient reads every error body as an ErrorMessage, so one that is not JSON
   * (the basic-auth 401 of a leader that has not re-read new credentials) fails to parse and becomes a 500.
   */
  async dispatch(from: number, to: number, incoming: Incoming): Promise<Reply> {
    const target = this.workers[to];
    if (!target?.running)
      throw new RestError(500, MSG.forwardIoError("java.net.ConnectException: Connection refused"));
    const reply = await this.serve(to, { ...incoming, forwardedFrom: from });
    // The leader stopped while the hop waited: the connection was cut under RestClient.
    if (reply === null) throw new RestError(500, MSG.forwardIoError("java.io.EOFException"));
    if (reply.status >= 400 && reply.text !== undefined)
      throw new RestError(500, MSG.forwardIoError(notJsonMessage(reply.text)));
    return reply;
  }

  /**
   * JaasBasicAuthFilter on a worker: "admitted", "refused" (the plain-text 401), or the message of the
   * IllegalArgumentException that Base64 decoding throws for a malformed header, which the filter does not
   * catch (Kafka's exception mapper answers it as a 500). Basic auth off: always admitted.
   */
  authenticate(
    w: WorkerRuntime,
    authorization: string | undefined,
  ): "admitted" | "refused" | { error: string } {
    if (w.credentials === null) return "admitted";
    const presented = parseBasicAuth(authorization);
    if (presented.malformed !== undefined) return { error: presented.malformed };
    if (w.credentials === "unreadable") return "refused";
    return admits(w.credentials, presented) ? "admitted" : "refused";
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.rebalanceTimer = undefined;
    this.wakeSleepers(() => true);
    for (const w of this.workers) w.running = false;
    await Promise.all(this.workers.map((w) => this.shutdownServer(w)));
    // Requests woken from their latency are dropped; wait for that, so none is served after close().
    await Promise.all(this.workers.flatMap((w) => [...w.inFlight]));
    for (const resolve of [...this.idleWaiters.splice(0), ...this.rebalanceWaiters.splice(0)]) resolve();
    await Promise.all(this.ownedDirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** Starts N emulated Kafka Connect workers on 127.0.0.1; always `close()` it. */
export async function startKafkaConnectCluster(
  opts: KafkaConnectClusterOptions = {},
): Promise<KafkaConnectCluster> {
  return ClusterEngine.start(opts);
}
