import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusSnapshot } from "../../charm/common/snapshot.js";
import {
  credentialUsers,
  declare,
  hookLines,
  INTEGRATOR,
  mirror,
  ours,
  PROVIDER,
  startWorld,
  statusLines,
  unitStatus,
  unitsOf,
  type World,
  waitAllRunning,
} from "./support.js";

/**
 * MirrorMaker-style: `plugin-mode: not-required`, no resource attached, mirror connectors (built into every
 * worker). One world, one story: blocked until related, then the provider installs nothing, loads the user,
 * and the connectors run. Then, on the same world, TLS by config: the provider's `tls` option switches its
 * workers' REST listeners between http and https at a restart and republishes once every worker made it
 * (https endpoints and the CA in `tls-ca`). The integrator follows without touching its connectors: no config
 * write, its requests now over https with the CA verified (the workers listen with one scheme only, so an
 * answered request after the switch is one that verified the certificate; our client cannot turn it off).
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

// The same world goes on: the provider's `tls` option, with the integrator already running over http.

interface Access {
  endpoints: string[];
  username: string;
  tlsCa?: string;
}

/** What the integrator's workload was told to use (its desired.json; the password is not looked at). */
function access(): Access | undefined {
  const desired = JSON.parse(readFileSync(join(world.stateDir(unit), "desired.json"), "utf8")) as {
    kafkaConnect?: Access;
  };
  return desired.kafkaConnect;
}

const configWrites = () => names().map((n) => world.kc.cluster.connector(n)?.configWrites);

/** The workers that answered (2xx) the integrator's user since `since` (it fails over, so often just one). */
function answeredSince(since: number): Set<number> {
  return new Set(
    world.kc.cluster.requests
      .filter(
        (r) => r.user === `relation-${relation}` && r.time >= since && r.status >= 200 && r.status < 300,
      )
      .map((r) => r.worker),
  );
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Switches the provider's `tls` and checks that the integrator follows; returns its access then. */
async function switchTls(on: boolean): Promise<Access> {
  const scheme = on ? "https" : "http";
  const writes = configWrites();
  const fromHook = world.model.hooks.length;
  const t0 = Date.now();
  await world.model.config(PROVIDER, { tls: on });
  const settled = Date.now();
  // Every worker restarted with the new listener by the time the model settles (config-changed on each unit).
  expect(world.kc.cluster.endpoints.every((e) => e.startsWith(`${scheme}://`))).toBe(true);
  const followed = await until(`the integrator to be handed ${scheme} endpoints`, () => {
    const a = access();
    return a?.endpoints.every((e) => e.startsWith(`${scheme}://`)) ? a : undefined;
  });
  // Its workload talks to Kafka Connect again, over the new scheme (the old one is not listened to any more).
  await until(`the integrator's requests answered over ${scheme}`, () =>
    answeredSince(settled).size > 0 ? true : undefined,
  );
  await waitAllRunning(world, INTEGRATOR, names(), 30_000);
  console.log(
    `tls=${on}: model settled in ${settled - t0} ms, integrator answered again after ${Date.now() - t0} ms\n` +
      hookLines(world.model, fromHook),
  );
  expect(configWrites()).toEqual(writes); // the connectors were not rewritten
  expect(unitStatus(world.model, unit)).toEqual({
    current: "active",
    message: "2/2 connectors running (2/2 tasks)",
  });
  for (const u of unitsOf(world.model, PROVIDER))
    expect(unitStatus(world.model, u).current, statusLines(world.model, PROVIDER).join("\n")).toBe("active");
  expect(world.leaks()).toEqual([]);
  return followed;
}

describe("the provider's tls option, end to end", () => {
  it("starts over http: no CA handed to the integrator", () => {
    const a = access()!;
    expect(a.endpoints).toEqual([...world.kc.cluster.endpoints].sort());
    expect(a.endpoints.every((e) => e.startsWith("http://"))).toBe(true);
    expect(a.tlsCa).toBeUndefined();
  });

  it("tls on: https endpoints and the CA reach the integrator; connectors keep running, none rewritten", async () => {
    const a = await switchTls(true);
    expect(a.endpoints).toEqual([...world.kc.cluster.endpoints].sort());
    expect(a.tlsCa).toBe(world.kc.cluster.caPem);
    expect(a.username).toBe(`relation-${relation}`);
  }, 60_000);

  it("tls off: back to http, the CA dropped", async () => {
    const a = await switchTls(false);
    expect(a.endpoints).toEqual([...world.kc.cluster.endpoints].sort());
    expect(a.tlsCa).toBeUndefined();
  }, 60_000);
});
