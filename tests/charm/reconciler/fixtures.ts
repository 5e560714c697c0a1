/** Small builders shared by the reconciler's tests: desired connectors, observed ones, a desired state. */

import type { DesiredConnector, DesiredState, RestartPolicy } from "../../../charm/common/desired-state.js";
import { connectorName, type Owner } from "../../../charm/common/names.js";
import type { ObservedConnector } from "../../../charm/workload/reconciler/observe.js";
import { type PlanInput, plan } from "../../../charm/workload/reconciler/planner.js";
import { maskerFor } from "../../../charm/workload/reconciler/report.js";
import type { ConnectorState } from "../../../lib/kafka-connect/index.js";

export const MODEL_UUID = "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b";
export const OWNER: Owner = { app: "integrator", relation: 7, modelUuid: MODEL_UUID };
export const UNIT_MS = 1_000;
export const POLICY: RestartPolicy = { enabled: true, maxRestarts: 10, backoffUnitMs: UNIT_MS };

/** The emulator's plugin every test declares (see `testPlugin`). */
export const SOURCE_CLASS = "com.example.test.TestSourceConnector";

export function declare(
  declared: string,
  overrides: Partial<Omit<DesiredConnector, "declared" | "name">> & { owner?: Owner } = {},
): DesiredConnector {
  const { owner = OWNER, config = {}, ...rest } = overrides;
  const name = connectorName(declared, owner);
  return {
    declared,
    name,
    config: { "connector.class": SOURCE_CLASS, "tasks.max": "2", name, ...config },
    state: "running",
    declarationHash: `hash-${declared}`,
    secretKeys: [],
    ...rest,
  };
}

/** What the listing would show of a declared connector: its stored config and the given states. */
export function seen(
  connector: DesiredConnector,
  state: ConnectorState,
  tasks: readonly (ConnectorState | { state: ConnectorState; trace: string })[] = [],
  extra: { config?: Record<string, string>; trace?: string } = {},
): ObservedConnector {
  return {
    name: connector.name,
    declared: connector.declared,
    config: extra.config ?? { ...connector.config, name: connector.name },
    status: {
      name: connector.name,
      type: "source",
      connector: { state, worker_id: "127.0.0.1:1", ...(extra.trace ? { trace: extra.trace } : {}) },
      tasks: tasks.map((t, id) =>
        typeof t === "string"
          ? { id, state: t, worker_id: "127.0.0.1:1" }
          : { id, state: t.state, worker_id: "127.0.0.1:1", trace: t.trace },
      ),
    },
  };
}

export function observedMap(...connectors: ObservedConnector[]): Map<string, ObservedConnector> {
  return new Map(connectors.map((c) => [c.name, c]));
}

export function desiredState(
  connectors: DesiredConnector[],
  access: { endpoints: readonly string[]; username?: string; password?: string; tlsCa?: string },
  overrides: Partial<DesiredState> = {},
): DesiredState {
  return {
    version: 1,
    generation: 1,
    writtenAt: "2026-01-01T00:00:00.000Z",
    unit: `${OWNER.app}/0`,
    app: OWNER.app,
    modelUuid: OWNER.modelUuid,
    charmDir: "/var/lib/juju/agents/unit-integrator-0/charm",
    port: 8080,
    plugin: { mode: "not-required" },
    leader: true,
    kafkaConnect: {
      relation: OWNER.relation,
      endpoints: [...access.endpoints],
      username: access.username ?? "admin",
      password: access.password ?? "",
      ...(access.tlsCa ? { tlsCa: access.tlsCa } : {}),
    },
    connectors,
    holds: {},
    restartPolicy: POLICY,
    reconcileIntervalMs: 30_000,
    history: {},
    ...overrides,
  };
}

/** The clock the planner tests run at. */
export const T0 = 1_700_000_000_000;

/** The planner on these connectors and observations, with no holds or history unless `more` gives them. */
export function planFor(
  connectors: DesiredConnector[],
  observed: ObservedConnector[],
  more: Partial<Omit<PlanInput, "connectors" | "observed">> = {},
) {
  return plan({
    connectors,
    observed: observedMap(...observed),
    holds: {},
    history: {},
    now: T0,
    policy: POLICY,
    workerVersion: "3.9.0",
    mask: maskerFor({ connectors, kafkaConnect: undefined }),
    ...more,
  });
}
