import type { Hook } from "../../../lib/juju/index.js";
import type { KafkaConnectClient } from "../../../lib/kafka-connect/index.js";
import type { DesiredConnector, DesiredState, Hold } from "../../common/desired-state.js";
import type { Owner } from "../../common/names.js";
import type { StatusSnapshot } from "../../common/snapshot.js";

/**
 * What the actions need from the rest of the charm. The hooks side (charm/src) implements it; tests pass a fake
 * whose client talks to the Kafka Connect emulator. The actions never read Juju data for these themselves, so
 * one parse of the `connectors` option and one way to reach Kafka Connect serve hooks and actions alike.
 */
export interface ActionDeps {
  /**
   * A REST client for the connect-client relation (lib/connect-client's Requirer `connection()` +
   * `restClientOptions`) and our owner (app, relation number, model uuid) for connector names; or one line
   * saying why there is none (`waiting for Kafka Connect credentials`, …), fit for an action failure. The action
   * owns the client and closes it when done.
   */
  connection(hook: Hook): Promise<ConnectionResult>;

  /**
   * The declared connectors, parsed and with secret references resolved, exactly as the desired state holds
   * them (`name` is the name on Kafka Connect); or one line naming what is wrong with the `connectors` option.
   * Resolved secret values must be registered with the hook's redactor (`hook.secrets.get` does that).
   */
  declared(hook: Hook): Promise<DeclaredResult>;

  /** The workload's last status snapshot (`status.json`), if it wrote one. */
  snapshot(): Promise<StatusSnapshot | undefined>;

  /** The desired state the hooks last wrote (`desired.json`), if any: plugin mode, size and sha512, port. */
  desired(): Promise<DesiredState | undefined>;

  /**
   * The plugin URL this unit publishes or would publish (`http://<address>:<port>/api/v1/plugin#sha512=…`), or
   * undefined when there is none (not-required, resource missing, no address yet).
   */
  pluginUrl(hook: Hook): Promise<string | undefined>;

  /** The holds in force, by declared name (the peer app databag's `holds`). Any unit may read them. */
  holds(hook: Hook): Promise<Readonly<Record<string, Hold>>>;

  /**
   * Records (or, with null, clears) the hold of a declared connector. Called on the leader only, BEFORE the
   * pause/stop request is sent, and it must reach the workload before it resolves: the peer databag commits
   * only when the action ends, so the implementation also rewrites `desired.json`'s `holds` at once, or the
   * reconcile loop could undo the pause in between.
   */
  setHold(hook: Hook, declared: string, hold: Hold | null): Promise<void>;

  /** Clock and waits; tests pass their own. Defaults: Date.now, setTimeout. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly limits?: Partial<ActionLimits>;
}

export type ConnectionResult =
  | { readonly client: KafkaConnectClient; readonly owner: Owner }
  | { readonly reason: string };

export type DeclaredResult =
  | { readonly connectors: readonly DesiredConnector[] }
  | { readonly problem: string };

export interface ActionLimits {
  /** Every Kafka Connect call of one action ends by then (the client's own per-attempt timeout still applies). */
  readonly deadlineMs: number;
  /** After a state change, status is polled this often … */
  readonly pollIntervalMs: number;
  /** … for at most this long; the action then reports the state it saw last. */
  readonly pollTimeoutMs: number;
  /**
   * The structured per-connector results, as `key=value` argv characters: Linux takes about 2 MiB of argv and
   * environment in all, and anyone who can write to the cluster can create names with our suffix.
   */
  readonly resultBytes: number;
}

export const DEFAULT_LIMITS: ActionLimits = {
  deadlineMs: 60_000,
  pollIntervalMs: 250,
  pollTimeoutMs: 10_000,
  resultBytes: 1024 * 1024,
};
