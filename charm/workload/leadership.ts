import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { LEADERSHIP_LEASE_MS } from "../common/workload-api.js";
import { execBounded } from "./exec.js";

/**
 * Asks Juju whether `unit` leads now. Throws when it cannot tell (juju-exec missing, timed out, …). The signal
 * aborts the question when the workload stops.
 */
export type LeadershipCheck = (unit: string, signal?: AbortSignal) => Promise<boolean>;

/** Where Juju 3 installs juju-exec on a machine: used when nothing is found on PATH. */
export const JUJU_EXEC = "/usr/bin/juju-exec";
/** Looked up on PATH in this order: Juju 3's name, then Juju 2.9's (same `-u <unit> <command>` form). */
export const JUJU_EXEC_NAMES = ["juju-exec", "juju-run"] as const;

/**
 * juju-exec's path: the first `juju-exec` on PATH, else the first `juju-run` (Juju 2.9, as Canonical's
 * postgresql and mysql charms fall back to), else /usr/bin/juju-exec. Only absolute PATH entries count: a
 * relative one would make the answer depend on the working directory. Cheap (a few stats), so callers
 * look it up at each use and a Juju upgrade that swaps the two names is followed without a restart.
 */
export function findJujuExec(env: NodeJS.ProcessEnv = process.env): string {
  const folders = (env.PATH ?? "").split(delimiter).filter((f) => f !== "" && isAbsolute(f));
  for (const name of JUJU_EXEC_NAMES) {
    for (const folder of folders) {
      const path = join(folder, name);
      if (isExecutableFile(path)) return path;
    }
  }
  return JUJU_EXEC;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The juju-exec to run: the one given (main.ts's --juju-exec), else looked up now. */
export function jujuExecPath(given: string | undefined): string {
  return given ?? findJujuExec();
}
const UNIT_NAME = /^[a-z][a-z0-9-]*\/[0-9]+$/;

export function assertUnitName(unit: string): void {
  if (!UNIT_NAME.test(unit)) throw new Error(`not a Juju unit name: ${JSON.stringify(unit.slice(0, 80))}`);
}

/** Production: `juju-exec -u <unit> is-leader --format=json`, bounded in time and output. */
export function jujuExecLeadership(options: { jujuExec?: string; timeoutMs?: number } = {}): LeadershipCheck {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (unit, signal) => {
    assertUnitName(unit);
    const r = await execBounded(jujuExecPath(options.jujuExec), ["-u", unit, "is-leader", "--format=json"], {
      timeoutMs,
      maxOutputBytes: 4096,
      ...(signal ? { signal } : {}),
    });
    if (r.timedOut) throw new Error(`is-leader gave no answer within ${timeoutMs} ms`);
    if (r.code !== 0) throw new Error(`is-leader failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`);
    const answer = r.stdout.trim();
    if (answer === "true") return true;
    if (answer === "false") return false;
    throw new Error(`is-leader answered ${JSON.stringify(answer.slice(0, 40))}`);
  };
}

/**
 * Juju guarantees leadership for 30 s after is-leader answered true, and has no "deposed" hook. So the
 * workload acts only within a lease it confirmed itself: the lease starts when the question was ASKED (the
 * answer may come late), is renewed once half of it has passed, and `mayAct` answers false once it has run
 * out: a deposed leader stops writing to Kafka Connect within 30 s even if no hook ever runs on it again.
 */
export class LeadershipLease {
  readonly #check: LeadershipCheck;
  readonly #now: () => number;
  readonly #leaseMs: number;
  #confirmedAt: number | undefined;
  #unit: string | undefined;
  #pending: Promise<boolean> | undefined;
  #lastError: string | undefined;
  readonly #stop = new AbortController();

  constructor(check: LeadershipCheck, now: () => number = Date.now, leaseMs = LEADERSHIP_LEASE_MS) {
    this.#check = check;
    this.#now = now;
    this.#leaseMs = leaseMs;
  }

  /** Why the last confirmation failed, if it did. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Within the lease now? Pure bookkeeping: never asks Juju. */
  holds(): boolean {
    return this.#confirmedAt !== undefined && this.#now() - this.#confirmedAt < this.#leaseMs;
  }

  /** Forget the lease (the hook says we are not the leader, or the unit changed). */
  drop(): void {
    this.#confirmedAt = undefined;
  }

  /**
   * The workload is stopping: a question in flight is aborted (juju-exec waits for the uniter, which is busy
   * with the very hook that stops us), and none is asked again.
   */
  close(): void {
    this.#stop.abort(new Error("the workload is stopping"));
  }

  /** Leadership confirmed within the lease, asking Juju when half of it has passed. */
  async confirm(unit: string): Promise<boolean> {
    if (unit !== this.#unit) {
      this.#unit = unit;
      this.#confirmedAt = undefined;
    }
    const age = this.#confirmedAt === undefined ? Number.POSITIVE_INFINITY : this.#now() - this.#confirmedAt;
    if (age < this.#leaseMs / 2) return true;
    if (this.#stop.signal.aborted) return this.holds();
    this.#pending ??= this.#ask(unit).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** For the reconciler before each write: renews when due; false once the lease cannot be renewed. */
  mayAct = async (): Promise<boolean> => {
    if (this.#unit === undefined) return false;
    return this.confirm(this.#unit);
  };

  async #ask(unit: string): Promise<boolean> {
    const askedAt = this.#now();
    try {
      const leader = await this.#check(unit, this.#stop.signal);
      this.#lastError = undefined;
      if (leader) this.#confirmedAt = askedAt;
      else this.#confirmedAt = undefined;
      return leader && this.holds();
    } catch (err) {
      this.#lastError = err instanceof Error ? err.message : String(err);
      // An unanswered question does not end a lease already held; it just cannot extend it.
      return this.holds();
    }
  }
}
