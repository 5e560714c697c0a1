import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DesiredState } from "../../../charm/common/desired-state.js";
import { writeFileAtomic } from "../../../charm/common/files.js";
import { connectorName } from "../../../charm/common/names.js";
import type { Reconcile, ReconcileInput, ReconcileResult } from "../../../charm/common/reconcile-api.js";
import { StatusSnapshot } from "../../../charm/common/snapshot.js";
import type { DispatchTarget } from "../../../charm/workload/events.js";
import { reconcile as realReconcile } from "../../../charm/workload/reconciler/index.js";
import {
  type ClientFactory,
  defaultClientFactory,
  startWorkload,
  type Workload,
} from "../../../charm/workload/service.js";
import { type KafkaConnectCluster, startKafkaConnectCluster } from "../../../lib/testing/index.js";
import { eventually } from "../../support/eventually.js";
import { baseDesired, captureLog, http, MODEL_UUID, tempDir, writePlugin } from "./helpers.js";

let dir: ReturnType<typeof tempDir>;
let workload: Workload | undefined;
let cluster: KafkaConnectCluster | undefined;
let dispatched: DispatchTarget[];
let log: ReturnType<typeof captureLog>;

beforeEach(() => {
  dir = tempDir("kci-workload-");
  dispatched = [];
  log = captureLog();
});
afterEach(async () => {
  await workload?.close();
  workload = undefined;
  await cluster?.close();
  cluster = undefined;
  dir.cleanup();
});

const owner = { app: "kci", relation: 3, modelUuid: MODEL_UUID };
const ACCESS = {
  relation: 3,
  endpoints: ["http://127.0.0.1:1"],
  username: "relation-3",
  password: "s3cr3t-pw",
};

function writeDesired(d: DesiredState): Promise<void> {
  return writeFileAtomic(join(dir.dir, "desired.json"), JSON.stringify(d));
}

function readSnapshot(): StatusSnapshot {
  return StatusSnapshot.parse(JSON.parse(readFileSync(join(dir.dir, "status.json"), "utf8")));
}

function emptyResult(input: ReconcileInput, over: Partial<ReconcileResult> = {}): ReconcileResult {
  return {
    observations: [],
    history: input.history,
    deleted: [],
    requests: 1,
    restarts: {},
    errors: [],
    ...over,
  };
}

/** A reconciler double that records its inputs and answers what the test says. */
function fakeReconcile(answer: (input: ReconcileInput) => Partial<ReconcileResult> = () => ({})) {
  const calls: ReconcileInput[] = [];
  const fn: Reconcile = async (input) => {
    calls.push(input);
    return emptyResult(input, answer(input));
  };
  return { fn, calls };
}

async function start(options: Partial<Parameters<typeof startWorkload>[0]> & { reconcile: Reconcile }) {
  workload = await startWorkload({
    stateDir: dir.dir,
    leadership: async () => true,
    dispatchEvent: async (t) => {
      dispatched.push(t);
    },
    listen: { host: "127.0.0.1", port: 0 },
    log,
    watch: false,
    processMetrics: false,
    eventMinIntervalMs: 0,
    ...options,
  });
  return workload;
}

