import { afterEach, describe, expect, it } from "vitest";
import type { DesiredState, Hold } from "../../../charm/common/desired-state.js";
import type { StatusSnapshot } from "../../../charm/common/snapshot.js";
import { MAX_TEXT_RESULT, renderTable } from "../../../charm/src/actions/format.js";
import { flattenResults } from "../../../lib/juju/tools/actions.js";
import {
  type KafkaConnectCluster,
  startKafkaConnectCluster,
} from "../../../lib/testing/kafka-connect/index.js";
import {
  APP,
  createOnCluster,
  FakeDeps,
  mirror,
  OWNER,
  output,
  requestsSince,
  runAction,
} from "./harness.js";

let cluster: KafkaConnectCluster | undefined;
let deps: FakeDeps | undefined;

afterEach(async () => {
  for (const client of deps?.clients ?? []) await client.close();
  await cluster?.close();
  cluster = undefined;
  deps = undefined;
});

async function start(version = "3.9", Deps: new (c: KafkaConnectCluster) => FakeDeps = FakeDeps) {
  cluster = await startKafkaConnectCluster({ workers: 1, version });
  deps = new Deps(cluster);
  return { cluster, deps };
}

const KC_PASSWORD = "kc-Passw0rd!";

/** The leader's desired state as the hooks write it (the workload reads it; it holds the Kafka Connect password). */
function desiredState(generation: number): DesiredState {
  return {
    version: 1,
    generation,
    writtenAt: "x",
    unit: `${APP}/0`,
    app: APP,
    modelUuid: OWNER.modelUuid,
    charmDir: "/charm",
    port: 8080,
    plugin: { mode: "not-required" },
    leader: true,
    kafkaConnect: { relation: OWNER.relation, endpoints: ["http://x"], username: "u", password: KC_PASSWORD },
    connectors: [],
    holds: {},
    restartPolicy: { enabled: true, maxRestarts: 10, backoffUnitMs: 60_000 },
    reconcileIntervalMs: 30_000,
    history: {},
  };
}

function snapshotAt(generation: number): StatusSnapshot {
  return {
    version: 1,
    writtenAt: "x",
    generation,
    acting: true,
    pluginServer: { listening: true, port: 8080, downloads: 0, bytesServed: 0 },
    connectors: [],
    deleted: [],
    history: {},
  };
}

describe("secrets in what Kafka Connect echoes", () => {
  it("a trace carrying a secret URL-encoded or JSON-escaped, or the Kafka Connect password, is masked", async () => {
    const { cluster, deps } = await start();
    const secret = 'p@ss w/rd"1';
    const orders = mirror("orders", {
      tasks: 1,
      config: { "db.password": secret },
      secretKeys: ["db.password"],
    });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];
    deps.desiredValue = desiredState(3);
    // What the hooks' secret-get registers: the declared secret and the Kafka Connect password.
    deps.secretValues = [secret, KC_PASSWORD];
    const encoded = encodeURIComponent(secret);
    const escaped = JSON.stringify(secret).slice(1, -1);
    cluster.failTask(
      orders.name,
      0,
      `java.sql.SQLException: jdbc:postgresql://db/x?password=${encoded} {"p":"${escaped}"} via ${KC_PASSWORD}\n\tat X`,
    );

    const listed = await runAction(deps, "list-connectors");
    expect(listed.actionFailure).toBeUndefined();
    const trace = output(listed).connectors.orders?.trace;
    expect(trace).toBe('java.sql.SQLException: jdbc:postgresql://db/x?password=*** {"p":"***"} via ***');

    const restarted = await runAction(deps, "restart", { connector: "orders" });
    expect(restarted.actionFailure).toBeUndefined();
    for (const text of [JSON.stringify(listed.actionResults), JSON.stringify(restarted.actionResults)]) {
      for (const form of [secret, encoded, escaped, KC_PASSWORD]) expect(text).not.toContain(form);
    }
  });
});

describe("connectors that are not ours", () => {
  it("a declaration whose Kafka name belongs to another application is never acted on, listed or compared", async () => {
    const { cluster, deps } = await start();
    // A declaration carrying another application's name (a stale or buggy desired state): the reconciler
    // refuses it; every action must too, or `pause orders` would pause their connector.
    const theirs = mirror("orders", {
      tasks: 1,
      config: { "their.key": "their-private-value" },
      owner: { ...OWNER, app: "other-app" },
    });
    await createOnCluster(cluster, theirs);
    deps.connectors = [theirs];
    const from = cluster.requests.length;

    for (const action of ["pause", "stop", "resume", "restart", "get-offsets", "reset-offsets"]) {
      const record = await runAction(deps, action, { connector: "orders" });
      expect(record.actionFailure, action).toMatch(/^orders is not a connector of this application/);
    }
    expect(requestsSince(cluster, from).filter((r) => r.path.includes(theirs.name))).toEqual([]);
    expect(deps.holdLog).toEqual([]);
    expect(cluster.connector(theirs.name)?.target).toBe("STARTED");

    const planned = await runAction(deps, "plan");
    expect(planned.actionFailure).toBeUndefined();
    expect(JSON.stringify(planned.actionResults)).not.toContain("their-private-value");
    expect(output(planned).connectors.orders).toMatchObject({ action: "refused", valid: "false" });
    expect(requestsSince(cluster, from).some((r) => r.path.endsWith("/config/validate"))).toBe(false);

    const listed = await runAction(deps, "list-connectors");
    expect(output(listed).connectors.orders).toMatchObject({ state: "UNKNOWN", declared: "true" });
    expect(output(listed)["other-connectors"]).toBe("1");
  });
});

