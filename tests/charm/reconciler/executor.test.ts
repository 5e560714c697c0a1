import { describe, expect, it } from "vitest";
import type { DesiredConnector } from "../../../charm/common/desired-state.js";
import { canonicalCleanupPattern, uuidHex } from "../../../charm/common/names.js";
import { eventually } from "../../support/eventually.js";
import { Driver, describeRequest, sentBy, useBed } from "./bed.js";
import { declare, desiredState, MODEL_UUID, OWNER, POLICY, SOURCE_CLASS, UNIT_MS } from "./fixtures.js";

const bed = useBed();

async function setUp(
  connectors: DesiredConnector[],
  opts: Parameters<typeof bed.cluster>[0] = {},
  access: { username?: string; password?: string } = {},
) {
  const cluster = await bed.cluster(opts);
  const auth =
    access.password === undefined
      ? {}
      : { auth: { username: access.username ?? "admin", password: access.password } };
  const client = bed.client(cluster, auth);
  const driver = new Driver(client, desiredState(connectors, { endpoints: cluster.endpoints, ...access }));
  return { cluster, client, driver };
}

describe("converging on the declaration", () => {
  it("creates N, changes one, removes one; then each converged cycle is exactly one request", async () => {
    const connectors = ["a", "b", "c", "d", "e"].map((d) => declare(d));
    const { cluster, driver } = await setUp(connectors);

    const first = await driver.cycle();
    expect(first.errors).toEqual([]);
    expect(first.observations.map((o) => o.state)).toEqual(Array(5).fill("UNASSIGNED"));
    // The listing, GET / (once per client), and the five creates.
    expect(first.requests).toBe(7);
    const converged = await driver.converge(cluster);
    expect(converged.workerVersion).toBe("3.9.0");
    for (const c of connectors) expect(cluster.connector(c.name)?.config).toEqual(c.config);

    const changed = declare("c", { config: { "batch.size": "500" }, declarationHash: "hash-c-2" });
    driver.desired = {
      ...driver.desired,
      connectors: [connectors[0]!, connectors[1]!, changed, connectors[3]!],
    };
    const mark = cluster.requests.length;
    const result = await driver.cycle();
    expect(result.errors).toEqual([]);
    expect(result.deleted).toEqual([connectors[4]!.name]);
    expect(sentBy(cluster, mark).map(describeRequest)).toEqual([
      "GET /connectors?expand=info&expand=status",
      `DELETE /connectors/${connectors[4]!.name}`,
      `PUT /connectors/${changed.name}/config`,
    ]);
    expect(result.requests).toBe(3);
    expect(cluster.connector(changed.name)?.config["batch.size"]).toBe("500");
    expect(cluster.connector(connectors[4]!.name)).toBeUndefined();
    await driver.converge(cluster);
  });

  it("never sends an identical PUT: 25 converged cycles are 25 listings and nothing else", async () => {
    const connectors = ["a", "b", "c"].map((d) => declare(d, { config: { "batch.size": "7" } }));
    const { cluster, driver } = await setUp(connectors);
    await driver.converge(cluster);
    const mark = cluster.requests.length;
    for (let i = 0; i < 25; i++) {
      driver.now += 30_000;
      const result = await driver.cycle();
      expect(result.requests).toBe(1);
    }
    const sent = sentBy(cluster, mark).map(describeRequest);
    expect(sent).toHaveLength(25);
    expect(new Set(sent)).toEqual(new Set(["GET /connectors?expand=info&expand=status"]));
    for (const c of connectors) expect(cluster.connector(c.name)?.configWrites).toBe(1);
  });

  it("recreates a connector deleted behind its back (as Canonical's provider cleanup does)", async () => {
    const orders = declare("orders");
    const { cluster, client, driver } = await setUp([orders]);
    await driver.converge(cluster);
    expect(orders.name).toMatch(canonicalCleanupPattern(OWNER.relation));
    await client.deleteConnector(orders.name);
    const result = await driver.cycle();
    expect(result.observations[0]).toMatchObject({ state: "UNASSIGNED" });
    expect(cluster.connector(orders.name)?.config).toEqual(orders.config);
    await driver.converge(cluster);
  });

  it("never touches another application's connectors on the same cluster, however alike their names", async () => {
    const orders = declare("orders");
    const { cluster, client, driver } = await setUp([orders]);
    const hex = uuidHex(MODEL_UUID);
    const others = [
      `orders_other-app_r${OWNER.relation}_${hex}`, // same relation number and model, another application
      `${OWNER.app}_r${OWNER.relation}_${hex}`, // a Canonical template integrator's own name
      `orders_${OWNER.app}_r${OWNER.relation + 1}_${hex}`, // ours, but of another relation
      `_${OWNER.app}_r${OWNER.relation}_${hex}`, // our suffix with nothing a declaration could be
      `orders_${OWNER.app}_r${OWNER.relation}_${"0".repeat(32)}`, // another model
    ];
    for (const name of others) {
      await client.createConnector(name, { "connector.class": SOURCE_CLASS, "batch.size": "1" });
    }
    await cluster.idle();
    const mark = cluster.requests.length;
    await driver.converge(cluster);
    for (let i = 0; i < 3; i++) await driver.cycle();
    const touched = sentBy(cluster, mark).filter((r) =>
      others.some((n) => decodeURIComponent(r.path).includes(n)),
    );
    expect(touched).toEqual([]);
    for (const name of others) {
      expect(cluster.connector(name)).toMatchObject({ configWrites: 1, restarts: 0, target: "STARTED" });
    }
  });

  it("one bad connector never blocks the others, and its error is reported with secrets masked", async () => {
    const good = declare("good");
    const bad = declare("bad", {
      config: { "batch.size": "hunter2-not-a-number" },
      secretKeys: ["batch.size"],
    });
    const { cluster, driver } = await setUp([bad, good]);
    const result = await driver.cycle();
    const badObservation = result.observations.find((o) => o.declared === "bad")!;
    expect(badObservation.error?.kind).toBe("invalid-config");
    expect(badObservation.error?.message).toMatch(
      /^invalid config: Invalid value \*\*\* for configuration batch\.size: Not a number/,
    );
    expect(JSON.stringify(result)).not.toContain("hunter2");
    expect(result.errors).toEqual([{ ...badObservation.error, connector: bad.name }]);
    expect(cluster.connector(good.name)).toBeDefined();
  });
});

