import { describe, expect, it } from "vitest";
import type { LogEvent } from "../../../lib/kafka-connect/index.js";
import { failure, mirrorConfig, sent, settled, useContract } from "./support.js";

// Workers leaving, rebalances and the retry deadline: the client's failover and 409 backoff against the
// emulator's asynchrony, every attempt counted in the cluster's request record.

const contract = useContract();

const NO_LEADER =
  "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.";
const STALE_CONFIG =
  "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)";

describe("failover", () => {
  it("with a worker down, reads and creates go to the next endpoint, which the client then sticks to", async () => {
    const cluster = await contract.cluster();
    const [w0, w1] = cluster.endpoints;
    await cluster.stopWorker(0);
    await cluster.rebalanceSettled();
    expect(cluster.leader).toBe(1);

    const warnings: LogEvent[] = [];
    const client = contract.client(cluster, { logger: (e) => e.level === "warn" && warnings.push(e) });
    expect(client.preferredEndpoint).toBe(w0);
    expect((await client.serverInfo()).version).toBe("3.9.0");
    expect(client.preferredEndpoint).toBe(w1);
    expect(warnings).toEqual([expect.objectContaining({ endpoint: w0 })]);

    // A POST fails over only because the refused connection proves nothing was sent.
    const fresh = contract.client(cluster);
    await fresh.createConnector("m", mirrorConfig());
    expect(fresh.preferredEndpoint).toBe(w1);
    expect(sent(cluster, "POST", "/connectors").map((r) => [r.worker, r.status])).toEqual([[1, 201]]);
    expect(cluster.connector("m")!.configWrites).toBe(1);
    await settled(client, "m", "RUNNING", 1);

    // Worker 0 is back, but the client keeps asking the worker that answered last.
    await cluster.startWorker(0);
    await cluster.rebalanceSettled();
    const before = cluster.requests.length;
    expect(await client.listConnectors()).toEqual(["m"]);
    await client.restartConnector("m");
    expect(client.preferredEndpoint).toBe(w1);
    const later = cluster.requests.slice(before).filter((r) => r.forwardedFrom === undefined);
    expect(later.map((r) => r.worker)).toEqual([1, 1]);
    expect(warnings).toHaveLength(1);
  });

  it("every worker down: unavailable, every endpoint tried", async () => {
    const cluster = await contract.cluster({ workers: 2 });
    await cluster.stopWorker(0);
    await cluster.stopWorker(1);
    const error = await failure(contract.client(cluster).createConnector("m", mirrorConfig()));
    expect(error).toMatchObject({ kind: "unavailable", attempts: 2, tried: cluster.endpoints });
    expect(error.message).toMatch(/^no Kafka Connect endpoint answered/);
  });

  it("the leader leaving: writes get the no-known-leader 409 until the rebalance elects another; retried", async () => {
    // Long enough that the first write lands inside the rebalance even on a loaded machine (80 ms flaked).
    const cluster = await contract.cluster({ timing: { rebalanceMs: 500 } });
    await cluster.stopWorker(0);
    expect(cluster.leader).toBeNull();
    const warnings: string[] = [];
    const client = contract.client(cluster, {
      logger: (e) => e.level === "warn" && warnings.push(e.message),
    });
    const info = await client.putConfig("m", mirrorConfig());
    expect(info.created).toBe(true);
    expect(cluster.leader).toBe(1);
    const attempts = sent(cluster, "PUT", "/connectors/m/config");
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.slice(0, -1).every((r) => r.status === 409 && r.worker === 1)).toBe(true);
    expect(attempts.at(-1)).toMatchObject({ worker: 1, status: 201 });
    expect(cluster.connector("m")!.configWrites).toBe(1);
    // One failover warning (worker 0 refused), then one retry warning per 409.
    expect(warnings.filter((w) => w.includes(NO_LEADER))).toHaveLength(attempts.length - 1);
  });
});

