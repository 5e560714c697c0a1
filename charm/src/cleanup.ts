import type { KafkaConnectAccess } from "../common/desired-state.js";
import { declaredNameOf, type Owner } from "../common/names.js";
import { oneLine } from "./text.js";

/**
 * connect-client relation-broken, on the leader: delete OUR connectors (names parsed back with names.ts; never
 * another application's) with the access the workload last had (the relation's secrets may be gone already),
 * bounded in time. The REST client is imported here, dynamically, so no other hook loads it.
 */

export const CLEANUP_DEADLINE_MS = 20_000;

/** What the cleanup needs of the REST client (KafkaConnectClient has it). */
export interface CleanupClient {
  listConnectors(options: { signal: AbortSignal }): Promise<string[]>;
  deleteConnector(name: string, options: { signal: AbortSignal }): Promise<void>;
  close(): Promise<void>;
}
export type CleanupClientFactory = (
  access: KafkaConnectAccess,
  signal: AbortSignal,
) => Promise<CleanupClient>;

export const restCleanupClient: CleanupClientFactory = async (access, signal) => {
  const { KafkaConnectClient } = await import("../../lib/kafka-connect/client.js");
  const client: CleanupClient = new KafkaConnectClient({
    endpoints: access.endpoints,
    auth: { username: access.username, password: access.password },
    ...(access.tlsCa ? { tlsCa: access.tlsCa } : {}),
    timeoutMs: 5_000,
    retry: { deadlineMs: 10_000 },
    signal,
  });
  return client;
};

export interface CleanupReport {
  readonly deleted: readonly string[];
  readonly failed: readonly { readonly name: string; readonly message: string }[];
  /** Set when the listing itself failed (nothing could be deleted). */
  readonly error?: string;
}

export async function deleteOurConnectors(
  access: KafkaConnectAccess,
  owner: Owner,
  makeClient: CleanupClientFactory = restCleanupClient,
  deadlineMs = CLEANUP_DEADLINE_MS,
): Promise<CleanupReport> {
  const signal = AbortSignal.timeout(deadlineMs);
  let client: CleanupClient | undefined;
  try {
    client = await makeClient(access, signal);
    const names = await client.listConnectors({ signal });
    const ours = names.filter((n) => declaredNameOf(n, owner) !== undefined);
    const deleted: string[] = [];
    const failed: { name: string; message: string }[] = [];
    for (const name of ours) {
      try {
        await client.deleteConnector(name, { signal });
        deleted.push(name);
      } catch (err) {
        // Already gone (someone else's cleanup, e.g. Canonical's provider on relation-departed) is fine.
        if ((err as { kind?: string }).kind === "not-found") deleted.push(name);
        else failed.push({ name, message: errorLine(err) });
      }
    }
    return { deleted, failed };
  } catch (err) {
    return { deleted: [], failed: [], error: errorLine(err) };
  } finally {
    await client?.close().catch(() => undefined);
  }
}

function errorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return oneLine(text.split("\n")[0]!, 160);
}

/** One line for status and the log. */
export function describeCleanup(report: CleanupReport): string {
  if (report.error) return `could not delete our connectors: ${report.error}`;
  const n = report.deleted.length;
  const done = `deleted ${n} connector${n === 1 ? "" : "s"}`;
  if (!report.failed.length) return done;
  return `${done}; ${report.failed.length} could not be deleted (${report.failed[0]!.name}: ${report.failed[0]!.message})`;
}
