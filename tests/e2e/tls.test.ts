import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
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
 * TLS by config: the provider's `tls` option switches its workers' REST listeners between http and https at a
 * restart, and republishes once every worker made it (https endpoints and the CA in `tls-ca`). The integrator
 * follows without touching its connectors: same connectors, no config write, its requests now over https with
 * the CA verified (the workers listen with one scheme only, so an answered request after the switch is one
 * that verified the certificate; verification cannot be turned off in our client).
 */

const WORKERS = 2;

let world: World;
let unit: string;
let relation: number;

beforeAll(async () => {
  const t0 = Date.now();
  world = await startWorld({ providerUnits: WORKERS });
  [unit] = (await world.deployIntegrator(INTEGRATOR, {
    mode: "not-required",
    connectors: declare({ east: mirror("east"), south: mirror("south") }),
  })) as [string];
  relation = await world.model.integrate(`${INTEGRATOR}:connect-client`, `${PROVIDER}:connect-client`);
  await waitAllRunning(world, INTEGRATOR, names(), 40_000);
  console.log(`world started, connectors running over http after ${Date.now() - t0} ms`);
}, 120_000);

afterAll(async () => {
  await world?.close();
}, 60_000);

const names = () => ["east", "south"].map((d) => ours(world, INTEGRATOR, relation, d));

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
