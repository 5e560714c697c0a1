import type { KafkaConnectClient } from "../../lib/kafka-connect/index.js";
import type { DesiredState, RestartHistory } from "./desired-state.js";
import type { ConnectorObservation, ErrorReport } from "./snapshot.js";

/**
 * The seam between the workload's loop (charm/workload) and the reconciler (charm/workload/reconciler):
 * the loop decides WHEN (interval, desired-state change, leadership); the reconciler decides WHAT, in one
 * cycle: observe with one listing, plan (pure), execute. The loop never calls Kafka Connect itself.
 */
export interface ReconcileInput {
  /** Only called with `kafkaConnect` set and leadership confirmed. */
  readonly desired: DesiredState;
  readonly client: KafkaConnectClient;
  /** The history as the loop knows it (its own file merged with `desired.history`). */
  readonly history: RestartHistory;
  readonly now: () => number;
  readonly signal?: AbortSignal;
  /** Called before each write to Kafka Connect; false aborts the rest of the plan (leadership lost). */
  readonly mayAct?: () => boolean | Promise<boolean>;
}

export interface ReconcileResult {
  readonly observations: ConnectorObservation[];
  readonly history: RestartHistory;
  /** Names of our connectors deleted because they are no longer declared. */
  readonly deleted: string[];
  /** REST requests this cycle made (1 when converged). */
  readonly requests: number;
  /** Restarts made this cycle, by connector name (for metrics). */
  readonly restarts: Readonly<Record<string, number>>;
  /** Errors by kind (for metrics and status); a cycle-level error has no connector. */
  readonly errors: readonly (ErrorReport & { readonly connector?: string })[];
  /** The worker version read from `GET /` (cached by the reconciler between cycles). */
  readonly workerVersion?: string;
}

export type Reconcile = (input: ReconcileInput) => Promise<ReconcileResult>;
