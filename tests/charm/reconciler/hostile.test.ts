/**
 * The reconciler against a cluster that misbehaves mid-cycle and a desired state it must not trust blindly:
 * connectors deleted between the listing and the action, leadership checks that fail, 409 storms that
 * outlast the client's retries, desired names that are not ours. On the Kafka Connect emulator, fake clock.
 */

import { describe, expect, it } from "vitest";
import type { DesiredConnector } from "../../../charm/common/desired-state.js";
import { declaredNameOf, ownerSuffix, uuidHex } from "../../../charm/common/names.js";
import { eventually } from "../../support/eventually.js";
import { Driver, sentBy, useBed } from "./bed.js";
import { declare, desiredState, MODEL_UUID, OWNER, SOURCE_CLASS } from "./fixtures.js";

const bed = useBed();

async function setUp(connectors: DesiredConnector[], opts: Parameters<typeof bed.cluster>[0] = {}) {
  const cluster = await bed.cluster(opts);
  const client = bed.client(cluster);
  const driver = new Driver(client, desiredState(connectors, { endpoints: cluster.endpoints }));
  return { cluster, client, driver };
}

const REBALANCE_409 =
  "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)";

describe("names it does not own", () => {
  it("sends nothing for a declared connector whose name declaredNameOf does not recognise", async () => {
    const good = declare("good");
    const hex = uuidHex(MODEL_UUID);
    const foreignName = `orders_other-app_r${OWNER.relation}_${hex}`;
    const bad: DesiredConnector[] = [
      { ...declare("orders"), name: foreignName }, // another application's connector
      declare("stale", { owner: { ...OWNER, relation: OWNER.relation + 1 } }), // built for another relation
      { ...declare("x"), declared: "a/b", name: `a/b${ownerSuffix(OWNER)}` }, // not a declared name
      { ...declare("y"), name: `Y${ownerSuffix(OWNER).toUpperCase()}` }, // upper-case hex
    ];
    const { cluster, client, driver } = await setUp([
      good,
      ...bad,
      { ...good, config: { ...good.config, x: "1" } },
    ]);
    await client.createConnector(foreignName, { "connector.class": SOURCE_CLASS, "batch.size": "1" });
    await cluster.idle();
    const mark = cluster.requests.length;

    let result = await driver.cycle();
    for (let i = 0; i < 3; i++) {
      await cluster.idle();
      result = await driver.cycle();
    }
    const writes = sentBy(cluster, mark).filter((r) => r.method !== "GET");
    expect(writes.map((r) => `${r.method} ${decodeURIComponent(r.path)}`)).toEqual(["POST /connectors"]);
    expect(cluster.connector(good.name)?.config).toEqual(good.config);
    expect(cluster.connector(foreignName)).toMatchObject({ configWrites: 1, target: "STARTED" });
    for (const c of bad.slice(1)) expect(cluster.connector(c.name)).toBeUndefined();
    for (const c of bad) {
      expect(declaredNameOf(c.name, OWNER)).toBeUndefined();
      expect(result.observations.find((o) => o.name === c.name)).toMatchObject({
        state: "UNKNOWN",
        error: { kind: "invalid-name" },
      });
    }
    expect(result.errors.filter((e) => e.kind === "invalid-name").map((e) => e.connector)).toEqual([
      ...bad.map((c) => c.name),
      good.name,
    ]);
    expect(result.observations).toHaveLength(6);
  });
});

describe("leadership checks that fail", () => {
  it("a mayAct that throws ends the cycle as not-leader; restarts already made stay in the history", async () => {
    const a = declare("a");
    const b = declare("b");
    const { cluster, driver } = await setUp([a, b]);
    await driver.converge(cluster);
    await cluster.idle();
    cluster.failTask(a.name, 0, "java.lang.RuntimeException: a");
    cluster.failTask(b.name, 0, "java.lang.RuntimeException: b");
    let calls = 0;
    driver.mayAct = () => {
      calls += 1;
      if (calls > 1) throw new Error("juju-exec: is-leader: connection refused");
      return true;
    };
    const result = await driver.cycle();
    expect(result.restarts).toEqual({ [a.name]: 1 });
    expect(result.history[a.name]).toMatchObject({ count: 1, total: 1 });
    expect(result.history[b.name]?.count ?? 0).toBe(0);
    expect(result.errors).toEqual([
      {
        kind: "not-leader",
        message:
          "leadership not confirmed (juju-exec: is-leader: connection refused): 1 action(s) not applied",
      },
    ]);
  });
});

describe("a 409 storm that outlasts the client's retries", () => {
  it("ends the cycle at the first write instead of spending every retry on every connector", async () => {
    const connectors = ["a", "b", "c", "d", "e"].map((d) => declare(d));
    const cluster = await bed.cluster();
    const client = bed.client(cluster, { retry: { attempts: 3, baseDelayMs: 1, deadlineMs: 1_000 } });
    const driver = new Driver(client, desiredState(connectors, { endpoints: cluster.endpoints }));
    cluster.injectFault({
      status: 409,
      method: "POST",
      message: REBALANCE_409,
      times: Number.POSITIVE_INFINITY,
    });
    const result = await driver.cycle();
    expect(sentBy(cluster).filter((r) => r.method === "POST")).toHaveLength(3);
    expect(result.errors.map((e) => [e.kind, e.connector])).toEqual([["rebalancing", undefined]]);
    cluster.clearFaults();
    await driver.converge(cluster);
  });
});

describe("deleted behind its back between the listing and the action", () => {
  for (const state of ["paused", "stopped"] as const) {
    it(`a config PUT that recreates a ${state} connector is followed at once by its ${state === "paused" ? "pause" : "stop"}`, async () => {
      const orders = { ...declare("orders"), state };
      const { cluster, client, driver } = await setUp([orders]);
      await driver.converge(cluster);
      const changed = { ...orders, config: { ...orders.config, "batch.size": "9" }, declarationHash: "h2" };
      driver.desired = { ...driver.desired, connectors: [changed] };
      let deleted = false;
      driver.mayAct = () => {
        if (!deleted) {
          deleted = true;
          return client.deleteConnector(orders.name).then(() => true);
        }
        return true;
      };
      const result = await driver.cycle();
      expect(result.errors).toEqual([]);
      expect(cluster.connector(orders.name)?.config["batch.size"]).toBe("9");
      await eventually(
        async () => cluster.connector(orders.name)?.target,
        (t) => t === (state === "paused" ? "PAUSED" : "STOPPED"),
      );
      await driver.converge(cluster);
    });
  }

  it("a pause that meets a 404 is that connector's error, and the next cycle recreates it paused", async () => {
    const orders = declare("orders");
    const other = declare("other");
    const { cluster, client, driver } = await setUp([orders, other]);
    await driver.converge(cluster);
    driver.desired = {
      ...driver.desired,
      connectors: [
        { ...orders, state: "paused" },
        { ...other, state: "paused" },
      ],
    };
    let deleted = false;
    driver.mayAct = async () => {
      if (!deleted) {
        deleted = true;
        await client.deleteConnector(orders.name);
      }
      return true;
    };
    const result = await driver.cycle();
    expect(result.errors.map((e) => [e.connector, e.kind])).toEqual([[orders.name, "not-found"]]);
    await driver.converge(cluster);
    expect(cluster.connector(orders.name)?.target).toBe("PAUSED");
    expect(cluster.connector(other.name)?.target).toBe("PAUSED");
  });
});
