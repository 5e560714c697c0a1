import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CharmMeta } from "../../../lib/juju/index.js";
import { KafkaConnectClient } from "../../../lib/kafka-connect/index.js";
import {
  buildPluginTarball,
  Context,
  loadCharmMeta,
  parseJavaProperties,
  startKafkaConnectCluster,
} from "../../../lib/testing/index.js";
import { kafkaConnectCharm } from "../../../lib/testing/reference-provider/src/charm.js";
import { integratorCharm, integratorMeta, lastConnection } from "../../connect-client/support/charms.js";
import { TestModel } from "../../connect-client/support/model.js";
import { type FakeControl, startFakeControl, startPluginServer } from "./support.js";

const CHARM_DIR = join(import.meta.dirname, "../../../lib/testing/reference-provider");
const KC = "kafka-connect";

let control: FakeControl;
let plugin: Awaited<ReturnType<typeof startPluginServer>>;
let model: TestModel;

beforeEach(async () => {
  const tarball = await buildPluginTarball({
    plugins: [{ class: "com.example.Sink", type: "sink", version: "1.0.0" }],
  });
  [control, plugin] = await Promise.all([startFakeControl(3), startPluginServer(tarball)]);
});
afterEach(async () => {
  await Promise.all([control.close(), plugin.close()]);
  lastConnection.clear();
});

/** Three provider units (one fake worker each), installed and peered, and one integrator app. */
async function setup(opts: { config?: Record<string, boolean> } = {}) {
  model = new TestModel();
  const meta = loadCharmMeta(CHARM_DIR) as CharmMeta;
  const charm = kafkaConnectCharm({
    controlUrl: (hook) => control.urlFor(Number(hook.unitName.split("/")[1])),
    fetch: { attempts: 1, timeoutMs: 5_000 },
  });
  model.deploy(KC, charm, meta, 3);
  Object.assign(model.juju.state.apps[KC]!.config, opts.config ?? {});
  const peer = model.juju.relate({ app: KC, endpoint: "worker" });
  for (const u of model.unitsOf(KC)) await model.run(u, { kind: "install" });
  for (const u of model.unitsOf(KC)) {
    for (const other of model.unitsOf(KC).filter((o) => o !== u)) {
      await model.run(u, { kind: "relation-joined", relationId: peer, remoteUnit: other });
    }
  }
  await model.settle();
  model.deploy("integrator", integratorCharm, integratorMeta);
  model.setConfig("integrator", { "plugin-url": plugin.url });
  return { meta, context: new Context(charm, meta, { app: KC }) };
}

function integrate(): Promise<number> {
  return model.integrate(
    { app: "integrator", endpoint: "connect-client" },
    { app: KC, endpoint: "connect-client" },
  );
}

async function users(i: number): Promise<Map<string, string>> {
  return parseJavaProperties(await readFile(control.workers[i]!.credentialsFile, "latin1"));
}

function unitStatus(unit: string) {
  return model.juju.state.units[unit]!.status;
}

