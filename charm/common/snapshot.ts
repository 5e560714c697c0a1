import * as z from "zod/mini";
import { ConnectorDesiredState, RestartHistory } from "./desired-state.js";

/**
 * zod/mini, not zod: hooks read this file, and a hook must load little (zod's full build costs ~10 MiB of
 * RSS and tens of ms in every hook; mini a few hundred KiB).
 *
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
  /** Kafka Connect could not be reached this cycle: the state is not known (see the cycle's error). */
  "UNKNOWN",
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
  id: z.int().check(z.minimum(0)),
  state: ObservedState,
  /** First line of the trace, bounded. */
  trace: z.optional(z.string()),
});

export const ConnectorObservation = z.strictObject({
  declared: z.string(),
  name: z.string(),
  desired: ConnectorDesiredState,
  /** Set while an action's pause or stop holds. */
  held: z.optional(z.enum(["paused", "stopped"])),
  state: ObservedState,
  trace: z.optional(z.string()),
  tasks: z.array(TaskObservation),
  /** The last error acting on this connector (create or update refused, …). */
  error: z.optional(ErrorReport),
});
export type ConnectorObservation = z.infer<typeof ConnectorObservation>;

export const StatusSnapshot = z.strictObject({
  version: z.literal(1),
  writtenAt: z.string(),
  /** The desired-state generation this snapshot reflects. */
  generation: z.int().check(z.minimum(0)),
  /** True when this workload confirmed leadership and acted on Kafka Connect in its last cycle. */
  acting: z.boolean(),
  pluginServer: z.strictObject({
    listening: z.boolean(),
    port: z.int(),
    /** sha512 of what it serves, when serving. */
    sha512: z.optional(z.string()),
    downloads: z.int().check(z.minimum(0)),
    bytesServed: z.number().check(z.minimum(0)),
    error: z.optional(z.string()),
  }),
  kafkaConnect: z.optional(
    z.strictObject({
      reachable: z.boolean(),
      version: z.optional(z.string()),
      error: z.optional(ErrorReport),
    }),
  ),
  lastReconcile: z.optional(
    z.strictObject({
      at: z.string(),
      durationMs: z.number().check(z.minimum(0)),
      requests: z.int().check(z.minimum(0)),
      ok: z.boolean(),
    }),
  ),
  connectors: z.array(ConnectorObservation),
  /** Connectors of ours found on Kafka Connect but no longer declared, deleted this cycle (names). */
  deleted: z._default(z.array(z.string()), []),
  history: RestartHistory,
  /**
   * Set when the newest desired.json could not be used (unreadable, too big, invalid): the workload keeps
   * acting on the last good one, and says why here (one line, no secret).
   */
  desiredError: z.optional(z.string()),
});
export type StatusSnapshot = z.infer<typeof StatusSnapshot>;
