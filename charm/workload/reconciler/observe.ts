import {
  type CallOptions,
  type ConnectorStateInfo,
  type ExpandedConnectors,
  isKafkaConnectError,
  type KafkaConnectClient,
} from "../../../lib/kafka-connect/index.js";
import { declaredNameOf, type Owner } from "../../common/names.js";
import { firstLine } from "./report.js";

/**
 * What Kafka Connect holds of ours, in ONE request: `GET /connectors?expand=info&expand=status` carries every
 * connector's stored config and status (Strimzi reads config and status per connector; autoconnector every 5 s
 * per connector). Only names `declaredNameOf` recognises for this owner are kept: another application's
 * connectors on the same cluster are never looked at again, let alone touched.
 */

export interface ObservedConnector {
  /** The name on Kafka Connect. */
  readonly name: string;
  readonly declared: string;
  /** The config as Kafka stores it (absent if the worker left it out of the answer). */
  readonly config?: Readonly<Record<string, string>>;
  /** Absent while the worker has no status for it (just created, not yet placed). */
  readonly status?: ConnectorStateInfo;
  /**
   * Set when its config or status could not be read (its answer was over the client's response cap): it
   * exists, but nothing about it is known, so nothing is decided for it this cycle. The message is the
   * client's, unmasked: the planner masks it.
   */
  readonly unreadable?: { readonly kind: string; readonly message: string };
}

/** Counts the REST calls a cycle makes (one per client call; the client's own retries are its business). */
export interface RequestCounter {
  requests: number;
}

/** Our connectors on Kafka Connect, by name. Throws the client's KafkaConnectError when it cannot list them. */
export async function observeOwn(
  client: KafkaConnectClient,
  owner: Owner,
  counter: RequestCounter,
  call: CallOptions = {},
): Promise<Map<string, ObservedConnector>> {
  if (tooLarge.has(client)) return observeOneByOne(client, owner, counter, call);
  counter.requests += 1;
  let listing: ExpandedConnectors;
  try {
    listing = await client.listConnectors({ ...call, expand: ["info", "status"] });
  } catch (error) {
    if (!isKafkaConnectError(error, "response-too-large")) throw error;
    tooLarge.add(client);
    return observeOneByOne(client, owner, counter, call);
  }
  const own = new Map<string, ObservedConnector>();
  for (const [name, entry] of Object.entries(listing)) {
    const declared = declaredNameOf(name, owner);
    if (declared === undefined) continue;
    own.set(name, {
      name,
      declared,
      ...(entry.info ? { config: entry.info.config } : {}),
      ...(entry.status ? { status: entry.status } : {}),
    });
  }
  return own;
}

/**
 * Clients whose cluster's expanded listing is over the client's response cap (tens of thousands of
 * connectors, or a few with huge traces): without a fallback, every cycle would fail and ours would never be
 * reconciled again. Remembered per client, so the oversized listing is not downloaded again each cycle.
 */
const tooLarge = new WeakSet<KafkaConnectClient>();

/**
 * The names (`GET /connectors`, ~60 bytes each), then the config and status of each of ours: 1 + 2 × ours
 * requests instead of 1. One gone meanwhile is left out, as the listing leaves it out; one without a status
 * yet is kept without one. One whose config or status is itself over the cap (a trace of megabytes) is kept as
 * `unreadable`: thrown, it would fail every cycle, for every connector, for as long as that trace lasts.
 */
async function observeOneByOne(
  client: KafkaConnectClient,
  owner: Owner,
  counter: RequestCounter,
  call: CallOptions,
): Promise<Map<string, ObservedConnector>> {
  counter.requests += 1;
  const names = await client.listConnectors(call);
  const own = new Map<string, ObservedConnector>();
  for (const name of names) {
    const declared = declaredNameOf(name, owner);
    if (declared === undefined) continue;
    try {
      counter.requests += 1;
      const { config } = await client.getConnector(name, call);
      counter.requests += 1;
      const status = await client.status(name, call).catch((error: unknown) => {
        if (isKafkaConnectError(error, "not-found") && error.variant === "no-connector-status")
          return undefined;
        throw error;
      });
      own.set(name, { name, declared, config, ...(status ? { status } : {}) });
    } catch (error) {
      if (isKafkaConnectError(error, "response-too-large")) {
        own.set(name, { name, declared, unreadable: { kind: error.kind, message: error.message } });
      } else if (!isKafkaConnectError(error, "not-found")) throw error;
    }
  }
  return own;
}

/** Longer than any Kafka version string ("3.9.0", "7.6.1-ccs", "3.8.0-SNAPSHOT"). */
export const MAX_VERSION_CHARS = 64;

/** Worker versions by client: `GET /` once per client (a new client, e.g. after rotation, reads it again). */
const versions = new WeakMap<KafkaConnectClient, string>();

/** The worker's version (`GET /`), read once per client; throws the client's error when it cannot be read. */
export async function workerVersion(
  client: KafkaConnectClient,
  counter: RequestCounter,
  call: CallOptions = {},
): Promise<string> {
  const known = versions.get(client);
  if (known !== undefined) return known;
  counter.requests += 1;
  const { version } = await client.serverInfo(call);
  // The worker's own text, kept for reports and the snapshot: one short line (real ones are like "3.9.0").
  const bounded = firstLine(version).slice(0, MAX_VERSION_CHARS);
  versions.set(client, bounded);
  return bounded;
}
