import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CharmMeta } from "../../../lib/juju/index.js";
import { KafkaConnectClient } from "../../../lib/kafka-connect/index.js";
import {
  type KafkaConnectCluster,
  type KafkaConnectWorkerControl,
  loadCharmMeta,
  startKafkaConnectCluster,
  startWorkerControl,
} from "../../../lib/testing/index.js";
import { kafkaConnectCharm } from "../../../lib/testing/reference-provider/src/charm.js";
import { integratorCharm, integratorMeta, lastConnection } from "../../connect-client/support/charms.js";
import { TestModel } from "../../connect-client/support/model.js";

const CHARM_DIR = join(import.meta.dirname, "../../../lib/testing/reference-provider");
const KC = "kafka-connect";

let cluster: KafkaConnectCluster | undefined;
let control: KafkaConnectWorkerControl | undefined;
afterEach(async () => {
  await control?.close();
  await cluster?.close();
  control = cluster = undefined;
  lastConnection.clear();
});

/** Three provider units on a real emulated cluster (perWorkerFiles) and its worker control; one integrator. */
async function setup() {
  cluster = await startKafkaConnectCluster({ workers: 3, perWorkerFiles: true });
  control = await startWorkerControl(cluster);
  const url = control.url;
  const model = new TestModel();
  const meta = loadCharmMeta(CHARM_DIR) as CharmMeta;
  model.deploy(
    KC,
    kafkaConnectCharm({ controlUrl: (hook) => `${url}/workers/${Number(hook.unitName.split("/")[1])}` }),
    meta,
    3,
  );
  const peer = model.juju.relate({ app: KC, endpoint: "worker" });
  for (const u of model.unitsOf(KC)) await model.run(u, { kind: "install" });
  for (const u of model.unitsOf(KC))
    for (const other of model.unitsOf(KC).filter((o) => o !== u))
      await model.run(u, { kind: "relation-joined", relationId: peer, remoteUnit: other });
  await model.settle();
  model.deploy("integrator", integratorCharm, integratorMeta);
  model.setConfig("integrator", { "plugin-url": "NOT-REQUIRED" });
  const id = await model.integrate(
    { app: "integrator", endpoint: "connect-client" },
    { app: KC, endpoint: "connect-client" },
  );
  return { model, id };
}

const status = (model: TestModel, unit: string) => model.juju.state.units[unit]!.status;
const setTls = (model: TestModel, on: boolean) =>
  Object.assign(model.juju.state.apps[KC]!.config, { tls: on });

/** What the integrator was handed works: its user lists connectors on every endpoint, verifying the CA. */
async function connectionWorks(): Promise<void> {
  const conn = lastConnection.get("integrator/0")!;
  for (const endpoint of conn.endpoints) {
    const client = new KafkaConnectClient({
      endpoints: [endpoint],
      auth: { username: conn.username, password: conn.password },
      ...(conn.tlsCa ? { tlsCa: conn.tlsCa } : {}),
      retry: { attempts: 1 },
    });
    try {
      expect(await client.listConnectors()).toEqual([]);
    } finally {
      await client.close();
    }
  }
}

describe("the tls option", () => {
  it("each unit switches its worker at its own hook; https and the CA are published once every worker runs it; off goes back", async () => {
    const { model, id } = await setup();
    const c = cluster!;
    const http = lastConnection.get("integrator/0")!;
    expect(http.endpoints).toEqual([...c.endpoints].sort());
    expect(http.endpoints.every((e) => e.startsWith("http://"))).toBe(true);
    expect(http.tlsCa).toBeUndefined();
    await connectionWorks();

    setTls(model, true);
    const units = model.unitsOf(KC).sort();
    // One unit at a time (config-changed, then the leader's next hook), before Juju delivers the peer events
    // that would make the others switch on their next hook too.
    for (const [k, unit] of units.entries()) {
      await model.run(unit, { kind: "config-changed" });
      if (unit !== `${KC}/0`) await model.run(`${KC}/0`, { kind: "update-status" });
      expect(c.endpoints.filter((e) => e.startsWith("https://"))).toHaveLength(k + 1);
      const conn = lastConnection.get("integrator/0")!;
      if (k < units.length - 1) {
        // Not yet: what the integrator holds is still the http publication.
        expect(conn.endpoints).toEqual(http.endpoints);
        expect(conn.tlsCa).toBeUndefined();
        expect(status(model, `${KC}/0`)).toEqual({
          status: "waiting",
          message: `switching the REST listeners to https: ${k + 1} of 3 workers done`,
        });
      }
    }
    await model.settle();
    const https = lastConnection.get("integrator/0")!;
    expect(https.endpoints).toEqual(http.endpoints.map((e) => e.replace("http://", "https://")));
    expect(https.tlsCa).toBe(c.caPem);
    expect(https.username).toBe(`relation-${id}`);
    expect(https.password).toBe(http.password); // the switch is not a rotation
    await connectionWorks();
    for (const u of units) expect(status(model, u).status).toBe("active");

    // Another hook changes nothing: no restart, no republication.
    const quiet = await model.run(`${KC}/1`, { kind: "update-status" });
    await model.settle();
    expect(quiet.statusHistory.map((h) => h.status.status)).not.toContain("maintenance");
    expect(c.endpoints.every((e) => e.startsWith("https://"))).toBe(true);

    setTls(model, false);
    await model.runAll(KC, { kind: "config-changed" });
    await model.settle();
    const back = lastConnection.get("integrator/0")!;
    expect(back.endpoints).toEqual(http.endpoints);
    expect(back.tlsCa).toBeUndefined();
    await connectionWorks();
  });

  it("a unit restarting for the switch says so in its status", async () => {
    const { model } = await setup();
    setTls(model, true);
    const record = await model.run(`${KC}/1`, { kind: "config-changed" });
    expect(record.statusHistory.map((h) => h.status)).toContainEqual(
      expect.objectContaining({
        status: "maintenance",
        message: "restarting worker 1 to switch its REST listener to https",
      }),
    );
  });
});
