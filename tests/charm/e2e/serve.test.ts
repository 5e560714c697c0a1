import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectorName } from "../../../charm/common/names.js";
import { fetchPlugin } from "../../../lib/connect-client/plugins.js";
import { KafkaConnectClient } from "../../../lib/kafka-connect/index.js";
import {
  buildPluginTarball,
  type KafkaConnectCluster,
  on,
  PLUGIN_MANIFEST_FILE,
  type State,
  startKafkaConnectCluster,
} from "../../../lib/testing/index.js";
import { eventually } from "../../support/eventually.js";
import {
  APP,
  alive,
  allRunning,
  baseConfig,
  buildOnce,
  connectClient,
  freePort,
  KC_PASSWORD,
  KC_USER,
  mirrorYaml,
  peers,
  providerSecret,
  UNIT,
  Unit,
  unitAddress,
} from "./support.js";

/**
 * The built charm in serve mode, hook after hook on one model: install and config-changed with the plugin
 * resource start the real workload; relation-changed publishes plugin-url only once the workload serves the
 * verified tarball; the workload creates the declared connectors on the Kafka Connect emulator, restarts a
 * failed task, and asks Juju (juju-exec) to run workload-changed; update-status reads what it reports;
 * relation-broken deletes our connectors only; remove stops the workload. The steps run in order on one unit.
 */

const CONNECTORS =
  mirrorYaml(["orders"]).replace("  config:", "  tasks-max: 2\n  config:") + mirrorYaml(["audit"]);

/** This file's unit address: the workload listens on it and publishes it. */
const ADDRESS = unitAddress(1);

let built: Awaited<ReturnType<typeof buildOnce>>;
let cluster: KafkaConnectCluster;
let unit: Unit;
let admin: KafkaConnectClient;
let port: number;
let blocker: Server | undefined;
let blockerHeads = 0;
let work: string;
let tarball: Buffer;
let sha512: string;
let state: State;
let modelUuid: string;

const ours = (declared: string) => connectorName(declared, { app: APP, relation: 1, modelUuid });

beforeAll(async () => {
  built = await buildOnce("serve");
  cluster = await startKafkaConnectCluster({ workers: 2, auth: { users: { [KC_USER]: KC_PASSWORD } } });
  admin = new KafkaConnectClient({
    endpoints: cluster.endpoints,
    auth: { username: KC_USER, password: KC_PASSWORD },
  });
  port = await freePort(ADDRESS);
  unit = new Unit(built.dispatch);
  work = mkdtempSync(join(tmpdir(), "kci-e2e-serve-"));
  tarball = await buildPluginTarball(
    {
      plugins: [{ class: "com.example.OrdersSink", type: "sink", version: "1.0.0" }],
    },
    { root: "orders-sink" },
  );
  sha512 = createHash("sha512").update(tarball).digest("hex");
  const resource = join(work, "plugin.tar.gz");
  writeFileSync(resource, tarball);
  state = {
    leader: true,
    address: ADDRESS,
    config: baseConfig(port, CONNECTORS),
    resources: { "connect-plugin": resource },
    relations: [connectClient(cluster), peers()],
    secrets: [providerSecret()],
  };
}, 120_000);

