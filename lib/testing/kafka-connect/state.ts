import type { PluginDescriptor } from "./plugins.js";

/**
 * The cluster's shared state (what Kafka keeps in the config and status topics) and the JSON views the REST
 * API renders from it. Pure data and functions; the cluster drives the transitions.
 */

export type UnitState = "UNASSIGNED" | "RUNNING" | "PAUSED" | "FAILED" | "RESTARTING" | "STOPPED";
export type TargetState = "STARTED" | "PAUSED" | "STOPPED";

export interface UnitStatus {
  state: UnitState;
  /** Index of the worker the status was written by (its worker_id). */
  worker: number;
  trace?: string;
}

/** A connector instance or a task: which worker runs it and what it last reported. */
export interface Unit {
  /** The worker it is assigned to; undefined while unassigned (before placement, or its worker left). */
  owner?: number;
  /** Undefined until a worker first reports it: the transient `No status found` 404. */
  status?: UnitStatus;
  /** Bumped whenever a new transition is scheduled, so an older pending one does nothing. */
  token: number;
  /** Restarts, config rewrites included: lets a test prove a manager never rewrote an identical config. */
  restarts: number;
}

export interface ConnectorOffset {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

export interface ConnectorRecord {
  name: string;
  config: Record<string, string>;
  plugin: PluginDescriptor;
  target: TargetState;
  /** Task configs in the config topic; their count is the connector's task count. */
  taskConfigs: Record<string, string>[];
  connector: Unit;
  tasks: Map<number, Unit>;
  offsets: ConnectorOffset[];
  topics: Set<string>;
  /** Config writes (the create included). */
  configWrites: number;
}

export const connectorType = (rec: { plugin: PluginDescriptor }): "source" | "sink" | "unknown" =>
  rec.plugin.type === "source" || rec.plugin.type === "sink" ? rec.plugin.type : "unknown";

export interface ConnectorInfo {
  name: string;
  config: Record<string, string>;
  tasks: { connector: string; task: number }[];
  type: "source" | "sink" | "unknown";
}

export function connectorInfo(rec: ConnectorRecord, config = rec.config): ConnectorInfo {
  return {
    name: rec.name,
    config: { ...config },
    tasks: rec.taskConfigs.map((_, task) => ({ connector: rec.name, task })),
    type: connectorType(rec),
  };
}

export interface TaskState {
  id: number;
  state: UnitState;
  worker_id: string;
  trace?: string;
}

export interface ConnectorStateInfo {
  name: string;
  connector: { state: UnitState; worker_id: string; trace?: string };
  tasks: TaskState[];
  type: "source" | "sink" | "unknown";
}

/** The trace is left out when empty (`@JsonInclude(NON_EMPTY)`). */
function stateView(status: UnitStatus, workerId: (i: number) => string) {
  return {
    state: status.state,
    worker_id: workerId(status.worker),
    ...(status.trace ? { trace: status.trace } : {}),
  };
}

export function taskState(id: number, status: UnitStatus, workerId: (i: number) => string): TaskState {
  return { id, ...stateView(status, workerId) };
}

/**
 * `GET /connectors/{c}/status`: only units with a status, tasks sorted by id (AbstractHerder sorts them).
 * Undefined: no status yet. The 202 of a restart with flags (`unsorted`) lists them in descending id order:
 * Kafka builds that body from the status store's map without sorting, so no order is promised.
 */
export function connectorStateInfo(
  rec: ConnectorRecord,
  workerId: (i: number) => string,
  override?: { connector?: UnitStatus; tasks?: Map<number, UnitStatus>; unsorted?: boolean },
): ConnectorStateInfo | undefined {
  const connector = override?.connector ?? rec.connector.status;
  if (!connector) return undefined;
  const direction = override?.unsorted ? -1 : 1;
  const tasks = [...rec.tasks.entries()]
    .map(([id, unit]) => [id, override?.tasks?.get(id) ?? unit.status] as const)
    .filter((e): e is readonly [number, UnitStatus] => e[1] !== undefined)
    .sort((a, b) => direction * (a[0] - b[0]))
    .map(([id, status]) => taskState(id, status, workerId));
  return { name: rec.name, connector: stateView(connector, workerId), tasks, type: connectorType(rec) };
}

/** How many units each running worker carries (connectors and tasks alike). */
export function workerLoads(
  connectors: Iterable<ConnectorRecord>,
  running: readonly number[],
): Map<number, number> {
  const load = new Map<number, number>(running.map((i) => [i, 0]));
  const count = (owner: number | undefined) => {
    if (owner !== undefined && load.has(owner)) load.set(owner, load.get(owner)! + 1);
  };
  for (const rec of connectors) {
    count(rec.connector.owner);
    for (const t of rec.tasks.values()) count(t.owner);
  }
  return load;
}

/** The least-loaded running worker, the lowest index on ties: spreads units round-robin. */
export function pickWorker(load: Map<number, number>): number | undefined {
  let best: number | undefined;
  for (const [i, n] of load)
    if (best === undefined || n < load.get(best)! || (n === load.get(best)! && i < best)) best = i;
  if (best !== undefined) load.set(best, load.get(best)! + 1);
  return best;
}

/** Stable identity of an offset partition: JSON with sorted keys. */
export function partitionKey(partition: Record<string, unknown>): string {
  const sort = (v: unknown): unknown =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
        )
      : v;
  return JSON.stringify(sort(partition));
}

/** PATCH offsets: a null offset removes the partition, any other replaces or adds it. */
export function applyOffsets(current: ConnectorOffset[], patch: ConnectorOffset[]): ConnectorOffset[] {
  const byKey = new Map(current.map((o) => [partitionKey(o.partition), o]));
  for (const o of patch) {
    const key = partitionKey(o.partition);
    if (o.offset === null) byKey.delete(key);
    else byKey.set(key, { partition: o.partition, offset: o.offset });
  }
  return [...byKey.values()];
}
