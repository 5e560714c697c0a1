import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  declare,
  INTEGRATOR,
  ours,
  PROVIDER,
  sink,
  startWorld,
  unitStatus,
  type World,
  waitAllRunning,
} from "./support.js";
import {
  eventually,
  failRepeatedly,
  leaderOf,
  restartRecord,
  resultAt,
  waitStatus,
  workloadCounters,
  writesTo,
} from "./support-faults.js";

/**
 * An integrator leader change on the packed charm. One story on one world (the steps build on each other):
 * a task keeps failing until the leader gives up after `max-restarts` (2); leadership moves to the other unit,
 * which takes over reconciling WITH that history (it does not restart the task: the counter was not reset),
 * while the deposed unit's workload stops talking to Kafka Connect within Juju's 30 s lease; the new leader
 * acts (a restart by action); then the leader unit is removed and the remaining unit leads, connectors kept.
 */

const APP = INTEGRATOR;
const U0 = `${APP}/0`;
const U1 = `${APP}/1`;
/** Juju guarantees leadership for 30 s after is-leader said true; the workload renews at half of it. */
const LEASE_MS = 30_000;

let world: World;
let orders: string;
let audit: string;

beforeAll(async () => {
  world = await startWorld({ providerUnits: 1 });
  await world.deployIntegrator(APP, {
    units: 2,
    connectors: declare({ orders: sink("orders"), audit: sink("audit") }),
    config: { "max-restarts": 2 },
  });
  const relation = await world.model.integrate(`${APP}:connect-client`, `${PROVIDER}:connect-client`);
  orders = ours(world, APP, relation, "orders");
  audit = ours(world, APP, relation, "audit");
  await waitAllRunning(world, APP, [orders, audit], 60_000);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe("an integrator leader change (packed charm, reference provider, Kafka Connect emulator)", () => {
  it("the first leader restarts a failing task with backoff until max-restarts, then gives up and says so", {
    timeout: 60_000,
  }, async () => {
    expect(leaderOf(world.model.status(), APP)).toBe(U0);
    const record = await failRepeatedly(world, U0, orders, 0, 2);
    expect(record.count).toBe(2);
    // A third failure: the streak is at max-restarts, so the leader leaves it failed and blocks.
    world.kc.cluster.failTask(
      orders,
      0,
      "java.lang.IllegalStateException: still refused\n\tat OrdersSink.put",
    );
    await waitStatus(
      world,
      APP,
      { current: "blocked", message: /^orders task 0 FAILED after 2 restarts: / },
      "the leader gives up on orders",
      30_000,
      [U0],
    );
    expect(restartRecord(world, U0, orders)).toMatchObject({ count: 2, gaveUp: true });
    expect(world.kc.cluster.connector(orders)?.taskRestarts[0]).toBe(2);
  });

  it("the new leader takes over with the restart counters intact, and the old one stops within the lease", {
    timeout: 90_000,
  }, async () => {
    const restartsBefore = world.kc.cluster.connector(orders)?.taskRestarts[0];
    const movedAt = Date.now();
    await world.model.setLeader(U1);
    expect(leaderOf(world.model.status(), APP)).toBe(U1);
    expect(
      world.model.hooks.filter((h) => h.hook === "leader-elected" && h.unit === U1).length,
    ).toBeGreaterThan(0);

    // The deposed workload asks Juju (juju-exec is-leader) when its lease is half gone, hears false and stops.
    const stopped = await eventually(
      () => workloadCounters(world, U0),
      (c) => c.leader === 0,
      LEASE_MS + 5_000,
      (c) => ({ counters: c, log: world.workloadLog(U0, 2000) }),
    );
    expect(Date.now() - movedAt).toBeLessThan(LEASE_MS + 5_000);

    // The new leader acts: its workload confirms leadership and reports the connectors again.
    await eventually(
      () => workloadCounters(world, U1),
      (c) => c.leader === 1,
      20_000,
      (c) => ({ counters: c, log: world.workloadLog(U1, 2000) }),
    );
    // It started from the old leader's history (peer data): still given up at 2, so no restart of its own.
    await waitStatus(
      world,
      APP,
      { current: "blocked", message: /^orders task 0 FAILED after 2 restarts: / },
      "the new leader reports the give-up it inherited",
      30_000,
      [U1],
    );
    const listed = await world.model.runAction(U1, "list-connectors");
    expect(listed.status).toBe("completed");
    // Action results are strings, as `action-set` stores them.
    expect(resultAt(listed.results, "connectors.orders.restarts")).toBe("2");
    expect(resultAt(listed.results, "connectors.orders.gave-up")).toBe("true");
    expect(restartRecord(world, U1, orders)).toMatchObject({ count: 2, gaveUp: true });
    expect(world.kc.cluster.connector(orders)?.taskRestarts[0]).toBe(restartsBefore);

    // The user restarts it on the new leader; the old unit's workload made no REST request since it stopped.
    const since = world.kc.cluster.requests.length;
    const restarted = await world.model.runAction(U1, "restart", {
      connector: "orders",
      "include-tasks": true,
      "only-failed": true,
    });
    expect(restarted.status).toBe("completed");
    await waitAllRunning(world, APP, [orders, audit], 30_000);
    expect(writesTo(world.kc.cluster.requests, [orders], since).length).toBeGreaterThan(0);
    const after = await workloadCounters(world, U0);
    expect(after).toEqual({ leader: 0, restRequests: stopped.restRequests });
    expect(unitStatus(world.model, U0).message).toMatch(/the leader manages connectors/);
  });

  it("removing the leader unit: the other unit leads and the connectors stay", {
    timeout: 60_000,
  }, async () => {
    const since = world.kc.cluster.requests.length;
    const configWrites = world.kc.cluster.connector(orders)?.configWrites;
    await world.model.removeUnit(U1);
    const status = world.model.status();
    expect(leaderOf(status, APP)).toBe(U0);
    expect(Object.keys(status.applications[APP]?.units ?? {})).toEqual([U0]);
    await waitAllRunning(world, APP, [orders, audit], 30_000);
    // Never deleted, so never recreated: the leaving leader's own relation-broken is not a relation removal.
    const deletes = writesTo(world.kc.cluster.requests, [orders, audit], since).filter(
      (r) => r.method === "DELETE",
    );
    expect(deletes).toEqual([]);
    expect(world.kc.cluster.connector(orders)?.configWrites).toBe(configWrites);
    await eventually(
      () => workloadCounters(world, U0),
      (c) => c.leader === 1,
      LEASE_MS,
      (c) => ({ counters: c, log: world.workloadLog(U0, 2000) }),
    );
    expect(world.leaks()).toEqual([]);
  });
});