describe("states", () => {
  it("creates paused and stopped connectors with initial_state on 3.7+: no pause or stop request", async () => {
    const paused = { ...declare("p"), state: "paused" as const };
    const stopped = { ...declare("s"), state: "stopped" as const };
    const { cluster, driver } = await setUp([paused, stopped], { version: "3.7" });
    await driver.converge(cluster);
    expect(cluster.connector(paused.name)?.target).toBe("PAUSED");
    expect(cluster.connector(stopped.name)?.target).toBe("STOPPED");
    const control = sentBy(cluster).filter((r) => r.method === "PUT");
    expect(control).toEqual([]);
    expect(cluster.connector(paused.name)?.restarts).toBe(0);
  });

  it("on older workers creates then pauses or stops at once; before 3.5 stopped is paused, with the reason", async () => {
    const paused = { ...declare("p"), state: "paused" as const };
    const stopped = { ...declare("s"), state: "stopped" as const };
    const on36 = await setUp([paused, stopped], { version: "3.6" });
    await on36.driver.converge(on36.cluster);
    expect(
      sentBy(on36.cluster)
        .filter((r) => r.method !== "GET")
        .map(describeRequest),
    ).toEqual([
      "POST /connectors",
      `PUT /connectors/${paused.name}/pause`,
      "POST /connectors",
      `PUT /connectors/${stopped.name}/stop`,
    ]);

    const on34 = await setUp([stopped], { version: "3.4" });
    const result = await on34.driver.cycle();
    expect(result.errors).toEqual([
      {
        connector: stopped.name,
        kind: "unsupported",
        message: "stopped needs Kafka Connect 3.5 or later (this worker runs 3.4.0): paused instead",
      },
    ]);
    await eventually(
      async () => on34.cluster.connector(stopped.name)?.target,
      (t) => t === "PAUSED",
    );
  });

  it("follows a hold, and the declared state again once the declaration changes", async () => {
    const orders = declare("orders");
    const { cluster, driver } = await setUp([orders]);
    await driver.converge(cluster);
    const hold = {
      state: "stopped" as const,
      declarationHash: orders.declarationHash,
      since: "2026-01-01T00:00:00Z",
    };
    driver.desired = { ...driver.desired, holds: { orders: hold } };
    const held = await driver.converge(cluster);
    expect(held.observations[0]).toMatchObject({ state: "STOPPED", held: "stopped", desired: "stopped" });
    const redeclared = { ...orders, declarationHash: "hash-orders-2" };
    driver.desired = { ...driver.desired, connectors: [redeclared] };
    const running = await driver.converge(cluster);
    expect(running.observations[0]).toMatchObject({ state: "RUNNING", desired: "running" });
    expect(running.observations[0]!.held).toBeUndefined();
  });
});