describe("desired state → plugin server and snapshot", () => {
  it("serves the declared plugin, writes status.json 0600, and dispatches once it serves verified bytes", async () => {
    const plugin = writePlugin(dir.dir, 100_000);
    await writeDesired(
      baseDesired({
        leader: false,
        plugin: { mode: "serve", path: plugin.path, sha512: plugin.sha512, size: plugin.size },
      }),
    );
    const r = fakeReconcile();
    const w = await start({ reconcile: r.fn });
    await eventually(
      async () => w.snapshot()?.pluginServer.sha512,
      (s) => s === plugin.sha512,
    );
    const a = await http(w.address().port, "/api/v1/plugin");
    expect(a.status).toBe(200);
    expect(a.body.equals(plugin.data)).toBe(true);
    // Once when it first reports on this declaration (the hook that wrote it could only say "starting"),
    // once when it serves verified bytes.
    await eventually(
      async () => dispatched.length,
      (n) => n === 2,
    );
    expect(dispatched[0]).toEqual({ unit: "kci/0", charmDir: "/var/lib/juju/agents/unit-kci-0/charm" });
    await w.runCycle();
    const snap = readSnapshot();
    expect(snap).toMatchObject({ generation: 1, acting: false, connectors: [] });
    expect(snap.pluginServer).toMatchObject({ listening: true, sha512: plugin.sha512, downloads: 1 });
    expect(statSync(join(dir.dir, "status.json")).mode & 0o777).toBe(0o600);
    expect(r.calls).toHaveLength(0); // not the leader: Kafka Connect untouched
    expect(dispatched).toHaveLength(2); // nothing changed since
  });

  it("keeps the last good desired state when the file turns invalid, and says so in the snapshot", async () => {
    await writeDesired(baseDesired({ leader: false, generation: 4 }));
    const w = await start({ reconcile: fakeReconcile().fn });
    writeFileSync(join(dir.dir, "desired.json"), JSON.stringify({ ...baseDesired(), port: "eighty" }));
    await w.runCycle();
    expect(readSnapshot()).toMatchObject({ generation: 4 });
    expect(readSnapshot().desiredError).toMatch(/desired.json is invalid at port/);
    writeFileSync(join(dir.dir, "desired.json"), "{ not json");
    await w.runCycle();
    expect(readSnapshot().desiredError).toMatch(/not JSON/);
    writeFileSync(join(dir.dir, "desired.json"), Buffer.alloc(17 * 1024 * 1024, 32));
    await w.runCycle();
    expect(readSnapshot().desiredError).toMatch(/over the 16777216-byte limit/);
    await writeDesired(baseDesired({ leader: false, generation: 5 }));
    await w.runCycle();
    expect(readSnapshot().generation).toBe(5);
    expect(readSnapshot().desiredError).toBeUndefined();
  });

  it("runs a cycle soon after the hook replaces desired.json, without waiting for the interval", async () => {
    await writeDesired(baseDesired({ leader: false, reconcileIntervalMs: 3_600_000 }));
    const w = await start({ reconcile: fakeReconcile().fn, watch: true });
    expect(w.snapshot()?.generation).toBe(1);
    await writeDesired(baseDesired({ leader: false, reconcileIntervalMs: 3_600_000, generation: 2 }));
    await eventually(
      async () => readSnapshot().generation,
      (g) => g === 2,
      5000,
    );
  });
});

describe("leadership", () => {
  it("acts only as the confirmed leader, and stops within the lease once Juju no longer confirms it", async () => {
    let now = 1_000_000;
    let leader = true;
    const r = fakeReconcile();
    await writeDesired(baseDesired({ kafkaConnect: ACCESS }));
    const w = await start({
      reconcile: r.fn,
      now: () => now,
      leadership: async () => leader,
      clientFactory: () => fakeClient(),
    });
    expect(r.calls).toHaveLength(1);
    expect(w.snapshot()?.acting).toBe(true);
    expect(await r.calls[0]!.mayAct!()).toBe(true);
    // Deposed without a hook: the next confirmation (due after half the lease) says no.
    leader = false;
    now += 16_000;
    await w.runCycle();
    expect(r.calls).toHaveLength(1);
    expect(w.snapshot()).toMatchObject({ acting: false, connectors: [] });
    // And a cycle in progress is told to stop writing once the lease it started with has run out.
    expect(await r.calls[0]!.mayAct!()).toBe(false);
  });

  it("a hook's leader=false stops acting at once, without asking Juju", async () => {
    let asked = 0;
    const r = fakeReconcile();
    await writeDesired(baseDesired({ kafkaConnect: ACCESS }));
    const w = await start({
      reconcile: r.fn,
      leadership: async () => {
        asked++;
        return true;
      },
      clientFactory: () => fakeClient(),
    });
    await writeDesired(baseDesired({ kafkaConnect: ACCESS, leader: false, generation: 2 }));
    await w.runCycle();
    expect(r.calls).toHaveLength(1);
    expect(asked).toBe(1);
    expect(w.snapshot()?.acting).toBe(false);
  });

  it("carries no stale observations: when it stops acting, the snapshot lists no connectors", async () => {
    let leader = true;
    let now = 0;
    const r = fakeReconcile((input) => ({ observations: observe(input.desired, "RUNNING") }));
    await writeDesired(baseDesired({ kafkaConnect: ACCESS, connectors: [declared("orders")] }));
    const w = await start({
      reconcile: r.fn,
      now: () => now,
      leadership: async () => leader,
      clientFactory: () => fakeClient(),
    });
    expect(readSnapshot().connectors).toHaveLength(1);
    leader = false;
    now += 20_000;
    await w.runCycle();
    expect(readSnapshot()).toMatchObject({ acting: false, connectors: [] });
  });
});

