import * as z from "zod/mini";
import { CONNECTOR_STATES } from "./connector-states.js";

/**
 * zod/mini, not zod: hooks import these schemas, and a hook must load little (see snapshot.ts).
 *
 * What a hook hands the workload: written by the charm (atomically, 0600: it holds credentials) on every hook
 * where it changed, read by the workload service on change and every cycle. The one source of truth for its
 * shape; the TypeScript types are inferred from it.
 */

export { CONNECTOR_STATES };
export const ConnectorDesiredState = z.enum(CONNECTOR_STATES);
export type ConnectorDesiredState = z.infer<typeof ConnectorDesiredState>;

export const DesiredConnector = z.strictObject({
  /** As declared in the `connectors` option, e.g. `orders`. */
  declared: z.string(),
  /** The name on Kafka Connect (see names.ts). */
  name: z.string(),
  /**
   * The full config to send, secret references already resolved; includes `connector.class` and `tasks.max`
   * (and `name`, as Kafka stores it), all strings.
   */
  config: z.record(z.string(), z.string()),
  state: ConnectorDesiredState,
  /** sha256 of the declaration as written (secret references unresolved): a hold ends when this changes. */
  declarationHash: z.string(),
  /** Config keys whose values came from Juju secrets: masked in every report. */
  secretKeys: z.array(z.string()),
});
export type DesiredConnector = z.infer<typeof DesiredConnector>;

/** A pause or stop made by an action: it holds until resume, or until the declaration changes. */
export const Hold = z.strictObject({
  state: z.enum(["paused", "stopped"]),
  declarationHash: z.string(),
  /** ISO time of the action. */
  since: z.string(),
});
export type Hold = z.infer<typeof Hold>;

/** Auto-restart bookkeeping per connector name; survives workload restarts and leader changes (peer data). */
export const RestartRecord = z.strictObject({
  /** Restarts made in the current unhealthy streak. */
  count: z.int().check(z.minimum(0)),
  /** Epoch ms of the last restart we made. */
  lastRestartAt: z.optional(z.number()),
  /** Epoch ms since when the connector and all its tasks have been healthy (resets `count` after a while). */
  healthySince: z.optional(z.number()),
  /** The declaration these restarts were made under: a new declaration starts a fresh streak. */
  declarationHash: z.optional(z.string()),
  /** True once `count` reached the policy's max: restarts stop until healthy or redeclared. */
  gaveUp: z._default(z.boolean(), false),
  /** Total restarts ever made (for the metric; never reset). */
  total: z._default(z.int().check(z.minimum(0)), 0),
});
export type RestartRecord = z.infer<typeof RestartRecord>;
export const RestartHistory = z.record(z.string(), RestartRecord);
export type RestartHistory = z.infer<typeof RestartHistory>;

export const RestartPolicy = z.strictObject({
  enabled: z.boolean(),
  /** 0 means no limit. */
  maxRestarts: z.int().check(z.minimum(0)),
  /** Backoff before restart n (from 0) is min(n² + n, 60) × unit. */
  backoffUnitMs: z.int().check(z.positive()),
});
export type RestartPolicy = z.infer<typeof RestartPolicy>;

export const KafkaConnectAccess = z.strictObject({
  /** Our relation number, for names and reports. */
  relation: z.int().check(z.minimum(0)),
  endpoints: z.array(z.string()).check(z.minLength(1)),
  username: z.string(),
  password: z.string(),
  tlsCa: z.optional(z.string()),
});
export type KafkaConnectAccess = z.infer<typeof KafkaConnectAccess>;

export const PluginServing = z.discriminatedUnion("mode", [
  z.strictObject({
    mode: z.literal("serve"),
    /** The tarball the workload serves (a copy the charm made of the resource). */
    path: z.string(),
    sha512: z.string().check(z.regex(/^[0-9a-f]{128}$/)),
    size: z.int().check(z.minimum(0)),
  }),
  z.strictObject({ mode: z.literal("not-required") }),
  /** Serve mode, but no usable resource: serve nothing (404) and report it. */
  z.strictObject({ mode: z.literal("missing") }),
]);
export type PluginServing = z.infer<typeof PluginServing>;

export const DesiredState = z.strictObject({
  version: z.literal(1),
  /** Increases with every write by a hook; the workload reports which generation it has applied. */
  generation: z.int().check(z.minimum(0)),
  writtenAt: z.string(),
  unit: z.string(),
  app: z.string(),
  modelUuid: z.string(),
  /** Where the charm lives (for `juju-exec … <charmDir>/dispatch`). */
  charmDir: z.string(),
  port: z.int().check(z.minimum(1), z.maximum(65535)),
  plugin: PluginServing,
  /** The hook's view; the workload additionally confirms leadership before acting (see docs). */
  leader: z.boolean(),
  /** Present on the leader once the relation is ready; absent means "do not touch Kafka Connect". */
  kafkaConnect: z.optional(KafkaConnectAccess),
  connectors: z.array(DesiredConnector),
  /** Keyed by declared name (e.g. `orders`); the reconciler also accepts the Kafka Connect name. */
  holds: z.record(z.string(), Hold),
  restartPolicy: RestartPolicy,
  reconcileIntervalMs: z.int().check(z.positive()),
  /** History handed over through peer data (a new leader, or a replaced workload): merged, newest wins. */
  history: RestartHistory,
});
export type DesiredState = z.infer<typeof DesiredState>;