describe("auto-restart", () => {
  async function failedTask(name: string, cluster: Awaited<ReturnType<typeof bed.cluster>>, task = 1) {
    await cluster.idle();
    cluster.failTask(
      name,
      task,
      `java.lang.IllegalStateException: broken pipe\n\tat com.example.Task.poll(Task.java:42)`,
    );
  }

  it("restarts failed tasks with includeTasks&onlyFailed on the backoff schedule of the fake clock", async () => {
    const orders = declare("orders");
    const { cluster, driver } = await setUp([orders]);
    await driver.converge(cluster);
    const restartPath = `POST /connectors/${orders.name}/restart?includeTasks=true&onlyFailed=true`;
    const restartsSent = () => sentBy(cluster).filter((r) => describeRequest(r) === restartPath).length;

    // Restart n waits 0, 2, 6, 12 units after the one before: one unit early nothing happens, on time it does.
    const waits = [0, 2, 6, 12];
    let lastRestart = driver.now;
    for (const [n, wait] of waits.entries()) {
      await failedTask(orders.name, cluster);
      const seen = await driver.cycle();
      if (wait > 0) {
        expect(seen.observations[0]!.tasks[1]).toEqual({
          id: 1,
          state: "FAILED",
          trace: "java.lang.IllegalStateException: broken pipe",
        });
        expect(seen.restarts).toEqual({});
        driver.now = lastRestart + (wait - 1) * UNIT_MS;
        expect((await driver.cycle()).restarts).toEqual({});
        driver.now = lastRestart + wait * UNIT_MS;
        expect((await driver.cycle()).restarts).toEqual({ [orders.name]: 1 });
      } else {
        expect(seen.restarts).toEqual({ [orders.name]: 1 });
      }
      lastRestart = driver.now;
      expect(restartsSent()).toBe(n + 1);
      expect(driver.history[orders.name]).toMatchObject({
        count: n + 1,
        total: n + 1,
        lastRestartAt: lastRestart,
      });
      await eventually(
        async () => cluster.connector(orders.name)?.taskRestarts[1] ?? 0,
        (count) => count === n + 1,
      );
    }
    expect(cluster.connector(orders.name)?.taskRestarts[0] ?? 0).toBe(0);
  });

  it("gives up after max-restarts and says so; a healthy period then resets the streak", async () => {
    const orders = declare("orders");
    const { cluster, driver } = await setUp([orders]);
    driver.desired = { ...driver.desired, restartPolicy: { ...POLICY, maxRestarts: 2 } };
    await driver.converge(cluster);
    for (let i = 0; i < 2; i++) {
      await failedTask(orders.name, cluster, 0);
      driver.now += 60 * UNIT_MS;
      expect((await driver.cycle()).restarts).toEqual({ [orders.name]: 1 });
    }
    await failedTask(orders.name, cluster, 0);
    for (let i = 0; i < 3; i++) {
      driver.now += 60 * UNIT_MS;
      expect((await driver.cycle()).restarts).toEqual({});
    }
    expect(driver.history[orders.name]).toMatchObject({ count: 2, gaveUp: true, total: 2 });
    expect(cluster.connector(orders.name)?.taskRestarts[0]).toBe(2);

    // An operator restarts it by hand; healthy for backoff(2) = 6 units, the streak ends.
    await bed.client(cluster).restartTask(orders.name, 0);
    await driver.converge(cluster);
    driver.now += 6 * UNIT_MS;
    await driver.cycle();
    expect(driver.history[orders.name]).toMatchObject({ count: 0, gaveUp: false, total: 2 });
  });

  it("restarts the connector, then each failed task, on a worker older than 3.0", async () => {
    const orders = declare("orders");
    const { cluster, driver } = await setUp([orders], { version: "2.8" });
    await driver.converge(cluster);
    await cluster.idle();
    cluster.failConnector(orders.name, "org.example.ConnectorException: gone");
    cluster.failTask(orders.name, 1, "org.example.TaskException: gone");
    const mark = cluster.requests.length;
    const result = await driver.cycle();
    expect(result.restarts).toEqual({ [orders.name]: 1 });
    expect(sentBy(cluster, mark).map(describeRequest)).toEqual([
      "GET /connectors?expand=info&expand=status",
      `POST /connectors/${orders.name}/restart`,
      `POST /connectors/${orders.name}/tasks/1/restart`,
    ]);
  });
});

