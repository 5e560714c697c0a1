import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectorName } from "../../charm/common/names.js";
import {
  credentialUsers,
  declare,
  MIRROR_CLASS,
  modelUuid,
  ours,
  PROVIDER,
  sink,
  startWorld,
  statusLines,
  type World,
  waitAllRunning,
} from "./support.js";
import { waitStatus, writesTo } from "./support-faults.js";

/**
 * Two integrator applications on ONE Kafka Connect deployment, each declaring connectors of the same names.
 * One story on one world (the steps build on each other): both sets run under distinct names; removing one
 * application's relation deletes exactly its connectors; the other application's, and connectors made by
 * hand (one of them named like an integrator's), are never written to.
 */

const A = "jdbc-a";
const B = "jdbc-b";
const DECLARED = ["orders", "audit"] as const;
const CONNECTORS = declare({ orders: sink("orders", { tasksMax: 2 }), audit: sink("audit") });

let world: World;
const rel: Record<string, number> = {};
const names: Record<string, string[]> = {};
let handMade: string[];

beforeAll(async () => {
  world = await startWorld({ providerUnits: 1 });
  await world.deployIntegrator(A, { connectors: CONNECTORS });
  await world.deployIntegrator(B, { connectors: CONNECTORS });
  for (const app of [A, B]) {
    rel[app] = await world.model.integrate(`${app}:connect-client`, `${PROVIDER}:connect-client`);
  }
  for (const app of [A, B]) names[app] = DECLARED.map((d) => ours(world, app, rel[app]!, d));
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe("two integrators on one Kafka Connect cluster", () => {
  it("both sets of same-named declarations run, under distinct names", { timeout: 60_000 }, async () => {
    await waitAllRunning(world, A, names[A]!, 45_000);
    await waitAllRunning(world, B, names[B]!, 45_000);
    const all = [...names[A]!, ...names[B]!];
    expect(new Set(all).size).toBe(4);
    const admin = world.kc.adminClient();
    try {
      expect((await admin.listConnectors()).sort()).toEqual([...all].sort());
    } finally {
      await admin.close();
    }
    for (const app of [A, B]) {
      expect(world.kc.cluster.connector(names[app]![0]!)?.config["tasks.max"]).toBe("2");
      expect(statusLines(world.model, app)).toEqual([`${app}/0 active: 2/2 connectors running (3/3 tasks)`]);
    }
  });

  it("connectors made by hand, one named like an integrator's, are left alone", {
    timeout: 45_000,
  }, async () => {
    const uuid = modelUuid(world, A);
    handMade = [
      "hand-made-mirror",
      // What a third integrator (not deployed) on this cluster would name its connector.
      connectorName("orders", { app: "jdbc-c", relation: 99, modelUuid: uuid }),
    ];
    const admin = world.kc.adminClient();
    try {
      for (const name of handMade) {
        await admin.createConnector(name, { "connector.class": MIRROR_CLASS, "source.cluster.alias": name });
      }
    } finally {
      await admin.close();
    }
    // Both leaders' workloads reconcile on their interval (5 s): after four more listings nothing touched them.
    const since = world.kc.cluster.requests.length;
    const cycles = () =>
      world.kc.cluster.requests.slice(since).filter((r) => r.method === "GET" && r.path === "/connectors")
        .length;
    await world.model.waitFor(() => cycles() >= 4, { timeoutMs: 25_000, what: "two cycles of both leaders" });
    expect(writesTo(world.kc.cluster.requests, handMade, since)).toEqual([]);
    expect(writesTo(world.kc.cluster.requests, [...names[A]!, ...names[B]!], since)).toEqual([]);
  });

  it("removing A's relation deletes exactly A's connectors", { timeout: 60_000 }, async () => {
    const since = world.kc.cluster.requests.length;
    const bBefore = names[B]!.map((n) => world.kc.cluster.connector(n));
    await world.model.removeRelation(rel[A]!);
    await waitStatus(
      world,
      A,
      { current: "blocked", message: new RegExp(`^no Kafka Connect relation: juju integrate ${A} `) },
      "A says it has no relation",
    );

    const admin = world.kc.adminClient();
    try {
      expect((await admin.listConnectors()).sort()).toEqual([...names[B]!, ...handMade].sort());
    } finally {
      await admin.close();
    }
    const writes = writesTo(world.kc.cluster.requests, [...names[A]!, ...names[B]!, ...handMade], since);
    expect(writes.map((r) => `${r.method} ${decodeURIComponent(r.path)}`).sort()).toEqual(
      names[A]!.map((n) => `DELETE /connectors/${n}`).sort(),
    );
    // B is untouched: same config writes and restarts, still running, still active.
    for (const [i, n] of names[B]!.entries()) {
      const now = world.kc.cluster.connector(n);
      expect(now?.configWrites).toBe(bBefore[i]?.configWrites);
      expect(now?.restarts).toBe(bBefore[i]?.restarts);
      expect(now?.taskRestarts).toEqual(bBefore[i]?.taskRestarts);
    }
    await waitAllRunning(world, B, names[B]!, 20_000);
    // The provider removed A's user only: B keeps its own.
    expect(credentialUsers(world, 0)).toContain(`relation-${rel[B]}`);
    expect(credentialUsers(world, 0)).not.toContain(`relation-${rel[A]}`);
    expect(world.leaks()).toEqual([]);
  });
});
