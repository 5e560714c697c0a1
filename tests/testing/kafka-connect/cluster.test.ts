import { describe, expect, it } from "vitest";
import { call, createRunning, err, eventually, mirrorConfig, until, useClusters } from "./support.js";

const start = useClusters();

const NO_LEADER =
  "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.";
const STALE =
  "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)";
const CONFLICT = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)";

const hops = (
  c: {
    requests: readonly {
      worker: number;
      method: string;
      path: string;
      query: string;
      forwardedFrom?: number;
    }[];
  },
  method: string,
  path: string,
) =>
  c.requests
    .filter((r) => r.method === method && r.path === path)
    .map((r) => ({ worker: r.worker, query: r.query, from: r.forwardedFrom }));

describe("leader and forwarding", () => {
  it("writes sent to a follower are forwarded to the leader, and both hops are recorded", async () => {
    const c = await start();
    expect(c.leader).toBe(0);
    const res = await call(c.endpoints[2]!, "POST", "/connectors", {
      body: { name: "f", config: mirrorConfig() },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`${c.endpoints[2]}/connectors/f`);
    expect(hops(c, "POST", "/connectors")).toEqual([
      { worker: 2, query: "", from: undefined },
      { worker: 0, query: "forward=true", from: 2 },
    ]);
    await until(c.endpoints[1]!, "f", "RUNNING", 1);
    for (const [method, path] of [
      ["PUT", "/connectors/f/stop"],
      ["DELETE", "/connectors/f"],
    ] as const) {
      expect((await call(c.endpoints[1]!, method, path)).status).toBe(204);
      expect(hops(c, method, path)).toEqual([
        { worker: 1, query: "", from: undefined },
        { worker: 0, query: "forward=true", from: 1 },
      ]);
    }
    // A forwarded error comes back as the leader answered it.
    await call(c.endpoints[0]!, "POST", "/connectors", { body: { name: "g", config: mirrorConfig() } });
    const dup = await call(c.endpoints[1]!, "POST", "/connectors", {
      body: { name: "g", config: mirrorConfig() },
    });
    expect([dup.status, dup.json]).toEqual([409, err(409, "Connector g already exists")]);
  });

  it("reads and pause/resume are served by any worker without forwarding", async () => {
    const c = await start();
    await createRunning(c.endpoints[0]!, "r", 1);
    const before = c.requests.length;
    await call(c.endpoints[2]!, "GET", "/connectors/r/status");
    await call(c.endpoints[2]!, "GET", "/connectors/r/offsets");
    await call(c.endpoints[2]!, "PUT", "/connectors/r/pause");
    expect(c.requests.slice(before).map((r) => r.worker)).toEqual([2, 2, 2]);
  });

  it("a plain restart runs on the worker that owns the connector, reached through the leader", async () => {
    const c = await start();
    await createRunning(c.endpoints[0]!, "o", 2);
    const owner = c.connector("o")!.owner!;
    const other = [0, 1, 2].find((i) => i !== owner && i !== c.leader)!;
    expect((await call(c.endpoints[other]!, "POST", "/connectors/o/restart")).status).toBe(204);
    const path = hops(c, "POST", "/connectors/o/restart");
    expect(path[0]).toEqual({ worker: other, query: "", from: undefined });
    expect(path.at(-1)).toMatchObject({ worker: owner });
    expect(path.length).toBe(owner === c.leader ? 2 : 3);
    // The task restart takes the same road to the task's worker.
    const taskOwner = c.connector("o")!.taskOwners[1]!;
    await call(c.endpoints[other]!, "POST", "/connectors/o/tasks/1/restart");
    expect(hops(c, "POST", "/connectors/o/tasks/1/restart").at(-1)).toMatchObject({ worker: taskOwner });
  });

  it("a request marked forward=false at a worker that cannot serve it answers the conflicting-operation 409", async () => {
    const c = await start();
    const res = await call(c.endpoints[1]!, "POST", "/connectors?forward=false", {
      body: { name: "x", config: mirrorConfig() },
    });
    expect([res.status, res.json]).toEqual([409, err(409, CONFLICT)]);
    // forward=true is forwarded once more, with forward=false.
    await call(c.endpoints[1]!, "POST", "/connectors?forward=true", {
      body: { name: "y", config: mirrorConfig() },
    });
    expect(hops(c, "POST", "/connectors").slice(-2)).toEqual([
      { worker: 1, query: "forward=true", from: undefined },
      { worker: 0, query: "forward=false", from: 1 },
    ]);
  });

  it("with the leader down, writes answer the no-known-leader 409 until a rebalance elects a new one", async () => {
    const c = await start({ timing: { rebalanceMs: 300 } });
    await createRunning(c.endpoints[0]!, "l", 1);
    await c.stopWorker(0);
    expect(c.leader).toBeNull();
    await expect(fetch(`${c.endpoints[0]}/`)).rejects.toThrow();
    for (const [method, path, body] of [
      ["POST", "/connectors", { name: "n", config: mirrorConfig() }],
      ["PUT", "/connectors/l/config", mirrorConfig()],
      ["DELETE", "/connectors/l", undefined],
      ["POST", "/connectors/l/restart", undefined],
      ["PUT", "/connectors/l/stop", undefined],
    ] as const) {
      const res = await call(c.endpoints[1]!, method, path, body === undefined ? {} : { body });
      expect([method, path, res.status, res.json]).toEqual([method, path, 409, err(409, NO_LEADER)]);
    }
    // Status reads and pause still work meanwhile.
    expect((await call(c.endpoints[1]!, "GET", "/connectors/l/status")).status).toBe(200);
    expect((await call(c.endpoints[1]!, "PUT", "/connectors/l/pause")).status).toBe(202);
    await c.rebalanceSettled();
    expect(c.leader).toBe(1);
    const res = await call(c.endpoints[2]!, "POST", "/connectors", {
      body: { name: "n", config: mirrorConfig() },
    });
    expect(res.status).toBe(201);
    expect(hops(c, "POST", "/connectors").at(-1)).toEqual({ worker: 1, query: "forward=true", from: 2 });
  });

  it("a rebalance window answers the stale-configuration 409 for writes and config reads; status reads work", async () => {
    // Ten requests must fit in the window, on a machine that may be loaded: rebalanceSettled() ends the test.
    const c = await start({ timing: { rebalanceMs: 2000 } });
    const base = c.endpoints[0]!;
    await createRunning(base, "w", 1);
    c.rebalance();
    const res = await call(base, "PUT", "/connectors/w/config", { body: mirrorConfig() });
    expect([res.status, res.json]).toEqual([409, err(409, STALE)]);
    expect((await call(base, "POST", "/connectors/w/tasks/0/restart")).json).toEqual(err(409, STALE));
    // DistributedHerder's connectorInfo / taskConfigs / tasksConfig check for a pending rebalance first,
    // even for a connector that does not exist.
    for (const path of ["/connectors/w", "/connectors/w/config", "/connectors/w/tasks", "/connectors/nope"]) {
      const read = await call(base, "GET", path);
      expect([path, read.status, read.json]).toEqual([path, 409, err(409, STALE)]);
    }
    expect((await call(base, "GET", "/connectors/w/tasks-config")).status).toBe(409);
    // Status reads (from the status store) and the listing (a config snapshot) are served.
    expect((await call(base, "GET", "/connectors/w/status")).status).toBe(200);
    expect((await call(base, "GET", "/connectors/w/tasks/0/status")).status).toBe(200);
    expect((await call(base, "GET", "/connectors")).json).toEqual(["w"]);
    expect((await call(base, "GET", "/connectors?expand=info")).status).toBe(200);
    await c.rebalanceSettled();
    expect((await call(base, "GET", "/connectors/w/config")).status).toBe(200);
    expect((await call(base, "PUT", "/connectors/w/config", { body: mirrorConfig() })).status).toBe(200);
  });

  it("a rebalance window can serve config reads for tests that only care about writes", async () => {
    const c = await start({ timing: { rebalanceMs: 300 } });
    const base = c.endpoints[0]!;
    await createRunning(base, "w", 1);
    c.rebalance({ configReads: "served" });
    expect((await call(base, "GET", "/connectors/w/config")).status).toBe(200);
    expect((await call(base, "PUT", "/connectors/w/config", { body: mirrorConfig() })).status).toBe(409);
    // A faithful window opened meanwhile wins until the rebalance ends.
    c.rebalance({ ms: 300 });
    expect((await call(base, "GET", "/connectors/w/config")).status).toBe(409);
  });
});

describe("workers leaving and joining", () => {
  it("a stopped worker refuses connections; its tasks go UNASSIGNED, then run elsewhere", async () => {
    const c = await start({ timing: { rebalanceMs: 200 } });
    await createRunning(c.endpoints[0]!, "m", 3);
    const before = c.connector("m")!;
    const victim = before.taskOwners[0]!;
    await c.stopWorker(victim);
    await expect(fetch(`${c.endpoints[victim]}/connectors`)).rejects.toThrow();
    const alive = c.endpoints[(victim + 1) % 3]!;
    const mid = (await call(alive, "GET", "/connectors/m/status")).json as {
      tasks: { id: number; state: string; worker_id: string }[];
    };
    const victimId = c.endpoints[victim]!.replace("http://", "");
    expect(mid.tasks.find((t) => t.id === 0)).toMatchObject({ state: "UNASSIGNED", worker_id: victimId });
    const after = await until(alive, "m", "RUNNING", 3);
    const used = new Set([after.connector.worker_id, ...after.tasks.map((t) => t.worker_id)]);
    expect(used.has(victimId)).toBe(false);
    // It comes back on the same port.
    await c.startWorker(victim);
    expect((await call(c.endpoints[victim]!, "GET", "/connectors")).json).toEqual(["m"]);
  });

  it("a worker that just joined answers GET /health 503 until its rebalance completes", async () => {
    const c = await start({ workers: 2, timing: { rebalanceMs: 300 } });
    await c.restartWorker(1);
    const res = await call(c.endpoints[1]!, "GET", "/health");
    expect([res.status, res.json]).toEqual([
      503,
      { status: "starting", message: "Worker is still starting up." },
    ]);
    await c.rebalanceSettled();
    expect((await call(c.endpoints[1]!, "GET", "/health")).status).toBe(200);
  });

  it("a rolling restart keeps the connectors and ends with every worker up and a leader", async () => {
    const c = await start();
    await createRunning(c.endpoints[0]!, "rr", 3);
    await c.rollingRestart();
    expect(c.leader).toBe(0);
    for (const e of c.endpoints) expect((await call(e, "GET", "/connectors")).json).toEqual(["rr"]);
    await until(c.endpoints[2]!, "rr", "RUNNING", 3);
    expect(c.requests.filter((r) => r.status === 0)).toEqual([]);
  });

  it("connectors created while every worker is down are placed when one comes back", async () => {
    const c = await start({ workers: 1, timing: { rebalanceMs: 20 } });
    await c.stopWorker(0);
    await c.rebalanceSettled();
    expect(c.leader).toBeNull();
    await c.startWorker(0);
    await c.rebalanceSettled();
    await createRunning(c.endpoints[0]!, "late", 1);
  });
});

describe("faults, latency and the request record", () => {
  it("an injected fault answers its status the given number of times, on the matching worker, path and method", async () => {
    const c = await start({ workers: 2 });
    c.injectFault({
      status: 503,
      message: "down for a bit",
      path: /^\/connectors/,
      method: "GET",
      worker: 1,
      times: 2,
    });
    const [a, b] = c.endpoints as [string, string];
    expect((await call(a, "GET", "/connectors")).status).toBe(200);
    expect(
      (await call(b, "POST", "/connectors", { body: { name: "x", config: mirrorConfig() } })).status,
    ).toBe(201);
    for (let i = 0; i < 2; i++) {
      const res = await call(b, "GET", "/connectors");
      expect([res.status, res.json]).toEqual([503, err(503, "down for a bit")]);
    }
    expect((await call(b, "GET", "/connectors")).status).toBe(200);
    expect(c.requests.filter((r) => r.fault).map((r) => [r.worker, r.status])).toEqual([
      [1, 503],
      [1, 503],
    ]);
    c.injectFault({ status: 500, path: "/", times: Number.POSITIVE_INFINITY });
    expect((await call(a, "GET", "/")).json).toEqual(err(500, "Injected fault"));
    expect((await call(a, "GET", "/")).status).toBe(500);
    c.clearFaults();
    expect((await call(a, "GET", "/")).status).toBe(200);
    expect(() => c.injectFault({ status: 42 })).toThrow(RangeError);
  });

  it("latency holds every request in flight before it is answered", async () => {
    const c = await start({ workers: 1 });
    c.latency(250);
    const pending = call(c.endpoints[0]!, "GET", "/");
    const inFlight = await eventually(
      async () => c.requests[0],
      (r) => r !== undefined,
    );
    expect(inFlight?.status).toBe(0); // recorded, not answered yet
    expect((await pending).status).toBe(200);
    expect(c.requests[0]?.status).toBe(200);
    c.latency(0);
    expect(() => c.latency(-1)).toThrow(RangeError);
  });

  it("a request still waiting out its latency when the cluster closes is dropped, not served after close()", async () => {
    const c = await start({ workers: 1 });
    // Only being dropped can end this request within the test's timeout.
    c.latency(60_000);
    const pending = call(c.endpoints[0]!, "POST", "/connectors", {
      body: { name: "late", config: mirrorConfig() },
    }).then(
      () => "answered",
      () => "cut",
    );
    await eventually(
      async () => c.requests.length,
      (n) => n === 1,
    );
    await c.close();
    expect(c.requests).toEqual([expect.objectContaining({ method: "POST", status: 0, dropped: true })]);
    expect(c.connector("late")).toBeUndefined();
    expect(await pending).toBe("cut");
    // Nothing is left scheduled: idle() resolves at once.
    await c.idle();
  });

  it("a request waiting out its latency on a worker that stops is dropped; the restarted worker serves anew", async () => {
    const c = await start({ workers: 2 });
    c.latency(60_000);
    const pending = call(c.endpoints[1]!, "POST", "/connectors", {
      body: { name: "late", config: mirrorConfig() },
    }).then(
      () => "answered",
      () => "cut",
    );
    await eventually(
      async () => c.requests.length,
      (n) => n === 1,
    );
    await c.restartWorker(1);
    expect(c.requests[0]).toMatchObject({ worker: 1, status: 0, dropped: true });
    expect(await pending).toBe("cut");
    c.latency(0);
    await c.rebalanceSettled();
    expect(c.connector("late")).toBeUndefined();
    expect((await call(c.endpoints[1]!, "GET", "/connectors")).json).toEqual([]);
  });

  it("recordLimit keeps only the newest records", async () => {
    const c = await start({ workers: 1, recordLimit: 3 });
    for (const path of ["/", "/connectors", "/connector-plugins", "/connectors?expand=info", "/health"]) {
      await call(c.endpoints[0]!, "GET", path);
    }
    expect(c.requests.map((r) => `${r.path}${r.query ? `?${r.query}` : ""}`)).toEqual([
      "/connector-plugins",
      "/connectors?expand=info",
      "/health",
    ]);
    await expect(start({ recordLimit: 0 })).rejects.toThrow(RangeError);
  });

  it("records worker, method, path, query, status and user of every request, never the password", async () => {
    const c = await start({ workers: 1, auth: { users: { admin: "hunter2" } } });
    const base = c.endpoints[0]!;
    await call(base, "GET", "/connectors?expand=status", { auth: ["admin", "hunter2"] });
    await call(base, "GET", "/connectors", { auth: ["admin", "wrong-pw"] });
    await call(base, "GET", "/");
    expect(c.requests.map(({ time: _t, ...r }) => r)).toEqual([
      { worker: 0, method: "GET", path: "/connectors", query: "expand=status", status: 200, user: "admin" },
      { worker: 0, method: "GET", path: "/connectors", query: "", status: 401, user: "admin" },
      { worker: 0, method: "GET", path: "/", query: "", status: 401 },
    ]);
    expect(c.requests.every((r) => typeof r.time === "number")).toBe(true);
    expect(JSON.stringify(c.requests)).not.toMatch(/hunter2|wrong-pw/);
  });

  it("close() leaves nothing listening", async () => {
    const c = await start({ workers: 2 });
    await eventually(
      () => call(c.endpoints[0]!, "GET", "/"),
      (r) => r.status === 200,
    );
    await c.close();
    for (const e of c.endpoints) await expect(fetch(`${e}/`)).rejects.toThrow();
  });
});