describe("a troubled cluster", () => {
  it("rides out a 409 storm (the client's retries) and still converges", async () => {
    const orders = declare("orders");
    const { cluster, driver } = await setUp([orders]);
    cluster.injectFault({
      status: 409,
      method: "POST",
      message:
        "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)",
      times: 4,
    });
    const result = await driver.cycle();
    expect(result.errors).toEqual([]);
    expect(sentBy(cluster).filter((r) => r.method === "POST" && r.status === 409)).toHaveLength(4);
    await driver.converge(cluster);
  });

  it("fails over when a worker is down", async () => {
    const orders = declare("orders");
    const { cluster, driver } = await setUp([orders]);
    await driver.converge(cluster);
    await cluster.stopWorker(0);
    const changed = declare("orders", { config: { "batch.size": "9" }, declarationHash: "hash-2" });
    driver.desired = { ...driver.desired, connectors: [changed] };
    await driver.converge(cluster);
    expect(cluster.connector(orders.name)?.config["batch.size"]).toBe("9");
  });

  it("reports a 401 after a credential change as unauthorized; a client with the new password converges", async () => {
    const orders = declare("orders");
    const { cluster, driver } = await setUp(
      [orders],
      { auth: { users: { admin: "old-pw-1" } } },
      { password: "old-pw-1" },
    );
    await driver.converge(cluster);
    const history = driver.history;
    await cluster.setCredentials({ admin: "new-pw-2" });
    await cluster.rollingRestart();
    const refused = await driver.cycle();
    expect(refused.errors.map((e) => e.kind)).toEqual(["unauthorized"]);
    expect(refused.observations).toEqual([
      { declared: "orders", name: orders.name, desired: "running", state: "UNKNOWN", tasks: [] },
    ]);
    expect(refused.history).toBe(history);
    expect(JSON.stringify(refused)).not.toContain("old-pw-1");

    // The loop builds a new client from the new desired state.
    driver.client = bed.client(cluster, { auth: { username: "admin", password: "new-pw-2" } });
    driver.desired = {
      ...driver.desired,
      kafkaConnect: { ...driver.desired.kafkaConnect!, password: "new-pw-2" },
    };
    const restartsBefore = cluster.connector(orders.name)!.restarts;
    await driver.converge(cluster);
    expect(cluster.connector(orders.name)!.configWrites).toBe(1);
    expect(cluster.connector(orders.name)!.restarts).toBe(restartsBefore);
  });

  it("returns a cycle-level error with every connector UNKNOWN when no worker answers", async () => {
    const orders = declare("orders");
    const { cluster, driver } = await setUp([orders], { workers: 1 });
    await cluster.stopWorker(0);
    const result = await driver.cycle();
    expect(result.errors.map((e) => e.kind)).toEqual(["unavailable"]);
    expect(result.observations[0]).toMatchObject({ state: "UNKNOWN" });
    expect(result.requests).toBe(1);
  });

  it("writes nothing once leadership is not confirmed", async () => {
    const orders = declare("orders");
    const { cluster, driver } = await setUp([orders]);
    driver.mayAct = () => false;
    const result = await driver.cycle();
    expect(result.errors).toEqual([
      { kind: "not-leader", message: "leadership not confirmed: 1 action(s) not applied" },
    ]);
    expect(sentBy(cluster).filter((r) => r.method !== "GET")).toEqual([]);
  });
});
