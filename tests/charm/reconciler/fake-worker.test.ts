/**
 * The reconciler against a scripted worker (fake-worker.ts): huge listings, huge traces, hostile names and a
 * worker that rewrites the configs it stores.
 */

import { afterEach, describe, expect, it } from "vitest";
import type { DesiredConnector } from "../../../charm/common/desired-state.js";
import { declaredNameOf, ownerSuffix, uuidHex } from "../../../charm/common/names.js";
import { KafkaConnectClient, type KafkaConnectClientOptions } from "../../../lib/kafka-connect/index.js";
import { Driver } from "./bed.js";
import { type FakeWorker, type FakeWorkerOptions, startFakeWorker } from "./fake-worker.js";
import { declare, desiredState, MODEL_UUID, OWNER } from "./fixtures.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setUp(
  connectors: DesiredConnector[],
  options: FakeWorkerOptions = {},
  password = "",
  clientOptions: Partial<KafkaConnectClientOptions> = {},
) {
  const worker = await startFakeWorker(options);
  const client = new KafkaConnectClient({
    endpoints: [worker.endpoint],
    timeoutMs: 30_000,
    ...clientOptions,
  });
  open.push(worker, client);
  const driver = new Driver(client, desiredState(connectors, { endpoints: [worker.endpoint], password }));
  return { worker, driver };
}

/** The connector names a request addresses (none for the listing, `GET /` and a create). */
function addressed(worker: FakeWorker, from = 0): string[] {
  return worker.requests
    .slice(from)
    .map((r) => new URL(r.url, "http://x").pathname.split("/"))
    .filter((p) => p[1] === "connectors" && p.length > 2)
    .map((p) => decodeURIComponent(p[2]!));
}

describe("listings a shared cluster may hold", () => {
  it("100k other connectors (a listing over the response cap) and names that almost match: only its own addressed", async () => {
    const hex = uuidHex(MODEL_UUID);
    const suffix = ownerSuffix(OWNER);
    const almost = [
      `orders/x${suffix}`,
      `%2e%2e${suffix}`,
      `..%2F..${suffix}`,
      `\ud800${suffix}`,
      `orders\u00e9${suffix}`,
      `ORDERS${suffix.toUpperCase()}`,
      `orders_${OWNER.app}_r${OWNER.relation}_${hex.toUpperCase()}`,
      `orders_${OWNER.app}_r${OWNER.relation}0_${hex}`,
      `orders_${OWNER.app}_r${OWNER.relation}_${hex}0`,
      `orders_x-${OWNER.app}_r${OWNER.relation}_${hex}`,
      `${OWNER.app}_r${OWNER.relation}_${hex}`,
      `a${suffix}${suffix}`,
      `${suffix}`,
      `orders${suffix} `,
      ` orders${suffix}`,
    ];
    for (const name of almost) expect(declaredNameOf(name, OWNER)).toBeUndefined();
    const bulk = Array.from({ length: 100_000 }, (_, i) => `conn-${i}_other_r${i % 9}_${hex}`);
    const orders = declare("orders");
    const { worker, driver } = await setUp([orders], { others: [...bulk, ...almost] });
    const gone = `gone${suffix}`;
    worker.stored.set(gone, { "connector.class": "x", name: gone });

    const first = await driver.cycle();
    expect(first.errors).toEqual([]);
    expect(first.deleted).toEqual([gone]);
    expect(new Set(addressed(worker))).toEqual(new Set([gone]));
    expect(worker.stored.get(orders.name)).toEqual(orders.config);

    // The oversized listing is not fetched again: names, then its own connector's config and status.
    const mark = worker.requests.length;
    const second = await driver.cycle();
    expect(second.errors).toEqual([]);
    const path = encodeURIComponent(orders.name);
    expect(worker.requests.slice(mark).map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET /connectors",
      `GET /connectors/${path}`,
      `GET /connectors/${path}/status`,
    ]);
    expect(second.requests).toBe(3);
    expect(second.observations).toMatchObject([{ name: orders.name, state: "RUNNING" }]);
  }, 60_000);

  it("a 30 MB trace becomes one masked line of at most 300 characters", async () => {
    const password = "connect-pw/é";
    const orders = declare("orders");
    const trace = `org.example.Boom: login ${encodeURIComponent(password)} refused ${"x".repeat(30_000_000)}\n\tat x`;
    const { driver } = await setUp([orders], { trace: () => trace }, password);
    await driver.cycle();
    const result = await driver.cycle();
    const observed = result.observations[0]!;
    expect(observed.trace).toBe(`org.example.Boom: login *** refused ${"x".repeat(300 - 36)}`);
    expect(JSON.stringify(result).length).toBeLessThan(5_000);
  }, 60_000);
});

