import type { RestartPolicy, RestartRecord } from "../../common/desired-state.js";

/**
 * Auto-restart bookkeeping, pure. Strimzi's schedule (restart n waits min(n² + n, 60) units after restart n−1,
 * so 0, 2, 6, 12, 20, 30, 42, 56, 60, 60, … units) with a configurable unit, a cap that gives up, and a reset
 * after a healthy period. The record lives in peer data, so the schedule survives a workload restart and a
 * leader change; every time here comes from the injected clock.
 */

/** The wait before restart number `count` (from 0) of a streak. */
export function backoffMs(count: number, unitMs: number): number {
  return Math.min(count * count + count, 60) * unitMs;
}

/**
 * What one observation says about a connector's health:
 * - `failing`: the connector or a task is FAILED;
 * - `transient`: UNASSIGNED or RESTARTING somewhere (a rebalance, a restart in flight): judge it next cycle;
 * - `healthy`: everything else (RUNNING, PAUSED, STOPPED).
 */
export type Health = "healthy" | "failing" | "transient";

export interface UnitStates {
  readonly connector: string;
  readonly tasks: readonly string[];
}

const TRANSIENT = new Set(["UNASSIGNED", "RESTARTING"]);

export function healthOf({ connector, tasks }: UnitStates): Health {
  if (TRANSIENT.has(connector)) return "transient";
  if (connector === "FAILED" || tasks.includes("FAILED")) return "failing";
  return tasks.some((t) => TRANSIENT.has(t)) ? "transient" : "healthy";
}

export interface RestartInput {
  readonly previous: RestartRecord | undefined;
  readonly health: Health;
  /** The effective desired state is `running`: only then is a failure restarted. */
  readonly meantToRun: boolean;
  readonly declarationHash: string;
  readonly now: number;
  readonly policy: RestartPolicy;
}

export interface RestartDecision {
  /** The record after this observation, without the restart (what stays true if the restart is not made). */
  readonly record: RestartRecord | undefined;
  /** Set when a restart is due: the record once it is made. */
  readonly restarted?: RestartRecord;
}

/** One cycle's decision for one connector. */
export function decideRestart(input: RestartInput): RestartDecision {
  const { health, now, policy, declarationHash } = input;
  let record = input.previous && sane(input.previous, now);
  // Nothing to remember for a connector that never needed (or could not get) a restart.
  if (record === undefined && (health !== "failing" || !policy.enabled || !input.meantToRun)) {
    return { record: undefined };
  }
  record ??= { count: 0, gaveUp: false, total: 0, declarationHash };
  if (record.declarationHash === undefined) {
    // A record from before hashes were kept: adopt the current declaration rather than reset on a guess.
    record = { ...record, declarationHash };
  } else if (record.declarationHash !== declarationHash) {
    // A new declaration is a new connector as far as the streak goes (Strimzi resets on a spec change too).
    record = fresh(record, declarationHash);
  }

  if (health === "transient") return { record };
  if (health === "healthy") {
    const healthySince = record.healthySince ?? now;
    const streak = record.count > 0 || record.gaveUp;
    if (streak && now - healthySince >= backoffMs(record.count, policy.backoffUnitMs)) {
      return { record: { ...fresh(record, declarationHash), healthySince } };
    }
    return { record: { ...record, healthySince } };
  }

  // Failing.
  const { healthySince: _ended, ...failing } = record;
  record = failing;
  if (!policy.enabled || !input.meantToRun || record.gaveUp) return { record };
  if (policy.maxRestarts > 0 && record.count >= policy.maxRestarts) {
    return { record: { ...record, gaveUp: true } };
  }
  const due =
    record.lastRestartAt === undefined ||
    now - record.lastRestartAt >= backoffMs(record.count, policy.backoffUnitMs);
  if (!due) return { record };
  return {
    record,
    restarted: { ...record, count: record.count + 1, total: record.total + 1, lastRestartAt: now },
  };
}

/**
 * A record as it may arrive from peer data or a clock that went back, made usable: counts that are not
 * non-negative integers become 0, and a time that is unreadable or in the future becomes `now`. Otherwise a
 * `lastRestartAt` a year ahead would stop restarts for a year (and NaN for ever); clamped, it costs one backoff.
 */
function sane(record: RestartRecord, now: number): RestartRecord {
  const count = (n: number) => (Number.isSafeInteger(n) && n >= 0 ? n : 0);
  const time = (t: number | undefined) =>
    t === undefined ? undefined : Number.isFinite(t) && t <= now ? t : now;
  const lastRestartAt = time(record.lastRestartAt);
  const healthySince = time(record.healthySince);
  return {
    ...record,
    count: count(record.count),
    total: count(record.total),
    gaveUp: record.gaveUp === true,
    ...(lastRestartAt === undefined ? {} : { lastRestartAt }),
    ...(healthySince === undefined ? {} : { healthySince }),
  };
}

/** A new streak: count and give-up cleared; the lifetime total and the last restart time kept. */
function fresh(record: RestartRecord, declarationHash: string): RestartRecord {
  return {
    count: 0,
    gaveUp: false,
    total: record.total,
    declarationHash,
    ...(record.lastRestartAt === undefined ? {} : { lastRestartAt: record.lastRestartAt }),
  };
}

/** When the next restart may be made (epoch ms), for status and tests; undefined when none is pending. */
export function nextRestartAt(record: RestartRecord, policy: RestartPolicy): number | undefined {
  if (record.gaveUp || record.lastRestartAt === undefined) return undefined;
  return record.lastRestartAt + backoffMs(record.count, policy.backoffUnitMs);
}
