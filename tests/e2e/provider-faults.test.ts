import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  declare,
  INTEGRATOR,
  ours,
  PROVIDER,
  sink,
  startWorld,
  type World,
  waitAllRunning,
} from "./support.js";
import {
  createsSince,
  eventually,
  failRepeatedly,
  fireRelationChanged,
  providerBag,
  resultAt,
  revokeGrants,
  waitStatus,
  writesTo,
} from "./support-faults.js";

/**
 * A hostile, broken or absent Kafka Connect provider, seen from the packed integrator. One story on one world
 * (the steps build on each other and each ends healthy again): a bad databag, a secret not granted, every
 * endpoint down, Canonical's deletion of our connectors when an integrator unit departs, and the relation
 * removed and made again. Each time: a status that says what is wrong, nothing of ours lost while it lasts,
 * and recovery once it is fixed.
 */

const APP = INTEGRATOR;
const U0 = `${APP}/0`;
const U1 = `${APP}/1`;
const WORKERS = 1;
/** The integrator's reconcile-interval in these tests (FAST_CONFIG). */
const INTERVAL_MS = 5_000;

let world: World;
let relation: number;
let names: string[];

const declared = ["orders", "audit"];

beforeAll(async () => {
  world = await startWorld({ providerUnits: WORKERS });
  await world.deployIntegrator(APP, {
    units: 2,
    connectors: declare({ orders: sink("orders"), audit: sink("audit") }),
  });
  relation = await world.model.integrate(`${APP}:connect-client`, `${PROVIDER}:connect-client`);
  names = declared.map((d) => ours(world, APP, relation, d));
  await waitAllRunning(world, APP, names, 60_000);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

/** What Kafka Connect holds of ours now: config writes and restarts per connector (unchanged = untouched). */
function footprint(): unknown[] {
  return names.map((n) => {
    const c = world.kc.cluster.connector(n);
    return c && { name: n, configWrites: c.configWrites, restarts: c.restarts, taskRestarts: c.taskRestarts };
  });
}

describe("a misbehaving Kafka Connect provider", () => {
  it("a bad endpoints value in its databag: blocked naming the field, connectors untouched, recovered when fixed", {
    timeout: 60_000,
  }, async () => {
    const before = footprint();
    const since = world.kc.cluster.requests.length;
    const good = providerBag(world, relation).endpoints!;
    try {
      // As the provider's leader would write it: Juju runs relation-changed on our units.
      await world.model.setRelationData(relation, world.kc.app, { endpoints: "ftp://127.0.0.1:8083" });
      // The leader, which manages the connectors, says what is wrong (the application status shows it too).
      await waitStatus(
        world,
        APP,
        {
          current: "blocked",
          message: new RegExp(
            `^the Kafka Connect provider on connect-client:${relation} published invalid data: endpoints item 1 has the scheme "ftp"`,
          ),
        },
        "the integrator names the bad field",
        30_000,
        [U0],
      );
      expect(world.model.status().applications[APP]?.["application-status"]?.message).toMatch(
        /endpoints item 1/,
      );
      expect(footprint()).toEqual(before);
    } finally {
      await world.model.setRelationData(relation, world.kc.app, { endpoints: good });
    }
    await waitAllRunning(world, APP, names, 30_000);
    expect(writesTo(world.kc.cluster.requests, names, since)).toEqual([]);
    expect(footprint()).toEqual(before);
  });

  it("its credentials secret not granted: a clear status, connectors untouched, recovered once granted", {
    timeout: 60_000,
  }, async () => {
    const before = footprint();
    const since = world.kc.cluster.requests.length;
    const restore = revokeGrants(world, relation, APP);
    try {
      await fireRelationChanged(world, APP, relation);
      await waitStatus(
        world,
        APP,
        { current: "waiting", message: /^secret-user secret:\S+ is not readable yet.*not granted/ },
        "the leader waits for credentials",
        30_000,
        [U0],
      );
      expect(footprint()).toEqual(before);
    } finally {
      restore();
    }
    await fireRelationChanged(world, APP, relation);
    await waitAllRunning(world, APP, names, 30_000);
    expect(writesTo(world.kc.cluster.requests, names, since)).toEqual([]);
    expect(footprint()).toEqual(before);
  });

  it("every endpoint down: status says Kafka Connect is unreachable, nothing deleted, recovery when back", {
    timeout: 60_000,
  }, async () => {
    const since = world.kc.cluster.requests.length;
    const hooksBefore = world.model.hooks.length;
    for (let i = 0; i < WORKERS; i++) await world.kc.cluster.stopWorker(i);
    try {
      // Seen by the leader's workload on its next cycle and brought to Juju by its custom event.
      await waitStatus(
        world,
        APP,
        { current: "waiting", message: /^cannot reach Kafka Connect \(unavailable: / },
        "the leader says Kafka Connect is unreachable",
        INTERVAL_MS * 4,
        [U0],
      );
      // No update-status ran: the workload's custom event brought it (juju-exec … hooks/workload-changed). Its
      // record lands once the hook process is reaped, a moment after the status it set shows.
      await eventually(
        async () => world.model.hooks.slice(hooksBefore).map((h) => `${h.unit} ${h.hook} via ${h.via}`),
        (hooks) => hooks.includes(`${U0} workload-changed via juju-exec`),
        10_000,
      );
    } finally {
      for (let i = 0; i < WORKERS; i++) await world.kc.cluster.startWorker(i);
    }
    await waitAllRunning(world, APP, names, INTERVAL_MS * 6);
    expect(writesTo(world.kc.cluster.requests, names, since).filter((r) => r.method === "DELETE")).toEqual(
      [],
    );
    expect(createsSince(world.kc.cluster.requests, since)).toEqual([]);
  });
});

describe("Canonical-style deletion and the provider going away", () => {
  it("the provider deletes our connectors when an integrator unit departs: they are recreated", {
    timeout: 60_000,
  }, async () => {
    await world.model.config(PROVIDER, { "delete-connectors-on-departure": true });
    const since = world.kc.cluster.requests.length;
    await world.model.removeUnit(U1);

    const deletes = writesTo(world.kc.cluster.requests, names, since).filter((r) => r.method === "DELETE");
    expect(deletes.map((r) => decodeURIComponent(r.path)).sort()).toEqual(
      names.map((n) => `/connectors/${n}`).sort(),
    );
    expect(deletes.every((r) => r.user === "admin" && r.status === 204)).toBe(true);
    // The leader's workload finds them missing on its next cycle and creates them again.
    const deletedAt = Math.max(...deletes.map((r) => r.time));
    await waitAllRunning(world, APP, names, INTERVAL_MS * 4);
    const creates = createsSince(world.kc.cluster.requests, since).filter((r) => r.status === 201);
    expect(creates.length).toBe(names.length);
    for (const c of creates) expect(c.time - deletedAt).toBeLessThan(INTERVAL_MS + 3_000);
    await world.model.config(PROVIDER, { "delete-connectors-on-departure": null });
  });

  it("the relation removed and made again: connectors back to RUNNING with a fresh restart history", {
    timeout: 90_000,
  }, async () => {
    // Some history first, under the old relation's names.
    const failed = await failRepeatedly(world, U0, names[0]!, 0, 1);
    expect(failed.count).toBe(1);
    const old = names;

    await world.model.removeRelation(relation);
    await waitStatus(
      world,
      APP,
      { current: "blocked", message: new RegExp(`^no Kafka Connect relation: juju integrate ${APP} `) },
      "the integrator says the relation is gone",
    );
    const admin = world.kc.adminClient();
    try {
      expect((await admin.listConnectors()).filter((n) => old.includes(n))).toEqual([]);
    } finally {
      await admin.close();
    }

    relation = await world.model.integrate(`${APP}:connect-client`, `${PROVIDER}:connect-client`);
    names = declared.map((d) => ours(world, APP, relation, d));
    expect(names).not.toEqual(old);
    await waitAllRunning(world, APP, names, 45_000);

    const listed = await world.model.runAction(U0, "list-connectors");
    expect(listed.status).toBe("completed");
    expect(resultAt(listed.results, "connectors.orders.kafka-name")).toBe(names[0]);
    // Action results are strings, as `action-set` stores them.
    expect(resultAt(listed.results, "connectors.orders.restarts")).toBe("0");
    expect(resultAt(listed.results, "connectors.orders.state")).toBe("RUNNING");
    expect(world.leaks()).toEqual([]);
  });
});
