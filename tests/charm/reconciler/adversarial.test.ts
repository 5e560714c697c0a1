/**
 * The planner and the restart policy against what a broken cluster, a skewed clock or bad peer data hands
 * them: pure, no I/O, no real clock.
 */

import { describe, expect, it } from "vitest";
import type { RestartRecord } from "../../../charm/common/desired-state.js";
import { MAX_VERSION_CHARS, workerVersion } from "../../../charm/workload/reconciler/observe.js";
import { maskerFor } from "../../../charm/workload/reconciler/report.js";
import { backoffMs, decideRestart } from "../../../charm/workload/reconciler/restart-policy.js";
import type { KafkaConnectClient } from "../../../lib/kafka-connect/index.js";
import { declare, POLICY, planFor, seen, T0, UNIT_MS } from "./fixtures.js";

const YEAR_MS = 365 * 24 * 3600 * 1000;

const failing = { health: "failing", meantToRun: true, declarationHash: "h", policy: POLICY } as const;
const healthy = { ...failing, health: "healthy" } as const;

describe("restart history from peer data or a skewed clock", () => {
  it("a lastRestartAt in the future (clock went back, or peer data) delays restarts by one backoff at most", () => {
    for (const ahead of [10 * UNIT_MS, YEAR_MS, 8.64e15 - T0]) {
      const previous: RestartRecord = {
        count: 1,
        gaveUp: false,
        total: 1,
        declarationHash: "h",
        lastRestartAt: T0 + ahead,
      };
      const first = decideRestart({ ...failing, previous, now: T0 });
      expect(first.restarted).toBeUndefined();
      const later = decideRestart({ ...failing, previous: first.record, now: T0 + backoffMs(1, UNIT_MS) });
      expect(later.restarted).toMatchObject({ count: 2, lastRestartAt: T0 + backoffMs(1, UNIT_MS) });
    }
  });

  it("a healthySince in the future still resets the streak one backoff after now, not after it", () => {
    const previous: RestartRecord = {
      count: 3,
      gaveUp: true,
      total: 9,
      declarationHash: "h",
      lastRestartAt: T0 - UNIT_MS,
      healthySince: T0 + YEAR_MS,
    };
    const first = decideRestart({ ...healthy, previous, now: T0 });
    const later = decideRestart({ ...healthy, previous: first.record, now: T0 + backoffMs(3, UNIT_MS) });
    expect(later.record).toMatchObject({ count: 0, gaveUp: false, total: 9 });
  });

  it("absurd numbers (negative, NaN, infinite) give a sane record and the schedule still works", () => {
    const previous = {
      count: -5,
      gaveUp: false,
      total: Number.NaN,
      declarationHash: "h",
      lastRestartAt: Number.NaN,
      healthySince: Number.POSITIVE_INFINITY,
    } as RestartRecord;
    const first = decideRestart({ ...failing, previous, now: T0 });
    const firstRecord = first.restarted ?? first.record!;
    for (const value of [firstRecord.count, firstRecord.total, firstRecord.lastRestartAt ?? 0]) {
      expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
    }
    // At most one backoff (of the worst count) later, a restart is made.
    const later = decideRestart({
      ...failing,
      previous: firstRecord,
      now: T0 + backoffMs(60, UNIT_MS),
    });
    expect(first.restarted ?? later.restarted).toBeDefined();
    expect(Number.isSafeInteger((later.restarted ?? later.record)!.count)).toBe(true);
  });

  it("a flapping connector keeps its streak: healthy for less than the backoff between failures", () => {
    let record: RestartRecord | undefined;
    let now = T0;
    const restarts: number[] = [];
    // FAILED, RUNNING, FAILED, RUNNING … observed every 5 units: one healthy sighting is no healthy period.
    for (let i = 0; i < 100; i++) {
      const decision = decideRestart({
        ...failing,
        health: i % 2 ? "healthy" : "failing",
        previous: record,
        now,
      });
      record = decision.restarted ?? decision.record;
      if (decision.restarted) restarts.push(decision.restarted.count);
      now += 5 * UNIT_MS;
    }
    expect(record).toMatchObject({ gaveUp: true, count: POLICY.maxRestarts });
    expect(restarts).toEqual(Array.from({ length: POLICY.maxRestarts }, (_, i) => i + 1));
  });
});

