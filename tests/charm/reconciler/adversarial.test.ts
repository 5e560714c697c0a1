/**
 * The planner and the restart policy against what a broken cluster, a skewed clock or bad peer data hands
 * them: pure, no I/O, no real clock.
 */

import { describe, expect, it } from "vitest";
import type { DesiredConnector, RestartRecord } from "../../../charm/common/desired-state.js";
import type { ObservedConnector } from "../../../charm/workload/reconciler/observe.js";
import { type PlanInput, plan } from "../../../charm/workload/reconciler/planner.js";
import { maskerFor } from "../../../charm/workload/reconciler/report.js";
import { backoffMs, decideRestart } from "../../../charm/workload/reconciler/restart-policy.js";
import { declare, observedMap, POLICY, seen, UNIT_MS } from "./fixtures.js";

const T0 = 1_700_000_000_000;
const YEAR_MS = 365 * 24 * 3600 * 1000;

function planFor(
  connectors: DesiredConnector[],
  observed: ObservedConnector[],
  more: Partial<Omit<PlanInput, "connectors" | "observed">> = {},
) {
  return plan({
    connectors,
    observed: observedMap(...observed),
    holds: {},
    history: {},
    now: T0,
    policy: POLICY,
    workerVersion: "3.9.0",
    mask: maskerFor({ connectors, kafkaConnect: undefined }),
    ...more,
  });
}

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
