import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectorName } from "../../../charm/common/names.js";
import { KafkaConnectClient } from "../../../lib/kafka-connect/index.js";
import {
  type KafkaConnectCluster,
  on,
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
  peers,
  providerSecret,
  Unit,
  unitAddress,
} from "./support.js";

/** This file's unit address: the workload listens on it. */
const ADDRESS = unitAddress(2);

/**
 * MirrorMaker style with the built charm: plugin-mode not-required and no resource attached. The charm
 * publishes NOT-REQUIRED at once (nothing to serve, nothing to probe), and the workload creates the
 * MirrorMaker connectors that ship with Kafka Connect.
 */

const MIRROR = `
mirror-source:
  class: org.apache.kafka.connect.mirror.MirrorSourceConnector
  tasks-max: 2
  config:
    source.cluster.alias: east
    target.cluster.alias: west
    topics: orders.*
    replication.factor: "3"
mirror-checkpoint:
  class: org.apache.kafka.connect.mirror.MirrorCheckpointConnector
  config:
    source.cluster.alias: east
    target.cluster.alias: west
    groups: .*
`;

let built: Awaited<ReturnType<typeof buildOnce>>;
let cluster: KafkaConnectCluster;
let admin: KafkaConnectClient;
let unit: Unit;
let port: number;

beforeAll(async () => {
  built = await buildOnce("mirror");
  cluster = await startKafkaConnectCluster({ workers: 2, auth: { users: { [KC_USER]: KC_PASSWORD } } });
  admin = new KafkaConnectClient({
    endpoints: cluster.endpoints,
    auth: { username: KC_USER, password: KC_PASSWORD },
  });
  port = await freePort(ADDRESS);
  unit = new Unit(built.dispatch);
}, 120_000);

afterAll(async () => {
  await unit?.close();
  await admin?.close();
  await cluster?.close();
  built?.cleanup();
});

describe("the built integrator charm, MirrorMaker style (plugin-mode not-required)", () => {
  it("publishes NOT-REQUIRED without a resource, and the workload creates the mirror connectors", async () => {
    let state: State = {
      leader: true,
      address: ADDRESS,
      config: { ...baseConfig(port, MIRROR), "plugin-mode": "not-required" },
      relations: [connectClient(cluster), peers()],
      secrets: [providerSecret()],
    };
    state = await unit.ctx.run(on.install(), state);
    state = await unit.ctx.run(on.configChanged(), state);
    state = await unit.ctx.run(on.relationChanged(1), state);

    const rel = state.relations?.find((r) => r.id === 1);
    expect(rel?.localAppData?.["plugin-url"]).toBe("NOT-REQUIRED");
    // Nothing was looked up or copied: no resource-get, no probe target, no plugin.tar.
    expect(unit.ctx.last!.toolCalls.map((c) => (c as { tool: string }).tool)).not.toContain("resource-get");
    expect(existsSync(join(unit.stateDir, "plugin.tar"))).toBe(false);
    expect(unit.desired()?.plugin).toEqual({ mode: "not-required" });

    const modelUuid = unit.desired()!.modelUuid;
    const names = ["mirror-source", "mirror-checkpoint"].map((d) =>
      connectorName(d, { app: APP, relation: 1, modelUuid }),
    );
    await eventually(
      () => admin.listConnectors({ expand: ["status"] }).catch(() => ({})),
      (l) => {
        const s = l as Record<string, { status?: { connector: { state: string } } }>;
        return names.every((n) => s[n]?.status?.connector.state === "RUNNING");
      },
      20_000,
      (l) => ({ listed: Object.keys(l as object), log: unit.log() }),
    );
    expect(cluster.connector(names[0]!)?.config).toMatchObject({
      "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
      "tasks.max": "2",
      topics: "orders.*",
    });

    await eventually(
      async () => unit.snapshot(),
      (s) => allRunning(s, 2),
      20_000,
    );
    state = await unit.ctx.run(on.updateStatus(), state);
    expect(`${state.unitStatus?.status}: ${state.unitStatus?.message}`).toBe(
      "active: 2/2 connectors running (3/3 tasks)",
    );

    // The workload serves no plugin in this mode.
    const res = await fetch(`http://${ADDRESS}:${port}/api/v1/plugin`);
    expect(res.status).not.toBe(200);
    await res.arrayBuffer();

    // An action with params, as bundled: its params are checked by ajv, loaded on demand from a chunk.
    await unit.ctx.run(on.action("restart", { connector: "mirror-checkpoint" }), state);
    expect(unit.ctx.last!.actionResults).toMatchObject({ connector: "mirror-checkpoint" });

    const pid = unit.workloadPid()!;
    await unit.ctx.run(on.remove(), state);
    await eventually(
      async () => alive(pid),
      (a) => !a,
      10_000,
    );
  });
});