describe("history, client, events", () => {
  it("merges desired.history with its own file (newest restart wins) and writes history.json", async () => {
    writeFileSync(
      join(dir.dir, "history.json"),
      JSON.stringify({
        a_x: { count: 2, lastRestartAt: 200, gaveUp: false, total: 2 },
        b_x: { count: 1, lastRestartAt: 100, gaveUp: false, total: 1 },
      }),
    );
    await writeDesired(
      baseDesired({
        kafkaConnect: ACCESS,
        history: {
          a_x: { count: 1, lastRestartAt: 100, gaveUp: false, total: 1 },
          b_x: { count: 4, lastRestartAt: 400, gaveUp: true, total: 4 },
        },
      }),
    );
    const r = fakeReconcile((input) => ({
      history: { ...input.history, c_x: { count: 1, lastRestartAt: 500, gaveUp: false, total: 1 } },
    }));
    await start({ reconcile: r.fn, clientFactory: () => fakeClient() });
    expect(r.calls[0]!.history).toEqual({
      a_x: { count: 2, lastRestartAt: 200, gaveUp: false, total: 2 },
      b_x: { count: 4, lastRestartAt: 400, gaveUp: true, total: 4 },
    });
    const written = JSON.parse(readFileSync(join(dir.dir, "history.json"), "utf8"));
    expect(Object.keys(written).sort()).toEqual(["a_x", "b_x", "c_x"]);
    expect(readSnapshot().history).toEqual(written);
    expect(statSync(join(dir.dir, "history.json")).mode & 0o777).toBe(0o600);
  });

  it("builds a new client when credentials or endpoints change (closing the old), and keeps it otherwise", async () => {
    const made: { password: string; closed: boolean }[] = [];
    const factory: ClientFactory = (access) => {
      const rec = { password: access.password, closed: false };
      made.push(rec);
      return fakeClient(() => {
        rec.closed = true;
      });
    };
    await writeDesired(baseDesired({ kafkaConnect: ACCESS }));
    const r = fakeReconcile();
    const w = await start({ reconcile: r.fn, clientFactory: factory });
    await w.runCycle();
    expect(made).toHaveLength(1);
    await writeDesired(baseDesired({ kafkaConnect: { ...ACCESS, password: "rotated" }, generation: 2 }));
    await w.runCycle();
    expect(made.map((m) => [m.password, m.closed])).toEqual([
      ["s3cr3t-pw", true],
      ["rotated", false],
    ]);
    expect(r.calls[2]!.client).not.toBe(r.calls[0]!.client);
    await writeDesired(
      baseDesired({
        kafkaConnect: { ...ACCESS, password: "rotated", endpoints: ["http://127.0.0.1:2"] },
        generation: 3,
      }),
    );
    await w.runCycle();
    expect(made).toHaveLength(3);
  });

  it("dispatches the custom event once per health change, and masks secrets in logs and snapshot", async () => {
    let failed = false;
    const secretValue = "db-pass-42";
    const r = fakeReconcile((input) => ({
      observations: observe(
        input.desired,
        failed ? "FAILED" : "RUNNING",
        `java.sql.SQLException: bad ${secretValue}`,
      ),
      errors: failed ? [{ kind: "unauthorized", message: `denied for s3cr3t-pw` }] : [],
    }));
    const d = baseDesired({
      kafkaConnect: ACCESS,
      connectors: [declared("orders", { "connection.password": secretValue })],
    });
    await writeDesired(d);
    const w = await start({ reconcile: r.fn, clientFactory: () => fakeClient() });
    await w.notifier.idle();
    // Its first report on the declaration, then acting + converged (health changed again): two events.
    const afterStart = dispatched.length;
    expect(afterStart).toBe(2);
    await w.runCycle();
    await w.notifier.idle();
    expect(dispatched).toHaveLength(afterStart);
    failed = true;
    await w.runCycle();
    await w.runCycle();
    await w.notifier.idle();
    expect(dispatched).toHaveLength(afterStart + 1);
    failed = false;
    await w.runCycle();
    await w.notifier.idle();
    expect(dispatched).toHaveLength(afterStart + 2);

    failed = true;
    await w.runCycle();
    const text = readFileSync(join(dir.dir, "status.json"), "utf8");
    expect(text).toContain("java.sql.SQLException: bad ***");
    expect(text).not.toContain(secretValue);
    expect(text).not.toContain("s3cr3t-pw");
    expect(log.lines.join("\n")).toContain("denied for ***");
    expect(log.lines.join("\n")).not.toMatch(/s3cr3t-pw|db-pass-42/);
  });
});