describe("bounded results", () => {
  it("a huge cell cannot make a table longer than one argv argument", () => {
    const table = renderTable(
      ["PARTITION", "OFFSET"],
      [
        ["x".repeat(200_000), "1"],
        ["p", "2"],
      ],
    );
    expect(table.length).toBeLessThanOrEqual(MAX_TEXT_RESULT);
    expect(table.split("\n")[0]!.length).toBeLessThan(2000);
  });

  it("a table of more rows than a spread can take is rendered, not a stack overflow", () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [String(i), "1"]);
    const table = renderTable(["PARTITION", "OFFSET"], rows);
    expect(table.length).toBeLessThanOrEqual(MAX_TEXT_RESULT);
    expect(table).toMatch(/… \d+ more \(see the structured results\)$/);
  });

  it("list-connectors and plan keep their structured results within the budget and say how many were left out", async () => {
    const { cluster, deps } = await start();
    // Names with our suffix, made by anyone who can write to the cluster: many rows of ours, undeclared.
    for (let i = 0; i < 12; i++) await createOnCluster(cluster, mirror(`leftover-${i}`, { tasks: 1 }));
    deps.limits = { ...deps.limits, resultBytes: 2000 };

    for (const action of ["list-connectors", "plan"]) {
      const record = await runAction(deps, action);
      expect(record.actionFailure, action).toBeUndefined();
      const results = record.actionResults as Record<string, unknown>;
      const structured = flattenResults({ connectors: results.connectors });
      expect(structured.join("\n").length, action).toBeLessThanOrEqual(2000);
      const kept = Object.keys(results.connectors as object).length;
      expect(kept, action).toBeGreaterThan(0);
      expect(Number(results["connectors-left-out"]), action).toBe(12 - kept);
    }
  });
});

/** A workload that reads a new desired state only after a few of its cycles: as slow as a real one can be. */
class SlowWorkload extends FakeDeps {
  /** Snapshot reads until the workload reports the generation holding the hold (Infinity: never). */
  ackAfter = 3;
  reads: { generation: number; controlSent: boolean }[] = [];
  override desiredValue = desiredState(7);
  override async setHold(hook: Parameters<FakeDeps["setHold"]>[0], declared: string, hold: Hold | null) {
    await super.setHold(hook, declared, hold);
    this.desiredValue = { ...this.desiredValue, generation: this.desiredValue.generation + 1 };
  }
  override async snapshot() {
    const acked = this.reads.length + 1 >= this.ackAfter;
    const generation = acked ? this.desiredValue.generation : 7;
    this.reads.push({
      generation,
      controlSent: (cluster?.requests ?? []).some((r) => /\/(pause|stop|resume)$/.test(r.path)),
    });
    return snapshotAt(generation);
  }
}

describe("holds and the reconcile loop", () => {
  it("pause sends nothing until the workload has read the hold, so a cycle in flight cannot undo it", async () => {
    const { cluster, deps } = await start("3.9", SlowWorkload);
    const orders = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];

    const record = await runAction(deps, "pause", { connector: "orders" });

    expect(record.actionFailure).toBeUndefined();
    const reads = (deps as SlowWorkload).reads;
    const ack = reads.findIndex((r) => r.generation === 8);
    expect(ack).toBe(2);
    expect(reads.slice(0, ack + 1).every((r) => !r.controlSent)).toBe(true);
    expect(cluster.connector(orders.name)?.target).toBe("PAUSED");
  });

  it("a workload that never reads it delays the pause by a bounded number of reads, and the result says so", async () => {
    const { cluster, deps } = await start("3.9", SlowWorkload);
    (deps as SlowWorkload).ackAfter = Number.POSITIVE_INFINITY;
    deps.limits = { pollIntervalMs: 1, pollTimeoutMs: 20, deadlineMs: 20_000 };
    const orders = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];

    const record = await runAction(deps, "pause", { connector: "orders" });

    expect(record.actionFailure).toBeUndefined();
    expect((deps as SlowWorkload).reads).toHaveLength(20);
    expect(output(record).message).toMatch(/the workload has not read the hold yet/);
    expect(cluster.connector(orders.name)?.target).toBe("PAUSED");
  });
});

describe("plan says what the reconcile loop will do", () => {
  it("a FAILED connector declared running is shown as the restart the loop makes", async () => {
    const { cluster, deps } = await start();
    const orders = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, orders);
    cluster.failConnector(orders.name, "java.lang.RuntimeException: boom");
    deps.connectors = [orders];
    const record = await runAction(deps, "plan");
    expect(record.actionFailure).toBeUndefined();
    expect(output(record).connectors.orders).toMatchObject({ action: "restart", state: "FAILED" });
  });

  it("stopped on a worker older than 3.5 is shown as the pause the loop sends instead, with why", async () => {
    const { cluster, deps } = await start("3.4");
    const orders = mirror("orders", { tasks: 1, state: "stopped" });
    await createOnCluster(cluster, mirror("orders", { tasks: 1 }));
    deps.connectors = [orders];
    const record = await runAction(deps, "plan");
    expect(record.actionFailure).toBeUndefined();
    expect(output(record).connectors.orders).toMatchObject({ action: "pause" });
    expect(output(record).connectors.orders?.note).toMatch(/stopped needs Kafka Connect 3\.5 or later/);
  });

  it("a hold recorded under the Kafka name is honoured, as the loop honours it", async () => {
    const { cluster, deps } = await start();
    const orders = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];
    deps.holdsMap = {
      [orders.name]: { state: "paused", declarationHash: orders.declarationHash, since: "x" },
    };
    const record = await runAction(deps, "plan");
    expect(output(record).connectors.orders).toMatchObject({ action: "pause", held: "paused" });
  });
});
