import { z } from "zod";
import { ConnectorDesiredState, RestartHistory } from "./desired-state.js";

/**
 * What the workload reports back: written atomically after every reconcile cycle (and when the plugin server
 * starts or fails), read by hooks to render Juju status and by actions. Never holds a secret value.
 */

export const ObservedState = z.enum([
  "UNASSIGNED",
  "RUNNING",
  "PAUSED",
  "FAILED",
  "RESTARTING",
  "STOPPED",
  /** Declared but not on Kafka Connect (yet, or deleted behind our back). */
  "MISSING",
]);
export type ObservedState = z.infer<typeof ObservedState>;

export const ErrorReport = z.strictObject({
  /** KafkaConnectError kind (`unavailable`, `unauthorized`, `invalid-config`, …) or a workload kind. */
  kind: z.string(),
  /** One line, bounded, secrets masked. */
  message: z.string(),
});
export type ErrorReport = z.infer<typeof ErrorReport>;

export const TaskObservation = z.strictObject({
  id: z.number().int().nonnegative(),
  state: ObservedState,
  /** First line of the trace, bounded. */
  trace: z.string().optional(),
});

export const ConnectorObservation = z.strictObject({
  declared: z.string(),
  name: z.string(),
  desired: ConnectorDesiredState,
  /** Set while an action's pause or stop holds. */
  held: z.enum(["paused", "stopped"]).optional(),
  state: ObservedState,
  trace: z.string().optional(),
  tasks: z.array(TaskObservation),
  /** The last error acting on this connector (create or update refused, …). */
  error: ErrorReport.optional(),
});
export type ConnectorObservation = z.infer<typeof ConnectorObservation>;

export const StatusSnapshot = z.strictObject({
  version: z.literal(1),
  writtenAt: z.string(),
  /** The desired-state generation this snapshot reflects. */
  generation: z.number().int().nonnegative(),
  /** True when this workload confirmed leadership and acted on Kafka Connect in its last cycle. */
  acting: z.boolean(),
  pluginServer: z.strictObject({
    listening: z.boolean(),
    port: z.number().int(),
    /** sha512 of what it serves, when serving. */
    sha512: z.string().optional(),
    downloads: z.number().int().nonnegative(),
    bytesServed: z.number().nonnegative(),
    error: z.string().optional(),
  }),
  kafkaConnect: z
    .strictObject({
      reachable: z.boolean(),
      version: z.string().optional(),
      error: ErrorReport.optional(),
    })
    .optional(),
  lastReconcile: z
    .strictObject({
      at: z.string(),
      durationMs: z.number().nonnegative(),
      requests: z.number().int().nonnegative(),
      ok: z.boolean(),
    })
    .optional(),
  connectors: z.array(ConnectorObservation),
  /** Connectors of ours found on Kafka Connect but no longer declared, deleted this cycle (names). */
  deleted: z.array(z.string()).default([]),
  history: RestartHistory,
});
export type StatusSnapshot = z.infer<typeof StatusSnapshot>;
