import { z } from "zod";

/**
 * What a hook hands the workload: written by the charm (atomically, 0600: it holds credentials) on every hook
 * where it changed, read by the workload service on change and every cycle. The one source of truth for its
 * shape; the TypeScript types are inferred from it.
 */

export const CONNECTOR_STATES = ["running", "paused", "stopped"] as const;
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
  count: z.number().int().nonnegative(),
  /** Epoch ms of the last restart we made. */
  lastRestartAt: z.number().optional(),
  /** Epoch ms since when the connector and all its tasks have been healthy (resets `count` after a while). */
  healthySince: z.number().optional(),
  /** True once `count` reached the policy's max: restarts stop until healthy or redeclared. */
  gaveUp: z.boolean().default(false),
  /** Total restarts ever made (for the metric; never reset). */
  total: z.number().int().nonnegative().default(0),
});
export type RestartRecord = z.infer<typeof RestartRecord>;
export const RestartHistory = z.record(z.string(), RestartRecord);
export type RestartHistory = z.infer<typeof RestartHistory>;

export const RestartPolicy = z.strictObject({
  enabled: z.boolean(),
  /** 0 means no limit. */
  maxRestarts: z.number().int().nonnegative(),
  /** Backoff before restart n (from 0) is min(n² + n, 60) × unit. */
  backoffUnitMs: z.number().int().positive(),
});
export type RestartPolicy = z.infer<typeof RestartPolicy>;

export const KafkaConnectAccess = z.strictObject({
  /** Our relation number, for names and reports. */
  relation: z.number().int().nonnegative(),
  endpoints: z.array(z.string()).min(1),
  username: z.string(),
  password: z.string(),
  tlsCa: z.string().optional(),
});
export type KafkaConnectAccess = z.infer<typeof KafkaConnectAccess>;

export const PluginServing = z.discriminatedUnion("mode", [
  z.strictObject({
    mode: z.literal("serve"),
    /** The tarball the workload serves (a copy the charm made of the resource). */
    path: z.string(),
    sha512: z.string().regex(/^[0-9a-f]{128}$/),
    size: z.number().int().nonnegative(),
  }),
  z.strictObject({ mode: z.literal("not-required") }),
  /** Serve mode, but no usable resource: serve nothing (404) and report it. */
  z.strictObject({ mode: z.literal("missing") }),
]);
export type PluginServing = z.infer<typeof PluginServing>;

export const DesiredState = z.strictObject({
  version: z.literal(1),
  /** Increases with every write by a hook; the workload reports which generation it has applied. */
  generation: z.number().int().nonnegative(),
  writtenAt: z.string(),
  unit: z.string(),
  app: z.string(),
  modelUuid: z.string(),
  /** Where the charm lives (for `juju-exec … <charmDir>/dispatch`). */
  charmDir: z.string(),
  port: z.number().int().min(1).max(65535),
  plugin: PluginServing,
  /** The hook's view; the workload additionally confirms leadership before acting (see docs). */
  leader: z.boolean(),
  /** Present on the leader once the relation is ready; absent means "do not touch Kafka Connect". */
  kafkaConnect: KafkaConnectAccess.optional(),
  connectors: z.array(DesiredConnector),
  holds: z.record(z.string(), Hold),
  restartPolicy: RestartPolicy,
  reconcileIntervalMs: z.number().int().positive(),
  /** History handed over through peer data (a new leader, or a replaced workload): merged, newest wins. */
  history: RestartHistory,
});
export type DesiredState = z.infer<typeof DesiredState>;
