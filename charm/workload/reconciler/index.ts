import type { KafkaConnectClient } from "../../../lib/kafka-connect/index.js";
import type { DesiredConnector, RestartHistory } from "../../common/desired-state.js";
import { declaredNameOf, type Owner, ownerSuffix } from "../../common/names.js";
import type { Reconcile, ReconcileInput, ReconcileResult } from "../../common/reconcile-api.js";
import type { ConnectorObservation, ErrorReport } from "../../common/snapshot.js";
import { execute } from "./executor.js";
import { observeOwn, type RequestCounter, workerVersion } from "./observe.js";
import { effectiveState, plan } from "./planner.js";
import { errorReport, type Mask, maskerFor } from "./report.js";

/**
 * One reconcile cycle: observe (one listing; `GET /` once per client), plan (pure), execute. It never throws
 * for Kafka Connect's sake: a cycle that cannot reach it returns a cycle-level error and marks every declared
 * connector UNKNOWN, so the loop keeps going and the status says why. See docs/integrator-reconciler.md.
 */
export const reconcile: Reconcile = async (input) => {
  const { desired, client, signal } = input;
  const mask = maskerFor(desired);
  const counter: RequestCounter = { requests: 0 };
  const call = signal ? { signal } : {};
  if (desired.kafkaConnect === undefined) {
    const error = { kind: "not-configured", message: "no Kafka Connect access in the desired state" };
    return unknownCycle(input, counter, error);
  }
  const owner: Owner = {
    app: desired.app,
    relation: desired.kafkaConnect.relation,
    modelUuid: desired.modelUuid,
  };

  let observed: Awaited<ReturnType<typeof observeOwn>>;
  try {
    observed = await observeOwn(client, owner, counter, call);
  } catch (error) {
    return unknownCycle(input, counter, errorReport(error, mask));
  }
  const errors: (ErrorReport & { connector?: string })[] = [];
  let version: string | undefined;
  try {
    version = await workerVersion(client, counter, call);
  } catch (error) {
    // Not fatal: the plan assumes a current worker and the executor falls back where one proves older.
    errors.push(errorReport(error, mask));
  }

  const { own, refused } = ownConnectors(desired.connectors, owner, mask);
  const planned = plan({
    connectors: own,
    holds: desired.holds,
    observed,
    history: input.history,
    now: input.now(),
    policy: desired.restartPolicy,
    workerVersion: version,
    mask,
    written: writtenKeys(client, own),
  });
  const outcome = await execute({
    client,
    actions: planned.actions,
    counter,
    mask,
    ...(input.mayAct ? { mayAct: input.mayAct } : {}),
    ...(signal ? { signal } : {}),
  });

  const wrote = new Set(outcome.written);
  for (const action of planned.actions) {
    if ((action.kind === "create" || action.kind === "update") && wrote.has(action.name)) {
      writtenKeys(client, own).set(action.name, new Set(Object.keys(action.config)));
    }
  }

  const history: RestartHistory = { ...planned.history };
  for (const action of outcome.restartsNotMade) {
    if (action.kind !== "restart") continue;
    if (action.previous === undefined) delete history[action.name];
    else history[action.name] = action.previous;
  }
  const created = new Set(outcome.created);
  const failures = new Map<string, ErrorReport>();
  for (const { connector, kind, message } of outcome.errors) {
    if (connector !== undefined && !failures.has(connector)) failures.set(connector, { kind, message });
  }
  const acted = planned.observations.map((o): ConnectorObservation => {
    const error = failures.get(o.name) ?? o.error;
    // Just created: on Kafka Connect, not yet placed (what the worker itself reports until it is).
    const state = created.has(o.name) ? "UNASSIGNED" : o.state;
    return { ...o, state, ...(error ? { error } : {}) };
  });
  // In declaration order, the refused ones where they were declared.
  let next = 0;
  const observations = desired.connectors.map((_, i) => refused.get(i)?.observation ?? acted[next++]!);

  return {
    observations,
    history,
    deleted: outcome.deleted,
    requests: counter.requests,
    restarts: outcome.restarts,
    errors: [...errors, ...[...refused.values()].map((r) => r.error), ...planned.notes, ...outcome.errors],
    ...(version === undefined ? {} : { workerVersion: mask(version) }),
  } satisfies ReconcileResult;
};

/** Per client (a new one after rotation starts afresh): the config keys last written, by connector name. */
const written = new WeakMap<KafkaConnectClient, Map<string, ReadonlySet<string>>>();

/** This client's record, kept to the connectors still declared. */
function writtenKeys(client: KafkaConnectClient, own: readonly DesiredConnector[]) {
  let keys = written.get(client);
  if (!keys) {
    keys = new Map();
    written.set(client, keys);
  }
  const declared = new Set(own.map((c) => c.name));
  for (const name of keys.keys()) if (!declared.has(name)) keys.delete(name);
  return keys;
}

/** A declaration the reconciler will not act on: how it is reported, in the snapshot and in `errors`. */
export interface Refused {
  readonly observation: ConnectorObservation;
  readonly error: ErrorReport & { readonly connector: string };
}

/**
 * The declared connectors this cycle may act on: those whose name `declaredNameOf` recognises as this
 * owner's, once each. Anything else in the desired state (a name built for another relation or application,
 * or by a buggy hook) is reported and never sent to Kafka Connect: created there, it could never be found
 * again by the listing, so never updated or deleted; and it might be someone else's connector. The actions'
 * dry run (`plan`) applies this same rule, so it refuses exactly what the loop refuses. `refused` is keyed by
 * the index in `connectors`.
 */
export function ownConnectors(
  connectors: readonly DesiredConnector[],
  owner: Owner,
  mask: Mask,
): { own: DesiredConnector[]; refused: Map<number, Refused> } {
  const own: DesiredConnector[] = [];
  const refused = new Map<number, Refused>();
  const names = new Set<string>();
  connectors.forEach((c, i) => {
    const recognised = declaredNameOf(c.name, owner) !== undefined;
    if (recognised && !names.has(c.name)) {
      names.add(c.name);
      own.push(c);
      return;
    }
    const why = recognised
      ? "declared twice: only the first declaration is applied"
      : `not a name of this application on this relation (<declared>${ownerSuffix(owner)}): not touched`;
    const error = { kind: "invalid-name", message: mask(why) };
    refused.set(i, {
      observation: {
        declared: c.declared,
        name: c.name,
        desired: c.state,
        state: "UNKNOWN",
        tasks: [],
        error,
      },
      error: { ...error, connector: c.name },
    });
  });
  return { own, refused };
}

/** A cycle that could not observe: every declared connector UNKNOWN, the history untouched. */
function unknownCycle(input: ReconcileInput, counter: RequestCounter, error: ErrorReport): ReconcileResult {
  const { desired } = input;
  return {
    observations: desired.connectors.map((c) => {
      const { state, held } = effectiveState(c, desired.holds);
      return {
        declared: c.declared,
        name: c.name,
        desired: state,
        ...(held ? { held } : {}),
        state: "UNKNOWN",
        tasks: [],
      };
    }),
    history: input.history,
    deleted: [],
    requests: counter.requests,
    restarts: {},
    errors: [error],
  };
}

export { execute } from "./executor.js";
export { type ObservedConnector, observeOwn, workerVersion } from "./observe.js";
export {
  changedKeys,
  effectiveState,
  type Plan,
  type PlanInput,
  plan,
  storedForm,
  transition,
} from "./planner.js";
export { maskerFor } from "./report.js";
export { backoffMs, decideRestart, healthOf } from "./restart-policy.js";