describe("one connector's answer over the response cap, after the names-only fallback", () => {
  it("that connector is UNKNOWN with its error, the others are reconciled, every cycle", async () => {
    const huge = "x".repeat(8_000);
    const bigStatus = declare("big-status");
    const bigConfig = declare("big-config");
    const small = declare("small", { config: { "batch.size": "5" } });
    const { worker, driver } = await setUp(
      [bigStatus, bigConfig, small],
      {
        trace: (name) => (name === bigStatus.name ? `org.example.Boom ${huge}` : undefined),
        shape: (name, config) => (name === bigConfig.name ? { ...config, padding: huge } : config),
      },
      "",
      // The expanded listing, one status and one config are over it; names and the small ones are not.
      { maxResponseBytes: 4_096 },
    );
    for (const c of [bigStatus, bigConfig]) worker.stored.set(c.name, { ...c.config });
    worker.stored.set(small.name, { ...small.config, "batch.size": "1" });

    for (let cycle = 0; cycle < 2; cycle++) {
      const mark = worker.requests.length;
      const result = await driver.cycle();
      // No cycle-level error: Kafka Connect answered, only two of its answers were too large to read.
      expect(result.errors.filter((e) => e.connector === undefined)).toEqual([]);
      expect(result.errors.map((e) => [e.connector, e.kind])).toEqual([
        [bigStatus.name, "response-too-large"],
        [bigConfig.name, "response-too-large"],
      ]);
      expect(result.observations.map((o) => [o.name, o.state, o.error?.kind])).toEqual([
        [bigStatus.name, "UNKNOWN", "response-too-large"],
        [bigConfig.name, "UNKNOWN", "response-too-large"],
        [small.name, "RUNNING", undefined],
      ]);
      // Nothing done to what could not be read (no create over it, no PUT, no restart); the small one updated once.
      const writes = worker.requests.slice(mark).filter((r) => r.method !== "GET");
      expect(writes.map((r) => `${r.method} ${decodeURIComponent(r.url)}`)).toEqual(
        cycle === 0 ? [`PUT /connectors/${small.name}/config`] : [],
      );
    }
    expect(worker.stored.get(small.name)).toEqual(small.config);
    expect(worker.stored.get(bigConfig.name)).toEqual(bigConfig.config);
  }, 60_000);
});

describe("a worker that rewrites what it stores", () => {
  it("keys the worker adds cost no PUT; a key the operator removes still costs exactly one", async () => {
    const orders = declare("orders", { config: { "batch.size": "5" } });
    const { worker, driver } = await setUp([orders], {
      shape: (_, config) => ({ ...config, "worker.added": "default" }),
    });
    const puts = () => worker.requests.filter((r) => r.method === "PUT").length;
    for (let i = 0; i < 5; i++) await driver.cycle();
    expect(puts()).toBe(0);

    const { "batch.size": _dropped, ...config } = orders.config;
    driver.desired = { ...driver.desired, connectors: [{ ...orders, config, declarationHash: "h2" }] };
    for (let i = 0; i < 5; i++) await driver.cycle();
    expect(puts()).toBe(1);
    expect(worker.stored.get(orders.name)).toEqual(config);
  });
});
