import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusSnapshot } from "../../charm/common/snapshot.js";
import {
  credentialUsers,
  declare,
  INTEGRATOR,
  mirror,
  ours,
  startWorld,
  unitStatus,
  type World,
  waitAllRunning,
} from "./support.js";

/**
 * MirrorMaker-style: `plugin-mode: not-required`, no resource attached, mirror connectors (built into every
 * worker). One world, one story: blocked until related, then the provider installs nothing, loads the user,
 * and the connectors run.
 */

const WORKERS = 2;

let world: World;
let unit: string;
let relation: number;

beforeAll(async () => {
  const t0 = Date.now();
  world = await startWorld({ providerUnits: WORKERS });
  console.log(`world started in ${Date.now() - t0} ms`);
  [unit] = (await world.deployIntegrator(INTEGRATOR, {
    mode: "not-required",
    connectors: declare({ east: mirror("east"), south: mirror("south") }),
  })) as [string];
}, 120_000);

afterAll(async () => {
  await world?.close();
}, 60_000);

const names = () => ["east", "south"].map((d) => ours(world, INTEGRATOR, relation, d));
const relationEntries = (i: number) => {
  const root = world.kc.cluster.workerFiles(i).pluginPath;
  return existsSync(root) ? readdirSync(root).filter((d) => d.startsWith("relation-")) : [];
};

describe("MirrorMaker-style integrator: plugin-mode not-required, no resource", () => {
  it("without a resource it is not blocked on one, only on the missing relation", () => {
    expect(unitStatus(world.model, unit)).toEqual({
      current: "blocked",
      message: `no Kafka Connect relation: juju integrate ${INTEGRATOR} <kafka-connect app>`,
    });
  });

  it("integrate: NOT-REQUIRED published, the provider installs nothing, the mirror connectors run", async () => {
    const started = Date.now();
    relation = await world.model.integrate(`${INTEGRATOR}:connect-client`, `${world.kc.app}:connect-client`);
    const settled = Date.now();
    await waitAllRunning(world, INTEGRATOR, names(), 40_000);
    console.log(
      `integrate settled in ${settled - started} ms; all RUNNING and active after ${Date.now() - started} ms`,
    );

    expect(unitStatus(world.model, unit)).toEqual({
      current: "active",
      message: "2/2 connectors running (2/2 tasks)",
    });
    const data = world.model.juju.state.relations[String(relation)]!.appData;
    expect(data[INTEGRATOR]!["plugin-url"]).toBe("NOT-REQUIRED");
    for (let i = 0; i < WORKERS; i++) {
      expect(relationEntries(i)).toEqual([]);
      expect(credentialUsers(world, i)).toContain(`relation-${relation}`);
    }
    expect(world.kc.cluster.connector(names()[0]!)?.config["connector.class"]).toBe(
      "org.apache.kafka.connect.mirror.MirrorSourceConnector",
    );
    // Nothing was fetched from the integrator either (its workload counts the downloads it served).
    const snapshot = JSON.parse(
      readFileSync(join(world.stateDir(unit), "status.json"), "utf8"),
    ) as StatusSnapshot;
    expect(snapshot.pluginServer.downloads).toBe(0);
    world.secrets();
    expect(world.leaks()).toEqual([]);
  }, 60_000);
});
