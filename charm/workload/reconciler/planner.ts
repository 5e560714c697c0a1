import type { InitialState } from "../../../lib/kafka-connect/index.js";
import { isOlderThan } from "../../../lib/kafka-connect/version.js";
import type {
  ConnectorDesiredState,
  DesiredConnector,
  Hold,
  RestartHistory,
  RestartPolicy,
  RestartRecord,
} from "../../common/desired-state.js";
import type { ConnectorObservation, ErrorReport, ObservedState } from "../../common/snapshot.js";
import type { ObservedConnector } from "./observe.js";
import type { Mask } from "./report.js";
import { decideRestart, healthOf } from "./restart-policy.js";

/**
 * The reconciler's decisions, pure: desired + observed + history + clock + policy + worker version → the
 * actions to take, the history once they are taken, and what to report. No I/O, no clock of its own: every
 * rule is a table-driven test (tests/charm/reconciler/planner.test.ts).
 */

export type Action =
  | { readonly kind: "delete"; readonly name: string; readonly declared: string }
  | {
      readonly kind: "create";
      readonly name: string;
      readonly declared: string;
      readonly config: Readonly<Record<string, string>>;
      /** Created in this state (3.7+); absent: created running. */
      readonly initialState?: InitialState;
      /** On older workers: pause or stop right after the create, before anything runs for long. */
      readonly afterCreate?: "pause" | "stop";
    }
  | {
      readonly kind: "update";
      readonly name: string;
      readonly declared: string;
      /** The full desired map, sent with PUT /config (a PATCH would keep keys the declaration dropped). */
      readonly config: Readonly<Record<string, string>>;
      /** Keys added, removed or changed: names only (values may be secrets). */
      readonly changedKeys: readonly string[];
      /**
       * Sent if the PUT created the connector (deleted behind our back since the listing: a PUT then
       * creates it, running), so it does not run a cycle long against a paused or stopped declaration.
       */
      readonly ifCreated?: "pause" | "stop";
    }
  | { readonly kind: "pause" | "resume" | "stop"; readonly name: string; readonly declared: string }
  | {
      readonly kind: "restart";
      readonly name: string;
      readonly declared: string;
      /** `restart?includeTasks=true&onlyFailed=true` (3.0+); else the plain restarts below. */
      readonly withFlags: boolean;
      /** The connector itself is FAILED. */
      readonly connector: boolean;
      /** Ids of the FAILED tasks. */
      readonly tasks: readonly number[];
      /** The record if this restart is not made (leadership lost, refused by the worker). */
      readonly previous: RestartRecord | undefined;
    };

export type ActionKind = Action["kind"];

/** The order actions run in: deletes free names and capacity first; restarts last, after any config change. */
export const ACTION_ORDER: readonly ActionKind[] = [
  "delete",
  "create",
  "update",
  "pause",
  "resume",
  "stop",
  "restart",
];

