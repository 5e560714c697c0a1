import type { ConnectorSnapshot, Timing } from "./api.js";
import { tasksMax } from "./config.js";
import { JAVA_CLASS, RestError } from "./errors.js";
import { isConnector, type PluginDescriptor, resolveConnector } from "./plugins.js";
import type { Scheduler } from "./scheduler.js";
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

const TRANSITIONAL: readonly UnitState[] = ["UNASSIGNED", "RESTARTING"];

/**
 * The connectors' state machine: create, config writes, pause/resume/stop, restarts, each settling on a timer
 * as a worker would report it; placement over the running workers. The group around it (which workers run,
 * whether a rebalance is under way) is the subclass's: the engine.
 */
export abstract class ConnectorLifecycle {
  readonly connectors = new Map<string, ConnectorRecord>();

  constructor(
    readonly timing: Timing,
    readonly topicTracking: boolean,
    protected readonly scheduler: Scheduler,
  ) {}

  /** Placement waits while the group rebalances. */
  abstract get inRebalance(): boolean;
  abstract runningWorkers(): number[];
  /** `worker_id` of worker i, as statuses report it. */
  abstract readonly workerId: (i: number) => string;
  /** The plugins worker i loaded when it last started. */
  abstract workerPlugins(i: number): readonly PluginDescriptor[];

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
    this.scheduler.later(ms, () => {
      if (!this.current(rec) || u.token !== token || u.owner === undefined) return;
      const failure = connectorStartFailure(rec, this.workerPlugins(u.owner));
      if (failure !== undefined) {
        u.status = { state: "FAILED", worker: u.owner, trace: failure };
        return;
      }
      const state = this.steady(rec);
      u.status = { state, worker: u.owner };
      if (state === "RUNNING") this.ensureTasks(rec);
      if (state === "STOPPED") rec.tasks.clear();
    });
  }

  private scheduleTask(rec: ConnectorRecord, id: number, u: Unit, ms: number): void {
    const token = ++u.token;
    this.scheduler.later(ms, () => {
      if (!this.current(rec) || rec.tasks.get(id) !== u || u.token !== token || u.owner === undefined) return;
      if (rec.target === "STOPPED") {
        rec.tasks.delete(id);
        return;
      }
      const failure = taskStartFailure(rec, id, this.workerPlugins(u.owner));
      if (failure !== undefined) {
        u.status = { state: "FAILED", worker: u.owner, trace: failure };
        return;
      }
      u.status = { state: rec.target === "PAUSED" ? "PAUSED" : "RUNNING", worker: u.owner };
      if (u.status.state === "RUNNING") this.trackTopics(rec);
    });
  }

  /** A running connector generates its task configs: min(tasks.max, the plugin's limit), spread over workers. */
  private ensureTasks(rec: ConnectorRecord): void {
    const want = Math.min(tasksMax(rec.config), rec.plugin.maxTasks ?? Number.POSITIVE_INFINITY);
    const taskClass = taskClassOf(rec.plugin);
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
    this.scheduler.later(this.timing.assignMs, () => {
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
    this.scheduler.later(this.timing.settleMs, () => {
      if (!this.current(rec) || rec.target !== "PAUSED") return;
      for (const u of [rec.connector, ...rec.tasks.values()])
        if (u.owner !== undefined && u.status?.state === "RUNNING")
          u.status = { state: "PAUSED", worker: u.owner };
    });
  }

  resume(rec: ConnectorRecord): void {
    rec.target = "STARTED";
    this.scheduler.later(this.timing.settleMs, () => {
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
    this.scheduler.later(this.timing.settleMs, () => {
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

  // ---- test controls ----------------------------------------------------------------------------------

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

  // ---- the group changed ----------------------------------------------------------------------------

  /** Worker i left: its units stop, their last status UNASSIGNED as written by the leaving worker. */
  protected orphan(i: number): void {
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
  }

  /** A rebalance ended: every unit without a worker is placed on the running ones. */
  protected placeUnassigned(running: number[]): void {
    if (running.length === 0) return;
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
}

/** The task class an emulated connector generates: `FooSinkConnector` runs `FooSinkTask`s. */
const taskClassOf = (plugin: PluginDescriptor): string => `${plugin.class.replace(/Connector$/, "")}Task`;

/** A stack trace as a status carries it (Throwable#printStackTrace); the frames name Kafka's methods. */
const javaTrace = (cls: string, message: string, frames: readonly string[]): string =>
  `${cls}: ${message}\n${frames.map((f) => `\tat ${f}\n`).join("")}`;

/**
 * Worker#startConnector on a worker that lacks the class (its plugin path did not hold it when it started):
 * Plugins#newConnector throws the ConnectException a config write would get there, and the status listener
 * reports the connector FAILED with it. Kafka does not retry; a restart or a rebalance that moves it does.
 */
function connectorStartFailure(
  rec: { config: Record<string, string> },
  plugins: readonly PluginDescriptor[],
): string | undefined {
  try {
    resolveConnector(plugins, rec.config["connector.class"] ?? "");
    return undefined;
  } catch (e) {
    if (!(e instanceof RestError)) throw e;
    return javaTrace(JAVA_CLASS.connect, e.message, [
      "org.apache.kafka.connect.runtime.isolation.Plugins.connectorClass(Plugins.java)",
      "org.apache.kafka.connect.runtime.isolation.Plugins.newConnector(Plugins.java)",
      "org.apache.kafka.connect.runtime.Worker.startConnector(Worker.java)",
    ]);
  }
}

/**
 * Worker#startTask on a worker that lacks the plugin: DelegatingClassLoader#connectorLoader falls back to
 * itself, so the failure comes from TaskConfig, whose `task.class` (a CLASS key) cannot be loaded: a
 * ConfigException, and the task is reported FAILED.
 */
function taskStartFailure(
  rec: { plugin: PluginDescriptor; taskConfigs: Record<string, string>[] },
  id: number,
  plugins: readonly PluginDescriptor[],
): string | undefined {
  if (plugins.some((p) => isConnector(p) && p.class === rec.plugin.class)) return undefined;
  const taskClass = rec.taskConfigs[id]?.["task.class"] ?? taskClassOf(rec.plugin);
  return javaTrace(
    JAVA_CLASS.config,
    `Invalid value ${taskClass} for configuration task.class: Class ${taskClass} could not be found.`,
    [
      "org.apache.kafka.common.config.ConfigDef.parseType(ConfigDef.java)",
      "org.apache.kafka.connect.runtime.TaskConfig.<init>(TaskConfig.java)",
      "org.apache.kafka.connect.runtime.Worker.startTask(Worker.java)",
    ],
  );
}
