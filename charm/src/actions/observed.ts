import type { ConnectorState, ConnectorStateInfo } from "../../../lib/kafka-connect/index.js";
import type {
  ConnectorDesiredState,
  DesiredConnector,
  Hold,
  RestartHistory,
  RestartRecord,
} from "../../common/desired-state.js";
import { declaredNameOf, type Owner } from "../../common/names.js";
import { firstLine } from "./format.js";

/** What one status says, in the terms the actions report. Pure. */
export interface StatusSummary {
  readonly state: ConnectorState;
  readonly running: number;
  readonly total: number;
  /** Ids of FAILED tasks, ascending. */
  readonly failedTasks: readonly number[];
  /** First line of the connector's trace, else of the first failed task's; secrets masked. */
  readonly trace?: string;
}

/** `mask` masks secrets in the trace (ActionRun.mask); it is cut to its first line either way. */
export function summarize(
  status: ConnectorStateInfo,
  mask: (text: string) => string = firstLine,
): StatusSummary {
  const tasks = [...status.tasks].sort((a, b) => a.id - b.id);
  const failed = tasks.filter((t) => t.state === "FAILED");
  const raw = status.connector.trace ?? failed.find((t) => t.trace)?.trace;
  return {
    state: status.connector.state,
    running: tasks.filter((t) => t.state === "RUNNING").length,
    total: tasks.length,
    failedTasks: failed.map((t) => t.id),
    ...(raw ? { trace: firstLine(mask(raw), 200) } : {}),
  };
}

/** The `state` and `tasks` results of an action that changed a connector. */
export function stateResults(s: StatusSummary | undefined): { state: string; tasks?: string } {
  return s ? { state: s.state, tasks: `${s.running}/${s.total}` } : { state: "UNKNOWN" };
}

/** "RUNNING (2/3 tasks running)", "STOPPED", "FAILED (task 1 FAILED)". */
export function describeSummary(s: StatusSummary): string {
  if (s.total === 0) return s.state;
  const failed = s.failedTasks.length
    ? `; task${s.failedTasks.length > 1 ? "s" : ""} ${s.failedTasks.join(", ")} FAILED`
    : "";
  return `${s.state} (${s.running}/${s.total} tasks running${failed})`;
}

/** Transient states: a restart or a rebalance is under way. */
export function isTransient(state: string): boolean {
  return state === "UNASSIGNED" || state === "RESTARTING";
}

/** Settled after a restart: nothing restarting or unassigned any more. */
export function restartSettled(status: ConnectorStateInfo): boolean {
  return !isTransient(status.connector.state) && status.tasks.every((t) => !isTransient(t.state));
}

export const KAFKA_STATE: Readonly<Record<ConnectorDesiredState, ConnectorState>> = {
  running: "RUNNING",
  paused: "PAUSED",
  stopped: "STOPPED",
};

/** The hold of a declared connector, if it is still in force (a changed declaration ends it). */
export function holdInForce(
  connector: DesiredConnector,
  holds: Readonly<Record<string, Hold>>,
): Hold | undefined {
  const hold = holds[connector.declared];
  return hold && hold.declarationHash === connector.declarationHash ? hold : undefined;
}

/** The state the charm drives a connector to: a hold in force wins over the declaration. */
export function targetState(
  connector: DesiredConnector,
  holds: Readonly<Record<string, Hold>>,
): ConnectorDesiredState {
  return holdInForce(connector, holds)?.state ?? connector.state;
}

/** The workload's restart record of a connector (kept by its name on Kafka Connect). */
export function restartRecord(
  history: RestartHistory | undefined,
  name: string,
  declared: string,
): RestartRecord | undefined {
  return history?.[name] ?? history?.[declared];
}

/**
 * Whether a declared connector's name on Kafka Connect is this owner's: the reconciler's rule. A declaration
 * carrying another name (a stale or buggy desired state) could name another application's connector; no
 * action looks at it or touches it, as the reconcile loop does not.
 */
export function isOurs(connector: DesiredConnector, owner: Owner): boolean {
  return declaredNameOf(connector.name, owner) !== undefined;
}

/** The failure line for a declaration that is not ours. */
export function notOursLine(declared: string): string {
  return `${declared} is not a connector of this application on this relation: not touched (its declaration names another; the next hook rewrites it)`;
}