describe("the reference provider charm, in-process", () => {
  it("installs the plugin and loads relation-<id> on every worker, then publishes every endpoint", async () => {
    await setup();
    const id = await integrate();
    for (const w of control.workers) {
      const dirs = await readdir(w.pluginPath);
      expect(dirs.filter((d) => d.startsWith(`relation-${id}-`))).toHaveLength(1);
      expect((await stat(w.credentialsFile)).mode & 0o777).toBe(0o600);
      expect(w.loaded.at(-1)).toContain(`relation-${id}=`);
    }
    const conn = lastConnection.get("integrator/0")!;
    expect(conn.endpoints).toEqual([
      "http://127.0.0.1:18083",
      "http://127.0.0.1:18084",
      "http://127.0.0.1:18085",
    ]);
    expect(conn.username).toBe(`relation-${id}`);
    expect(conn.password).toMatch(/^[A-Za-z0-9]{32}$/);
    for (const i of [0, 1, 2]) expect((await users(i)).get(`relation-${id}`)).toBe(conn.password);
    expect(unitStatus(`${KC}/0`)).toMatchObject({
      status: "active",
      message: "worker 0 running, 1 client(s)",
    });
  });

  it("publishes only once every worker loaded the user", async () => {
    await setup();
    control.workers[2]!.failWith = 500;
    const id = await integrate();
    expect(lastConnection.get("integrator/0")).toBeUndefined();
    expect(unitStatus(`${KC}/0`).message).toBe(`waiting for 1 of 3 workers to load relation ${id}`);
    expect(unitStatus(`${KC}/2`).status).toBe("waiting");
    // The worker comes back: the next hook on its unit restarts it, which tells the leader.
    delete control.workers[2]!.failWith;
    await model.run(`${KC}/2`, { kind: "update-status" });
    await model.settle();
    expect(lastConnection.get("integrator/0")?.username).toBe(`relation-${id}`);
  });

  it("NOT-REQUIRED: no download, credentials still loaded and published", async () => {
    await setup();
    model.setConfig("integrator", { "plugin-url": "NOT-REQUIRED" });
    const id = await integrate();
    expect(plugin.hits).toBe(0);
    for (const w of control.workers) expect(await readdir(w.pluginPath)).toEqual([]);
    expect(lastConnection.get("integrator/0")?.username).toBe(`relation-${id}`);
  });

  it("a failing download says which relation and why, and is retried on a later hook", async () => {
    await setup();
    plugin.status = 404;
    const id = await integrate();
    const status = unitStatus(`${KC}/1`);
    expect(status.status).toBe("blocked");
    expect(status.message).toContain(`relation ${id}`);
    expect(status.message).toContain("404");
    expect(lastConnection.get("integrator/0")).toBeUndefined();
    plugin.status = 200;
    for (const u of model.unitsOf(KC)) await model.run(u, { kind: "update-status" });
    await model.settle();
    expect(unitStatus(`${KC}/1`).status).toBe("active");
    expect(lastConnection.get("integrator/0")?.username).toBe(`relation-${id}`);
  });

  it("relation-broken removes exactly that relation's dir, user and secrets (relation 10's stay)", async () => {
    await setup();
    model.deploy("other", integratorCharm, integratorMeta);
    model.setConfig("other", { "plugin-url": plugin.url });
    // Relation ids 1 and 10: a `relation-1*` glob would hit both.
    const one = model.juju.relate(
      { app: "integrator", endpoint: "connect-client" },
      { app: KC, endpoint: "connect-client" },
      1,
    );
    const ten = model.juju.relate(
      { app: "other", endpoint: "connect-client" },
      { app: KC, endpoint: "connect-client" },
      10,
    );
    for (const [id, app] of [
      [one, "integrator"],
      [ten, "other"],
    ] as const) {
      for (const side of [app, KC]) await model.runAll(side, { kind: "relation-created", relationId: id });
      for (const u of model.unitsOf(KC))
        await model.run(u, { kind: "relation-joined", relationId: id, remoteUnit: `${app}/0` });
      await model.run(`${app}/0`, { kind: "relation-joined", relationId: id, remoteUnit: `${KC}/0` });
    }
    await model.settle();
    expect(lastConnection.get("other/0")?.username).toBe("relation-10");
    const secretsBefore = Object.keys(model.juju.state.secrets).length;
    await model.removeRelation(one, "integrator", KC);
    await model.settle();
    for (const [i, w] of control.workers.entries()) {
      const dirs = await readdir(w.pluginPath);
      expect(dirs.some((d) => d.startsWith("relation-1-"))).toBe(false);
      expect(dirs.filter((d) => d.startsWith("relation-10-"))).toHaveLength(1);
      const u = await users(i);
      expect([...u.keys()].sort()).toEqual(["admin", "relation-10"]);
    }
    expect(Object.keys(model.juju.state.secrets).length).toBe(secretsBefore - 1);
  });

  it("delete-connectors-on-departure: the leader deletes exactly the departing relation's connectors", async () => {
    const cluster = await startKafkaConnectCluster({ workers: 3 });
    try {
      await control.close();
      control = await startFakeControl(3, cluster.endpoints);
      await setup({ config: { "delete-connectors-on-departure": true } });
      const id = await integrate();
      // The workers load the charm's users, as a restart through the real worker control would.
      await cluster.setCredentials(Object.fromEntries(await users(0)));
      await cluster.rollingRestart();
      const admin = new KafkaConnectClient({
        endpoints: cluster.endpoints,
        auth: { username: "admin", password: (await users(0)).get("admin")! },
      });
      const hex = "0123456789abcdef0123456789abcdef";
      const names = [`jdbc_integrator_r${id}_${hex}`, `jdbc_integrator_r${id}0_${hex}`, "hand-made"];
      for (const name of names)
        await admin.createConnector(name, {
          "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
          "source.cluster.alias": "src",
        });
      await model.removeRelation(id, "integrator", KC);
      expect((await admin.listConnectors()).sort()).toEqual(["hand-made", `jdbc_integrator_r${id}0_${hex}`]);
      await admin.close();
    } finally {
      await cluster.close();
    }
  });

  it("rotate-password: a new password in every worker's file, then in the integrator's secret", async () => {
    const { context } = await setup();
    const id = await integrate();
    const before = lastConnection.get("integrator/0")!.password;
    const restarts = control.workers.map((w) => w.restarts);
    const record = await context.runOn(model.juju, `${KC}/0`, {
      kind: "action",
      action: "rotate-password",
      params: { "relation-id": id },
    });
    expect(record.committed).toBe(true);
    await queue(record);
    await model.settle();
    const after = (await users(0)).get(`relation-${id}`)!;
    expect(after).not.toBe(before);
    for (const i of [1, 2]) expect((await users(i)).get(`relation-${id}`)).toBe(after);
    expect(control.workers.map((w) => w.restarts)).toEqual(restarts.map((n) => n + 1));
    expect(lastConnection.get("integrator/0")?.password).toBe(after);
    expect(record.actionResults).toMatchObject({ user: `relation-${id}` });
    expect(JSON.stringify(record.actionResults)).not.toContain(after);
  });
});

/** Queues an out-of-band run's follow-ups on the TestModel, as Juju would. */
async function queue(record: { followUps: readonly { unit: string }[] }) {
  const { followUpEvent } = await import("../../../lib/testing/index.js");
  for (const f of record.followUps) await model.run(f.unit, followUpEvent(f as never));
}
