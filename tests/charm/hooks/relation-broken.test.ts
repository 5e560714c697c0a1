import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { connectorName } from "../../../charm/common/names.js";
import { KafkaConnectClient } from "../../../lib/kafka-connect/index.js";
import {
  type KafkaConnectCluster,
  on,
  type State,
  startKafkaConnectCluster,
} from "../../../lib/testing/index.js";
import { APP, connectClient, Harness, peers, pluginFile, providerSecret } from "./support.js";

/**
 * connect-client relation-broken on the leader, against the Kafka Connect emulator: our connectors (and only
 * ours) are deleted with the access the workload last had, and the desired state stops the workload acting.
 */

const MIRROR = (alias: string) => ({
  "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
  "source.cluster.alias": alias,
  "target.cluster.alias": "west",
});

/** A cleanup client that finds nothing and counts its listings (a listing means it meant to delete). */
function countingCleanup() {
  let listed = 0;
  return {
    client: async () => ({
      listConnectors: async () => {
        listed++;
        return [];
      },
      deleteConnector: async () => undefined,
      close: async () => undefined,
    }),
    listed: () => listed,
  };
}

/** A leader serving its plugin, with no connectors declared, related to a provider that has published. */
function servingLeader(h: Harness): State {
  const plugin = Buffer.from("plugin");
  h.serves(createHash("sha512").update(plugin).digest("hex"));
  return {
    leader: true,
    config: { connectors: "" },
    resources: { "connect-plugin": pluginFile(h.stateDir, plugin, "r.tar") },
    relations: [connectClient(), peers()],
    secrets: [providerSecret()],
  };
}

let cluster: KafkaConnectCluster | undefined;
let harness: Harness | undefined;
afterEach(async () => {
  await cluster?.close();
  harness?.close();
  cluster = undefined;
  harness = undefined;
});

describe("connect-client relation-broken", () => {
  it("deletes our connectors, leaves another application's and foreign ones, and stops acting", async () => {
    cluster = await startKafkaConnectCluster({
      workers: 2,
      auth: { users: { "relation-1": "kc-password-1" } },
    });
    const h = new Harness();
    harness = h;
    const plugin = Buffer.from("plugin");
    h.serves(createHash("sha512").update(plugin).digest("hex"));
    const connectors =
      "east:\n  class: org.apache.kafka.connect.mirror.MirrorSourceConnector\n  config:\n    source.cluster.alias: east\n    target.cluster.alias: west\n";
    const base: State = {
      leader: true,
      config: { connectors },
      resources: { "connect-plugin": pluginFile(h.stateDir, plugin, "r.tar") },
      relations: [
        connectClient({
          remoteAppData: {
            endpoints: cluster.endpoints.join(","),
            "secret-user": connectClient().remoteAppData!["secret-user"]!,
          },
        }),
        peers(),
      ],
      secrets: [providerSecret()],
    };
    const s1 = await h.ctx.run(on.relationChanged(1), base);
    const d = h.desired()!;
    expect(d.kafkaConnect?.endpoints).toEqual(cluster.endpoints);

    // What the workload would have created, plus connectors that are not ours.
    const ours = connectorName("east", { app: APP, relation: 1, modelUuid: d.modelUuid });
    const oursToo = connectorName("old-one", { app: APP, relation: 1, modelUuid: d.modelUuid });
    const otherApp = connectorName("east", { app: "other-integrator", relation: 1, modelUuid: d.modelUuid });
    const otherRelation = connectorName("east", { app: APP, relation: 7, modelUuid: d.modelUuid });
    const admin = new KafkaConnectClient({
      endpoints: cluster.endpoints,
      auth: { username: "relation-1", password: "kc-password-1" },
    });
    try {
      for (const name of [ours, oursToo, otherApp, otherRelation, "hand-made"]) {
        await admin.createConnector(name, MIRROR(name.slice(0, 8)));
      }
      const out = await h.ctx.run(on.relationBroken(1), s1);

      const left = await admin.listConnectors();
      expect(left.sort()).toEqual([otherApp, otherRelation, "hand-made"].sort());
      const after = h.desired()!;
      expect(after.kafkaConnect).toBeUndefined();
      expect(after.connectors).toEqual([]);
      expect(out.unitStatus).toEqual({
        status: "blocked",
        message: `no Kafka Connect relation: juju integrate ${APP} <kafka-connect app> (deleted 2 connectors)`,
      });
      expect(h.ctx.last!.logs.map((l) => l.message).join("\n")).toContain(`deleted 2 connectors: `);
      expect(JSON.stringify(h.ctx.last!.logs)).not.toContain("kc-password-1");
    } finally {
      await admin.close();
    }
  });

  it("reports, bounded in time, when Kafka Connect cannot be reached; the hook still succeeds", async () => {
    const h = new Harness({
      cleanupClient: async () => ({
        listConnectors: async () => {
          throw new Error("connect ECONNREFUSED 127.0.0.1:1");
        },
        deleteConnector: async () => undefined,
        close: async () => undefined,
      }),
    });
    harness = h;
    const base = servingLeader(h);
    const s1 = await h.ctx.run(on.relationChanged(1), base);
    const out = await h.ctx.run(on.relationBroken(1), s1);
    expect(out.unitStatus!.message).toContain("could not delete our connectors: connect ECONNREFUSED");
    expect(h.desired()!.kafkaConnect).toBeUndefined();
  });

  it("a leader being removed (it departed the relation itself) deletes nothing and stops acting", async () => {
    const cleanup = countingCleanup();
    const h = new Harness({ cleanupClient: cleanup.client });
    harness = h;
    const base = servingLeader(h);
    const s1 = await h.ctx.run(on.relationChanged(1), base);
    expect(h.desired()!.kafkaConnect).toBeDefined();
    // remove-unit: Juju tells the leaving unit that it is the one departing, then runs its relation-broken.
    const s2 = await h.ctx.run(on.relationDeparted(1, "kafka-connect/0", `${APP}/0`), s1);
    await h.ctx.run(on.relationBroken(1), s2);
    expect(cleanup.listed()).toBe(0);
    expect(h.desired()!.kafkaConnect).toBeUndefined();
    expect(h.ctx.last!.logs.map((l) => l.message)).toContainEqual(
      expect.stringContaining("this unit is being removed): nothing deleted"),
    );
  });

  /** relation-broken on a unit whose workload never had access; counts the cleanup client's listings. */
  async function brokenWithoutAccess(leader: boolean) {
    const cleanup = countingCleanup();
    const h = new Harness({ cleanupClient: cleanup.client });
    harness = h;
    await h.ctx.run(on.relationBroken(1), {
      leader,
      relations: [connectClient(), peers()],
      secrets: [providerSecret()],
      config: { "plugin-mode": "not-required" },
    });
    return { listed: cleanup.listed(), logs: h.ctx.last!.logs };
  }

  it("a non-leader deletes nothing", async () => {
    expect((await brokenWithoutAccess(false)).listed).toBe(0);
  });

  it("a leader with no desired state on disk says it deleted nothing, and why", async () => {
    const { listed, logs } = await brokenWithoutAccess(true);
    expect(listed).toBe(0);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: "WARNING",
        message: expect.stringContaining("no connectors deleted: no readable desired state in the state dir"),
      }),
    );
  });
});