describe("rebalances", () => {
  it("a plain restart right after a create: no-known-leader 409s until the connector is placed; retried", async () => {
    const cluster = await contract.cluster({ timing: { assignMs: 100 } });
    const client = contract.client(cluster);
    await client.createConnector("m", mirrorConfig());
    expect(await client.restartConnector("m")).toEqual({ honoured: true });
    const attempts = sent(cluster, "POST", "/connectors/m/restart");
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.map((r) => r.status)).toEqual([...attempts.slice(0, -1).map(() => 409), 204]);
    expect(cluster.connector("m")!.restarts).toBe(1);
    await settled(client, "m", "RUNNING", 1);
  });

  it("a storm of back-to-back rebalance windows is ridden out by the 409 retries, each attempt recorded", async () => {
    const cluster = await contract.cluster();
    const warnings: string[] = [];
    const client = contract.client(cluster, {
      retry: { attempts: 10, baseDelayMs: 10, deadlineMs: 10_000 },
      logger: (e) => e.level === "warn" && warnings.push(e.message),
    });
    await client.createConnector("m", mirrorConfig());
    await settled(client, "m", "RUNNING", 1);

    // Three overlapping windows: one rebalance after another for ~150 ms.
    cluster.rebalance({ ms: 60 });
    const storm = [50, 100].map((at) => setTimeout(() => cluster.rebalance({ ms: 60 }), at));
    try {
      const result = await client.putConfig("m", mirrorConfig({ "tasks.max": "2" }));
      expect(result.created).toBe(false);
    } finally {
      for (const t of storm) clearTimeout(t);
    }
    const attempts = sent(cluster, "PUT", "/connectors/m/config");
    const refused = attempts.slice(0, -1);
    // 10, 20, 40 ms of backoff cannot outlast 150 ms of rebalancing: at least three 409s.
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(refused.every((r) => r.status === 409)).toBe(true);
    expect(attempts.at(-1)!.status).toBe(200);
    expect(warnings).toHaveLength(refused.length);
    expect(warnings.every((w) => w.includes(STALE_CONFIG))).toBe(true);
    // Only the successful attempt wrote the config.
    expect(cluster.connector("m")).toMatchObject({ configWrites: 2, config: { "tasks.max": "2" } });

    // A second storm, for a control write this time.
    cluster.rebalance({ ms: 60 });
    await client.stop("m");
    const stops = sent(cluster, "PUT", "/connectors/m/stop");
    expect(stops.length).toBeGreaterThanOrEqual(2);
    expect(stops.map((r) => r.status)).toEqual([...stops.slice(0, -1).map(() => 409), 204]);
  });

  it("reads of connector info, config and tasks during a rebalance: stale-config 409s, retried until served", async () => {
    const cluster = await contract.cluster();
    const client = contract.client(cluster);
    await client.createConnector("m", mirrorConfig());
    await settled(client, "m", "RUNNING", 1);
    // Long enough that the first attempts surely land inside it, short against the client's backoff.
    cluster.rebalance({ ms: 300 });
    const [info, config, tasks] = await Promise.all([
      client.getConnector("m"),
      client.getConfig("m"),
      client.tasks("m"),
    ]);
    expect(info.name).toBe("m");
    expect(config).toMatchObject(mirrorConfig());
    expect(tasks).toHaveLength(1);
    for (const path of ["/connectors/m", "/connectors/m/config", "/connectors/m/tasks"]) {
      const statuses = sent(cluster, "GET", path).map((r) => r.status);
      expect(statuses.length, path).toBeGreaterThanOrEqual(2);
      expect(statuses, path).toEqual([...statuses.slice(0, -1).map(() => 409), 200]);
    }
    // Status reads are served throughout a rebalance: never a 409.
    cluster.rebalance({ ms: 60 });
    await client.status("m");
    expect(sent(cluster, "GET", "/connectors/m/status").map((r) => r.status)).not.toContain(409);
  });

  it("the default 200 ms base delay outlasts a 100 ms rebalance: exactly one retry", async () => {
    const cluster = await contract.cluster({ workers: 1 });
    const client = contract.client(cluster, { retry: undefined });
    cluster.rebalance({ ms: 100 });
    await client.createConnector("m", mirrorConfig());
    expect(sent(cluster, "POST", "/connectors").map((r) => r.status)).toEqual([409, 201]);
  });

  it("a rebalance longer than the retry deadline ends with kind rebalancing and deadlineReached", async () => {
    const cluster = await contract.cluster();
    const deadlineMs = 250;
    const client = contract.client(cluster, { retry: { attempts: 100, baseDelayMs: 20, deadlineMs } });
    cluster.rebalance({ ms: 30_000 });
    const error = await failure(client.putConfig("m", mirrorConfig()));
    expect(error).toMatchObject({
      kind: "rebalancing",
      message: STALE_CONFIG,
      status: 409,
      deadlineReached: true,
    });
    expect(error.detail).toMatch(/retry deadline of 250 ms was reached/);
    // 20 + 40 + 80 ms of waits fit in 250 ms; another 160 ms cannot: at most four attempts, all recorded.
    expect(error.attempts).toBeGreaterThanOrEqual(2);
    expect(error.attempts).toBeLessThanOrEqual(4);
    // Every attempt was a 409 the cluster recorded: the call ended on its deadline, not the 30 s rebalance.
    expect(sent(cluster, "PUT", "/connectors/m/config").map((r) => r.status)).toEqual(
      Array.from({ length: error.attempts }, () => 409),
    );
    const probe = contract.client(cluster, { retry: { attempts: 1 } });
    expect(await failure(probe.putConfig("m", mirrorConfig()))).toMatchObject({ kind: "rebalancing" });
  });
});
