import { afterEach, describe, expect, it } from "vitest";
import {
  type KafkaConnectCluster,
  startKafkaConnectCluster,
} from "../../../lib/testing/kafka-connect/index.js";
import { createOnCluster, FakeDeps, mirror, output, runAction } from "./harness.js";

let cluster: KafkaConnectCluster | undefined;
let deps: FakeDeps | undefined;

afterEach(async () => {
  for (const client of deps?.clients ?? []) await client.close();
  await cluster?.close();
});

async function start(
  version: string,
  auth?: { users: Record<string, string> },
  timing?: { settleMs: number },
) {
  cluster = await startKafkaConnectCluster({
    workers: 1,
    version,
    ...(auth ? { auth } : {}),
    ...(timing ? { timing } : {}),
  });
  deps = new FakeDeps(cluster);
  return { cluster, deps };
}

describe("actions on older workers and refusals", () => {
  it("restart include-tasks on a pre-3.0 worker restarts the failed tasks one by one", async () => {
    const { cluster, deps } = await start("2.8");
    const orders = mirror("orders", { tasks: 3 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];
    cluster.failTask(orders.name, 2, "java.io.IOException: broken pipe");

    const record = await runAction(deps, "restart", {
      connector: "orders",
      "include-tasks": true,
      "only-failed": true,
    });

    expect(record.actionFailure).toBeUndefined();
    expect(output(record).restarted).toBe(
      "the connector and task(s) 2 (one by one: this worker predates Kafka 3.0)",
    );
    expect(cluster.connector(orders.name)?.taskRestarts).toEqual({ 0: 0, 1: 0, 2: 1 });
    expect(output(record).state).toBe("RUNNING");
    expect(output(record).tasks).toBe("3/3");
  });

  it("stop on a worker older than 3.5 is one line naming the version it needs; the hold is kept", async () => {
    const { cluster, deps } = await start("3.4");
    const orders = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];
    const record = await runAction(deps, "stop", { connector: "orders" });
    expect(record.actionFailure).toMatch(
      /^this Kafka Connect is too old: PUT \/connectors\/\{c\}\/stop needs Kafka Connect 3\.5 or later; this worker is older \(the hold is recorded: the charm stops orders once Kafka Connect answers; run resume to cancel\)$/,
    );
  });

  it("a 401 is one line that names rotation, never the credentials", async () => {
    const { cluster, deps } = await start("3.9", { users: { admin: "right-password" } });
    deps.connectors = [mirror("orders")];
    const record = await runAction(deps, "list-connectors");
    expect(record.actionFailure).toBe(
      "Kafka Connect refused the credentials (401): if they were just rotated, its workers may still be restarting; try again shortly",
    );
    expect(cluster.requests.every((r) => r.status === 401)).toBe(true);
  });

  it("an unreachable cluster is one line", async () => {
    const { cluster, deps } = await start("3.9");
    deps.connectors = [mirror("orders")];
    await cluster.stopWorker(0);
    const record = await runAction(deps, "get-offsets", { connector: "orders" });
    expect(record.actionFailure).toMatch(/^Kafka Connect is unreachable \(1 endpoint\(s\) tried\): /);
    expect(record.actionFailure).not.toContain("\n");
  });

  it("a state change that does not settle in time is reported as it stands after a bounded number of polls", async () => {
    const { cluster, deps } = await start("3.9", undefined, { settleMs: 60_000 });
    const orders = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];
    deps.limits = { pollIntervalMs: 10, pollTimeoutMs: 50, deadlineMs: 20_000 };
    const from = cluster.requests.length;
    const record = await runAction(deps, "pause", { connector: "orders" });
    expect(record.actionFailure).toBeUndefined();
    expect(output(record).message).toBe(
      "orders: RUNNING (1/1 tasks running) (still changing); held paused until resume or a change of its declaration",
    );
    const polls = cluster.requests.slice(from).filter((r) => r.path.endsWith("/status"));
    expect(polls).toHaveLength(5);
  });
});