describe("configs as a worker shows them", () => {
  it("a stored config without `name` (the worker left it out) is not a difference", () => {
    const orders = declare("orders", { config: { "batch.size": "5" } });
    const { name: _n, ...stored } = orders.config;
    const result = planFor([orders], [seen(orders, "RUNNING", ["RUNNING"], { config: stored })]);
    expect(result.actions).toEqual([]);
  });

  it("a stored `name` that differs is still a difference", () => {
    const orders = declare("orders");
    const stored = { ...orders.config, name: "someone-else" };
    const result = planFor([orders], [seen(orders, "RUNNING", ["RUNNING"], { config: stored })]);
    expect(result.actions).toMatchObject([{ kind: "update", changedKeys: ["name"] }]);
  });
});

describe("holds", () => {
  it("a stale hold under the declared name does not hide a current one under the Kafka Connect name", () => {
    const orders = declare("orders");
    const holds = {
      orders: { state: "stopped" as const, declarationHash: "old-hash", since: "2026-01-01T00:00:00Z" },
      [orders.name]: {
        state: "paused" as const,
        declarationHash: orders.declarationHash,
        since: "2026-01-02",
      },
    };
    const result = planFor([orders], [seen(orders, "RUNNING", ["RUNNING"])], { holds });
    expect(result.actions).toMatchObject([{ kind: "pause" }]);
    expect(result.observations[0]).toMatchObject({ held: "paused", desired: "paused" });
  });
});

describe("masking", () => {
  const secret = "p@ss/w0rd é&=+";
  const orders = declare("orders", { config: { "db.password": secret }, secretKeys: ["db.password"] });
  const mask = maskerFor({
    connectors: [orders],
    kafkaConnect: { relation: 7, endpoints: ["http://x"], username: "u", password: "connect pw/1" },
  });

  it("masks secrets and the password in their URL-encoded forms too", () => {
    const url = `jdbc:postgresql://db/x?password=${encodeURIComponent(secret)}&user=a`;
    expect(mask(`connect to ${url} failed`)).toBe(
      "connect to jdbc:postgresql://db/x?password=***&user=a failed",
    );
    const form = `user=u&password=${new URLSearchParams({ p: "connect pw/1" }).toString().slice(2)}`;
    expect(mask(form)).toBe("user=u&password=***");
    expect(mask(encodeURIComponent("connect pw/1"))).toBe("***");
  });

  it("masks an encoded secret that starts within the kept first 300 characters", () => {
    const encoded = encodeURIComponent(secret);
    const text = `${"x".repeat(290)}${encoded}`;
    expect(mask(text)).toBe(`${"x".repeat(290)}***`);
  });

  it("masks what the planner reports of the worker (its version included) and bounds it", () => {
    const stopped = { ...orders, state: "stopped" as const };
    const version = `3.4.0-${secret}-${"y".repeat(100_000)}`;
    const result = planFor([stopped], [seen(stopped, "RUNNING", ["RUNNING"])], {
      workerVersion: version,
      mask,
    });
    const text = JSON.stringify(result.notes);
    expect(text).not.toContain(secret);
    expect(text.length).toBeLessThan(1_000);
  });

  it("builds a masker for a secret holding a lone surrogate (encodeURIComponent refuses it)", () => {
    const odd = declare("odd", { config: { k: "a\ud800b" }, secretKeys: ["k"] });
    const masker = maskerFor({ connectors: [odd], kafkaConnect: undefined });
    expect(masker("value a\ud800b here")).toBe("value *** here");
  });

  it("keeps the worker's version to one short line", async () => {
    const client = {
      serverInfo: async () => ({
        version: `3.9.0\n${"z".repeat(50_000)}`,
        commit: "c",
        kafka_cluster_id: "k",
      }),
    } as unknown as KafkaConnectClient;
    expect(await workerVersion(client, { requests: 0 })).toBe("3.9.0");
    const long = {
      serverInfo: async () => ({ version: "9".repeat(10_000) }),
    } as unknown as KafkaConnectClient;
    expect((await workerVersion(long, { requests: 0 })).length).toBeLessThanOrEqual(MAX_VERSION_CHARS);
  });
});