export interface PlanInput {
  readonly connectors: readonly DesiredConnector[];
  /** Keyed by declared name (the Kafka Connect name is accepted too). */
  readonly holds: Readonly<Record<string, Hold>>;
  /** Our connectors on Kafka Connect, by name (observe.ts). */
  readonly observed: ReadonlyMap<string, ObservedConnector>;
  readonly history: RestartHistory;
  readonly now: number;
  readonly policy: RestartPolicy;
  /** From `GET /`; undefined (unreadable) is treated as a current worker, and the executor falls back. */
  readonly workerVersion: string | undefined;
  readonly mask: Mask;
  /**
   * The keys of the config this process last wrote, by connector name. A stored key outside that set was
   * added by the worker (or someone else), not removed from our declaration: no reason for a PUT, which the
   * worker would answer by adding it again, a restart every cycle. Without a record, any key counts.
   */
  readonly written?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface ConnectorNote extends ErrorReport {
  readonly connector: string;
}

export interface Plan {
  readonly actions: readonly Action[];
  /** The history once every planned restart is made (the executor reverts the ones that are not). */
  readonly history: RestartHistory;
  /** One per declared connector, as observed before acting. */
  readonly observations: readonly ConnectorObservation[];
  /** What the planner itself refuses or works around (a FAILED connector cannot be paused, …). */
  readonly notes: readonly ConnectorNote[];
}

/** Kafka versions that added what the plan uses. */
export const SINCE = { restartFlags: "3.0", stop: "3.5", initialState: "3.7" } as const;

export function supports(workerVersion: string | undefined, since: string): boolean {
  return workerVersion === undefined || !isOlderThan(workerVersion, since);
}

/** What Kafka stores for a config: the map as sent, plus `name` (set by the worker when missing). */
export function storedForm(connector: DesiredConnector): Record<string, string> {
  return { ...connector.config, name: connector.name };
}

/** Keys whose values differ between two configs, sorted; empty means a PUT would change nothing. */
export function changedKeys(
  desired: Readonly<Record<string, string>>,
  stored: Readonly<Record<string, string>>,
): string[] {
  const keys = new Set([...Object.keys(desired), ...Object.keys(stored)]);
  return [...keys].filter((k) => desired[k] !== stored[k]).sort();
}

/** The state actions hold it in, when a hold matches the current declaration; else the declared state. */
export function effectiveState(
  connector: DesiredConnector,
  holds: Readonly<Record<string, Hold>>,
): { readonly state: ConnectorDesiredState; readonly held?: Hold["state"] } {
  // A hold made for another declaration has ended: the operator changed the connector since. A stale one
  // under one key must not hide a current one under the other.
  const hold = [holds[connector.declared], holds[connector.name]].find(
    (h) => h?.declarationHash === connector.declarationHash,
  );
  if (hold) return { state: hold.state, held: hold.state };
  return { state: connector.state };
}

export type Transition = "none" | "pause" | "resume" | "stop" | "refuse-pause" | "wait";

/**
 * Strimzi's state table: RUNNING → pause/stop; PAUSED → stop/resume; STOPPED → pause/resume; FAILED → stop
 * (a FAILED connector running again is a restart, the restart policy's job), pause refused; UNASSIGNED and
 * RESTARTING are in flight: wait a cycle.
 */
export function transition(observed: ObservedState, want: ConnectorDesiredState): Transition {
  switch (observed) {
    case "RUNNING":
      return want === "running" ? "none" : want === "paused" ? "pause" : "stop";
    case "PAUSED":
      return want === "running" ? "resume" : want === "paused" ? "none" : "stop";
    case "STOPPED":
      return want === "running" ? "resume" : want === "paused" ? "pause" : "none";
    case "FAILED":
      return want === "running" ? "none" : want === "paused" ? "refuse-pause" : "stop";
    default:
      return "wait";
  }
}

export function plan(input: PlanInput): Plan {
  const { observed, mask, workerVersion } = input;
  const actions: Action[] = [];
  const notes: ConnectorNote[] = [];
  const history: RestartHistory = {};
  const observations: ConnectorObservation[] = [];
  const canStop = supports(workerVersion, SINCE.stop);
  const stopUnsupported = (name: string) =>
    notes.push({
      connector: name,
      kind: "unsupported",
      // The version is the worker's text: masked and bounded like anything else it sends.
      message: mask(
        `stopped needs Kafka Connect ${SINCE.stop} or later (this worker runs ${workerVersion}): paused instead`,
      ),
    });

  const declaredNames = new Set(input.connectors.map((c) => c.name));
  for (const seen of observed.values()) {
    if (!declaredNames.has(seen.name))
      actions.push({ kind: "delete", name: seen.name, declared: seen.declared });
  }

  for (const connector of input.connectors) {
    const { name, declared } = connector;
    const { state: want, held } = effectiveState(connector, input.holds);
    const config = storedForm(connector);
    const seen = observed.get(name);
    const base = { declared, name, desired: want, ...(held ? { held } : {}) };

    if (!seen) {
      // Never created, or deleted behind our back (Canonical's provider deletes matching names when any
      // integrator unit departs): create it, in the desired state from the start where the worker allows.
      if (want !== "stopped" || canStop) {
        actions.push(createAction(connector, config, want, workerVersion));
      } else {
        actions.push({ kind: "create", name, declared, config, afterCreate: "pause" });
        stopUnsupported(name);
      }
      const previous = input.history[name];
      const kept = decideRestart(restartInput(input, connector, previous, "transient", false)).record;
      if (kept) history[name] = kept;
      observations.push({ ...base, state: "MISSING", tasks: [] });
      continue;
    }

    if (seen.unreadable) {
      // On Kafka Connect but unread: no create over it, no PUT, no transition, no restart on a guess. The
      // history is kept as it was; the next cycle reads it again.
      notes.push({ connector: name, kind: seen.unreadable.kind, message: mask(seen.unreadable.message) });
      const previous = input.history[name];
      if (previous) history[name] = previous;
      observations.push({ ...base, state: "UNKNOWN", tasks: [] });
      continue;
    }

    // Kafka sets `name` from the URL on every write: a worker that leaves it out of the listing would
    // otherwise get a PUT, and a restart of the connector and its tasks, every cycle.
    const stored =
      seen.config && !Object.hasOwn(seen.config, "name") ? { ...seen.config, name } : seen.config;
    const wrote = input.written?.get(name);
    const changed = stored
      ? changedKeys(config, stored).filter((k) => Object.hasOwn(config, k) || !wrote || wrote.has(k))
      : [];
    // Never an identical PUT: Kafka rewrites the config and restarts the connector and its tasks anyway.
    if (changed.length > 0) {
      const ifCreated = want === "running" ? undefined : want === "stopped" && canStop ? "stop" : "pause";
      actions.push({
        kind: "update",
        name,
        declared,
        config,
        changedKeys: changed,
        ...(ifCreated ? { ifCreated } : {}),
      });
    }

    const status = seen.status;
    const state: ObservedState = status?.connector.state ?? "UNASSIGNED";
    const tasks = [...(status?.tasks ?? [])].sort((a, b) => a.id - b.id);
    observations.push({
      ...base,
      state,
      ...(status?.connector.trace ? { trace: mask(status.connector.trace) } : {}),
      tasks: tasks.map((t) => ({ id: t.id, state: t.state, ...(t.trace ? { trace: mask(t.trace) } : {}) })),
    });

    const step = transition(state, want);
    if (step === "pause" || step === "resume") actions.push({ kind: step, name, declared });
    else if (step === "stop") {
      if (canStop) actions.push({ kind: "stop", name, declared });
      else {
        if (state !== "PAUSED" && state !== "FAILED") actions.push({ kind: "pause", name, declared });
        stopUnsupported(name);
      }
    } else if (step === "refuse-pause") {
      notes.push({
        connector: name,
        kind: "refused-transition",
        message: "a FAILED connector cannot be paused: restart it, or declare it stopped",
      });
    }

    const health = status ? healthOf({ connector: state, tasks: tasks.map((t) => t.state) }) : "transient";
    const previous = input.history[name];
    const decision = decideRestart(restartInput(input, connector, previous, health, want === "running"));
    // A config write restarts the connector and its tasks already: no restart on top of it this cycle.
    if (decision.restarted && changed.length === 0) {
      history[name] = decision.restarted;
      actions.push({
        kind: "restart",
        name,
        declared,
        withFlags: supports(workerVersion, SINCE.restartFlags),
        connector: state === "FAILED",
        tasks: tasks.filter((t) => t.state === "FAILED").map((t) => t.id),
        previous: decision.record,
      });
    } else if (decision.record) {
      history[name] = decision.record;
    }
  }

  const rank = (a: Action) => ACTION_ORDER.indexOf(a.kind);
  actions.sort((a, b) => rank(a) - rank(b));
  const firstNote = new Map<string, ErrorReport>();
  for (const { connector, kind, message } of notes) {
    if (!firstNote.has(connector)) firstNote.set(connector, { kind, message });
  }
  return {
    actions,
    history,
    notes,
    observations: observations.map((o) => {
      const error = firstNote.get(o.name);
      return error ? { ...o, error } : o;
    }),
  };
}

function createAction(
  connector: DesiredConnector,
  config: Record<string, string>,
  want: ConnectorDesiredState,
  workerVersion: string | undefined,
): Action {
  const { name, declared } = connector;
  if (want === "running") return { kind: "create", name, declared, config };
  if (supports(workerVersion, SINCE.initialState)) {
    return { kind: "create", name, declared, config, initialState: want === "paused" ? "PAUSED" : "STOPPED" };
  }
  return { kind: "create", name, declared, config, afterCreate: want === "paused" ? "pause" : "stop" };
}

function restartInput(
  input: PlanInput,
  connector: DesiredConnector,
  previous: RestartRecord | undefined,
  health: "healthy" | "failing" | "transient",
  meantToRun: boolean,
) {
  return {
    previous,
    health,
    meantToRun,
    declarationHash: connector.declarationHash,
    now: input.now,
    policy: input.policy,
  };
}
