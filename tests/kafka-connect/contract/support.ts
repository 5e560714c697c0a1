/**
 * Contract tests: the REST client (lib/kafka-connect) against the Kafka Connect emulator
 * (lib/testing/kafka-connect), both written from Kafka's sources independently. Every cluster and client a
 * test opens is closed after it; timings are small so the whole suite stays quick.
 */

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";

/** The KafkaConnectError a call rejects with (shared with the msw tests). */
export { failure } from "../support/msw-client.js";

import {
  KafkaConnectClient,
  type KafkaConnectClientOptions,
  KafkaConnectError,
} from "../../../lib/kafka-connect/index.js";
import type { ConnectorState, ConnectorStateInfo } from "../../../lib/kafka-connect/types.js";
import {
  type KafkaConnectCluster,
  type KafkaConnectClusterOptions,
  type KafkaConnectRequestRecord,
  type KafkaConnectTiming,
  PLUGIN_MANIFEST_FILE,
  type PluginManifest,
  startKafkaConnectCluster,
} from "../../../lib/testing/index.js";
import { eventually } from "../../support/eventually.js";

/** Every transition on a timer, in tens of milliseconds. */
export const TIMING: KafkaConnectTiming = {
  assignMs: 15,
  startMs: 15,
  restartMs: 15,
  settleMs: 15,
  rebalanceMs: 40,
};

/** Backoff for tests not about the 200 ms default: 10, 20, 40, … ms. */
export const QUICK_RETRY = { attempts: 8, baseDelayMs: 10, deadlineMs: 5_000 } as const;

export interface Contract {
  /** A cluster with the small timings (overridable), closed after the test. */
  cluster(opts?: KafkaConnectClusterOptions): Promise<KafkaConnectCluster>;
  /** A client on the cluster's endpoints (or the ones given), quick retries, closed after the test. */
  client(
    target: KafkaConnectCluster | readonly string[],
    options?: Partial<KafkaConnectClientOptions>,
  ): KafkaConnectClient;
}

/** Clients are closed before their clusters, both after each test of the file that calls this. */
export function useContract(): Contract {
  const clusters: KafkaConnectCluster[] = [];
  const clients: KafkaConnectClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(clusters.splice(0).map((c) => c.close()));
  });
  return {
    async cluster(opts = {}) {
      const cluster = await startKafkaConnectCluster({ ...opts, timing: { ...TIMING, ...opts.timing } });
      clusters.push(cluster);
      return cluster;
    },
    client(target, options = {}) {
      const endpoints = "endpoints" in target ? target.endpoints : target;
      const tlsCa = "caPem" in target && target.caPem !== undefined ? { tlsCa: target.caPem } : {};
      const client = new KafkaConnectClient({
        endpoints: [...endpoints],
        timeoutMs: 3_000,
        retry: QUICK_RETRY,
        ...tlsCa,
        ...options,
      });
      clients.push(client);
      return client;
    },
  };
}

export { eventually };

/**
 * Polls `client.status(name)` (the transient `No status found` 404 after a create included) until the
 * connector is in `state` with `tasks` tasks all in `state` too.
 */
export async function settled(
  client: KafkaConnectClient,
  name: string,
  state: ConnectorState,
  tasks: number,
): Promise<ConnectorStateInfo> {
  const read = () =>
    client.status(name).catch((e: unknown) => {
      if (e instanceof KafkaConnectError && e.variant === "no-connector-status") return undefined;
      throw e;
    });
  const status = await eventually(
    read,
    (s) =>
      s !== undefined &&
      s.connector.state === state &&
      s.tasks.length === tasks &&
      s.tasks.every((t) => t.state === state),
  );
  return status!;
}

/** The requests a client sent (forwarded hops left out) for a method and path. */
export function sent(
  cluster: KafkaConnectCluster,
  method: string,
  path: string,
): KafkaConnectRequestRecord[] {
  return cluster.requests.filter(
    (r) => r.forwardedFrom === undefined && r.method === method && r.path === path,
  );
}

export const MIRROR_SOURCE = "org.apache.kafka.connect.mirror.MirrorSourceConnector";

/** A built-in source connector's config (MirrorSourceConnector needs `source.cluster.alias`). */
export const mirrorConfig = (extra: Record<string, string> = {}): Record<string, string> => ({
  "connector.class": MIRROR_SOURCE,
  "source.cluster.alias": "src",
  ...extra,
});

export const SINK_CLASS = "com.example.contract.FileSinkConnector";

/** A sink plugin for the emulator's plugin path: `file` is required, at most 2 tasks. */
export const SINK_MANIFEST: PluginManifest = {
  plugins: [
    {
      class: SINK_CLASS,
      type: "sink",
      version: "1.4.2",
      maxTasks: 2,
      config: [
        {
          name: "file",
          type: "string",
          required: true,
          documentation: "Destination file",
          importance: "HIGH",
          group: "File",
          displayName: "File",
        },
      ],
    },
  ],
};

export const sinkConfig = (extra: Record<string, string> = {}): Record<string, string> => ({
  "connector.class": SINK_CLASS,
  topics: "orders",
  file: "/tmp/orders.txt",
  ...extra,
});

/** A plugin path holding the sink's manifest, made before the file's tests and removed after them. */
export function useSinkPluginPath(): () => string {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "kc-contract-plugins-"));
    await mkdir(join(dir, "file-sink"));
    await writeFile(join(dir, "file-sink", PLUGIN_MANIFEST_FILE), JSON.stringify(SINK_MANIFEST));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}
