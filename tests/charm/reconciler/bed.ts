/**
 * The test bed for the reconciler against the Kafka Connect emulator: a cluster whose plugin path holds one
 * source plugin, clients with quick retries, a fake clock for the reconciler, and helpers to run cycles the
 * way the workload's loop does (history carried from one cycle to the next). Everything opened is closed after
 * each test.
 */

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { DesiredState, RestartHistory } from "../../../charm/common/desired-state.js";
import type { ReconcileResult } from "../../../charm/common/reconcile-api.js";
import { reconcile } from "../../../charm/workload/reconciler/index.js";
import { KafkaConnectClient, type KafkaConnectClientOptions } from "../../../lib/kafka-connect/index.js";
import {
  type KafkaConnectCluster,
  type KafkaConnectClusterOptions,
  type KafkaConnectRequestRecord,
  PLUGIN_MANIFEST_FILE,
  type PluginManifest,
  startKafkaConnectCluster,
} from "../../../lib/testing/index.js";
import { SOURCE_CLASS } from "./fixtures.js";

export const T0 = 1_700_000_000_000;

const MANIFEST: PluginManifest = {
  plugins: [
    {
      class: SOURCE_CLASS,
      type: "source",
      version: "1.0.0",
      maxTasks: 4,
      config: [
        {
          name: "batch.size",
          type: "int",
          required: false,
          default: "100",
          documentation: "Records per batch",
          importance: "LOW",
          group: "Test",
          displayName: "Batch size",
        },
      ],
    },
  ],
};

export interface Bed {
  cluster(opts?: KafkaConnectClusterOptions): Promise<KafkaConnectCluster>;
  client(cluster: KafkaConnectCluster, options?: Partial<KafkaConnectClientOptions>): KafkaConnectClient;
}

export function useBed(): Bed {
  let pluginPath = "";
  const clusters: KafkaConnectCluster[] = [];
  const clients: KafkaConnectClient[] = [];
  beforeAll(async () => {
    pluginPath = await mkdtemp(join(tmpdir(), "kci-reconciler-plugins-"));
    await mkdir(join(pluginPath, "test-source"));
    await writeFile(join(pluginPath, "test-source", PLUGIN_MANIFEST_FILE), JSON.stringify(MANIFEST));
  });
  afterAll(async () => {
    if (pluginPath) await rm(pluginPath, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(clusters.splice(0).map((c) => c.close()));
  });
  return {
    async cluster(opts = {}) {
      const cluster = await startKafkaConnectCluster({
        workers: 3,
        pluginPath,
        timing: { assignMs: 5, startMs: 5, restartMs: 5, settleMs: 5, rebalanceMs: 30, ...opts.timing },
        ...opts,
      });
      clusters.push(cluster);
      return cluster;
    },
    client(cluster, options = {}) {
      const client = new KafkaConnectClient({
        endpoints: [...cluster.endpoints],
        timeoutMs: 3_000,
        retry: { attempts: 10, baseDelayMs: 10, deadlineMs: 5_000 },
        ...(cluster.caPem ? { tlsCa: cluster.caPem } : {}),
        ...options,
      });
      clients.push(client);
      return client;
    },
  };
}

/** Runs cycles as the loop does: the history one cycle returns is the next one's input; the clock is ours. */
export class Driver {
  now = T0;
  history: RestartHistory = {};
  mayAct: () => boolean | Promise<boolean> = () => true;

  constructor(
    public client: KafkaConnectClient,
    public desired: DesiredState,
  ) {}

  async cycle(): Promise<ReconcileResult> {
    const result = await reconcile({
      desired: this.desired,
      client: this.client,
      history: this.history,
      now: () => this.now,
      mayAct: () => this.mayAct(),
    });
    this.history = result.history;
    return result;
  }

  /**
   * Cycles (letting the cluster settle between them) until one finds everything as declared and makes only
   * its one listing request; fails after 40.
   */
  async converge(cluster: KafkaConnectCluster): Promise<ReconcileResult> {
    const want = { running: "RUNNING", paused: "PAUSED", stopped: "STOPPED" } as const;
    let last: ReconcileResult | undefined;
    for (let i = 0; i < 40; i++) {
      await cluster.idle();
      last = await this.cycle();
      const settled = last.observations.every(
        (o) =>
          o.state === want[o.desired] &&
          o.tasks.every((t) => t.state === want[o.desired]) &&
          (o.desired !== "running" || o.tasks.length > 0),
      );
      if (settled && last.requests === 1 && last.errors.length === 0) return last;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`not converged after 40 cycles; last: ${JSON.stringify(last)}`);
  }
}

/** Requests a client sent (forwarded hops left out), optionally only since `from`. */
export function sentBy(cluster: KafkaConnectCluster, from = 0): KafkaConnectRequestRecord[] {
  return cluster.requests.slice(from).filter((r) => r.forwardedFrom === undefined);
}

export const describeRequest = (r: KafkaConnectRequestRecord) =>
  `${r.method} ${decodeURIComponent(r.path)}${r.query ? `?${r.query}` : ""}`;