describe("against the Kafka Connect emulator, with the real reconciler", () => {
  it("creates what is declared, counts REST requests by code, and recovers from a 401 after rotation", async () => {
    cluster = await startKafkaConnectCluster({
      workers: 2,
      auth: { users: { "relation-3": "old-pw" } },
      timing: { assignMs: 1, startMs: 1, restartMs: 1, settleMs: 1, rebalanceMs: 10 },
    });
    const access = {
      relation: 3,
      endpoints: [...cluster.endpoints],
      username: "relation-3",
      password: "old-pw",
    };
    const connectors = ["alpha", "beta"].map((n) => declared(n));
    await writeDesired(baseDesired({ kafkaConnect: access, connectors, reconcileIntervalMs: 3_600_000 }));
    const w = await start({ reconcile: realReconcile, clientFactory: defaultClientFactory });
    await eventually(
      async () => {
        await w.runCycle();
        return readSnapshot().connectors.map((c) => c.state);
      },
      (s) => s.length === 2 && s.every((x) => x === "RUNNING"),
    );
    expect(Object.keys(cluster.connector(connectors[0]!.name)?.config ?? {})).toContain("connector.class");

    // The provider rotates the password: workers restart with the new file; our old client gets 401s.
    cluster.setCredentials({ "relation-3": "new-pw" });
    await cluster.rollingRestart();
    await w.runCycle();
    expect(readSnapshot().kafkaConnect).toMatchObject({ reachable: false, error: { kind: "unauthorized" } });
    // The hook resolves the new secret and writes it: the next cycle uses it, no connector restarted.
    const restartsBefore = connectors.map((c) => cluster!.connector(c.name)!.restarts);
    await writeDesired(
      baseDesired({
        kafkaConnect: { ...access, password: "new-pw" },
        connectors,
        generation: 2,
        reconcileIntervalMs: 3_600_000,
      }),
    );
    await w.runCycle();
    expect(readSnapshot().kafkaConnect).toMatchObject({ reachable: true });
    expect(connectors.map((c) => cluster!.connector(c.name)!.restarts)).toEqual(restartsBefore);

    const metrics = (await http(w.address().port, "/metrics")).body.toString();
    expect(metrics).toMatch(/kafka_connect_integrator_rest_requests_total\{code="200"\} [1-9]/);
    expect(metrics).toMatch(/kafka_connect_integrator_rest_requests_total\{code="401"\} [1-9]/);
    expect(metrics).toMatch(
      /kafka_connect_integrator_connector_state\{connector="alpha",name="alpha_kci_r3_[0-9a-f]{32}",state="RUNNING"\} 1/,
    );
    expect(metrics).toMatch(/kafka_connect_integrator_connector_tasks_running\{connector="beta",[^}]*\} 1/);
    expect(metrics).toMatch(/kafka_connect_integrator_leader 1/);
    expect(metrics).toMatch(/kafka_connect_integrator_reconcile_errors_total\{kind="unauthorized"\} [1-9]/);
    expect(metrics).not.toContain("new-pw");
    expect(log.lines.join("\n")).not.toMatch(/old-pw|new-pw/);
  });
});

// ---- helpers ------------------------------------------------------------------------------------------------

function declared(name: string, extra: Record<string, string> = {}) {
  const full = connectorName(name, owner);
  return {
    declared: name,
    name: full,
    config: {
      "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
      "tasks.max": "1",
      "source.cluster.alias": "a",
      name: full,
      ...extra,
    },
    state: "running" as const,
    declarationHash: `h-${name}`,
    secretKeys: Object.keys(extra),
  };
}

function observe(desired: DesiredState, state: "RUNNING" | "FAILED", trace?: string) {
  return desired.connectors.map((c) => ({
    declared: c.declared,
    name: c.name,
    desired: c.state,
    state,
    ...(state === "FAILED" && trace ? { trace } : {}),
    tasks: [{ id: 0, state }],
  }));
}

/** The reconciler doubles never call the client; only close() matters to the loop. */
function fakeClient(onClose: () => void = () => undefined) {
  return { close: async () => onClose() } as unknown as ReturnType<ClientFactory>;
}