afterAll(async () => {
  await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
  await unit?.close();
  await admin?.close();
  await cluster?.close();
  built?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs one hook of the built charm and carries its output State to the next. */
async function hook(event: Parameters<Unit["ctx"]["run"]>[0]): Promise<State> {
  state = await unit.ctx.run(event, state);
  return state;
}

const pluginUrl = () => state.relations?.find((r) => r.id === 1)?.localAppData?.["plugin-url"];
const status = () => `${state.unitStatus?.status}: ${state.unitStatus?.message}`;

async function get(path: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(`http://${ADDRESS}:${port}${path}`);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe("the built integrator charm, serving a plugin (hooks as processes, workload as a child)", () => {
  it("install and config-changed copy the resource and start the workload", async () => {
    // Something else holds the port and answers 503: the workload cannot listen yet.
    blocker = createServer((req, res) => {
      if (req.method === "HEAD") blockerHeads++;
      res.writeHead(503).end();
    });
    await new Promise<void>((r) => blocker!.listen(port, ADDRESS, r));

    await hook(on.install());
    await hook(on.configChanged());
    const desired = unit.desired()!;
    modelUuid = desired.modelUuid;
    expect(desired.plugin).toMatchObject({ mode: "serve", sha512, size: tarball.length });
    expect(readFileSync(join(unit.stateDir, "plugin.tar")).equals(tarball)).toBe(true);
    const pid = unit.workloadPid();
    expect(pid).toBeDefined();
    expect(alive(pid!)).toBe(true);
  });

  it("relation-changed does not publish plugin-url while the port answers anything but the verified 200", async () => {
    // The workload's first cycle after config-changed must have reported the failed listen (a loaded
    // machine may run the hook first).
    await eventually(
      async () => unit.snapshot()?.pluginServer.error,
      (e) => e !== undefined,
      20_000,
      () => ({ log: unit.log() }),
    );
    await hook(on.relationChanged(1));
    expect(blockerHeads).toBeGreaterThan(0);
    expect(pluginUrl()).toBeUndefined();
    // The workload reports why it cannot serve, and the unit says what to do.
    expect(status()).toBe(
      `blocked: plugin server cannot listen on :${port}: cannot listen on ${ADDRESS}:${port}: EADDRINUSE: set plugin-port to a free port`,
    );
  });

  it("publishes plugin-url with #sha512= once the workload serves, and the URL downloads the exact bytes", async () => {
    await new Promise((r) => blocker!.close(r));
    blocker = undefined;
    // The workload retries listening every cycle (reconcile-interval 5s).
    const served = await eventually(
      () => get("/api/v1/plugin").catch(() => ({ status: 0, body: Buffer.alloc(0) })),
      (r) => r.status === 200,
      20_000,
      (r) => ({ status: r.status, log: unit.log() }),
    );
    expect(served.body.equals(tarball)).toBe(true);

    await hook(on.relationChanged(1));
    const url = pluginUrl();
    const published = new URL(url!);
    expect(published.host).toBe(`${ADDRESS}:${port}`);
    expect(`${published.pathname}${published.hash}`).toBe(`/api/v1/plugin#sha512=${sha512}`);

    // The published URL itself downloads: the server listens on the address it publishes.
    const root = join(work, "fetched");
    const fetched = await fetchPlugin({ url: url!, pluginRoot: root, relationId: 1, attempts: 1 });
    expect(fetched.sha512).toBe(sha512);
    expect(fetched.bytes).toBe(tarball.length);
    expect(readFileSync(join(fetched.dir, "orders-sink", PLUGIN_MANIFEST_FILE), "utf8")).toContain(
      "com.example.OrdersSink",
    );
  });

  it("the workload creates the declared connectors on Kafka Connect", async () => {
    const listed = await eventually(
      () => admin.listConnectors({ expand: ["status"] }).catch(() => ({})),
      (l) => {
        const s = l as Record<string, { status?: { connector: { state: string }; tasks: unknown[] } }>;
        return [ours("orders"), ours("audit")].every((n) => s[n]?.status?.connector.state === "RUNNING");
      },
      20_000,
      (l) => ({ listed: Object.keys(l as object), log: unit.log() }),
    );
    expect(Object.keys(listed).sort()).toEqual([ours("audit"), ours("orders")].sort());
    expect(cluster.connector(ours("orders"))?.config["tasks.max"]).toBe("2");
  });

  it("the workload asks Juju to run workload-changed: juju-exec -u <unit> JUJU_DISPATCH_PATH=… <charm>/dispatch", async () => {
    const expected = ["-u", UNIT, `JUJU_DISPATCH_PATH=hooks/workload-changed ${built.dir}/dispatch`];
    const dispatches = await eventually(
      async () => unit.exec.dispatches(),
      (d) => d.length > 0,
      20_000,
      (d) => ({ dispatches: d, calls: unit.exec.calls().length, log: unit.log() }),
    );
    for (const argv of dispatches) expect(argv).toEqual(expected);
    // Leadership was confirmed the same way before acting.
    expect(unit.exec.calls()).toContainEqual(["-u", UNIT, "is-leader", "--format=json"]);
    // What Juju then runs: the custom hook, through the same dispatch.
    await hook(on.custom("workload-changed"));
  });

  it("update-status renders what the workload reports", async () => {
    await eventually(
      async () => unit.snapshot(),
      (s) => allRunning(s, 2),
      20_000,
      (s) => ({ snapshot: s?.connectors, log: unit.log() }),
    );
    await hook(on.updateStatus());
    expect(status()).toBe("active: 2/2 connectors running (3/3 tasks)");
  });

  it("a task failure injected on Kafka Connect is restarted by the workload", {
    timeout: 60_000,
  }, async () => {
    const name = ours("orders");
    const before = unit.exec.dispatches().length;
    cluster.failTask(name, 1, "java.lang.RuntimeException: disk full\n\tat Sink.put");
    const restarted = await eventually(
      async () => ({ c: cluster.connector(name), s: await admin.status(name).catch(() => undefined) }),
      ({ c, s }) => (c?.taskRestarts[1] ?? 0) > 0 && s?.tasks.find((t) => t.id === 1)?.state === "RUNNING",
      40_000,
      ({ c, s }) => ({
        taskRestarts: c?.taskRestarts,
        restarts: c?.restarts,
        tasks: s?.tasks,
        log: unit.log(),
      }),
    );
    // Only the failed task was restarted: not the connector, not task 0.
    expect(restarted.c?.taskRestarts).toEqual({ 0: 0, 1: 1 });
    expect(restarted.c?.restarts).toBe(0);
    // The failure (and the recovery) changed the health digest: the workload dispatched again.
    await eventually(
      async () => unit.exec.dispatches().length,
      (n) => n > before,
      20_000,
    );
    const history = await eventually(
      async () => unit.snapshot()?.history ?? {},
      (h) => Object.keys(h).length > 0,
      20_000,
    );
    expect(Object.keys(history)).toContain(name);
  });

  it("relation-broken deletes our connectors and no one else's", async () => {
    const theirs = connectorName("orders", { app: "other-integrator", relation: 1, modelUuid });
    await admin.createConnector(theirs, {
      "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
      "source.cluster.alias": "east",
    });
    await admin.createConnector("hand-made", {
      "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
      "source.cluster.alias": "east",
    });
    await hook(on.relationBroken(1));
    // The provider's grant went with the relation.
    state = { ...state, secrets: [] };
    expect((await admin.listConnectors()).sort()).toEqual(["hand-made", theirs].sort());
    expect(unit.desired()?.kafkaConnect).toBeUndefined();
    expect(status()).toMatch(/deleted 2 connectors/);
  });

  it("remove stops the workload", async () => {
    const pid = unit.workloadPid()!;
    expect(alive(pid)).toBe(true);
    await hook(on.remove());
    await eventually(
      async () => alive(pid),
      (a) => !a,
      10_000,
    );
  });
});
