import type { StatusSnapshot } from "../common/snapshot.js";
import { WORKLOAD_EVENT } from "../common/workload-api.js";
import { execBounded } from "./exec.js";
import { assertUnitName, jujuExecPath } from "./leadership.js";
import type { WorkloadLog } from "./log.js";

/** Where to send the custom hook: the unit and the charm folder, from the desired state. */
export interface DispatchTarget {
  readonly unit: string;
  readonly charmDir: string;
}

/** Runs the `workload-changed` hook on the unit; throws when it could not. The signal aborts it (stopping). */
export type DispatchEvent = (target: DispatchTarget, signal?: AbortSignal) => Promise<void>;

// juju-exec runs its command through a shell on the unit: the folder is checked, never quoted around.
const SAFE_PATH = /^\/[A-Za-z0-9._/@+-]+$/;

/** The one command line juju-exec runs (the pattern Canonical's postgresql and mysql charms use). */
export function dispatchArgv(target: DispatchTarget, event = WORKLOAD_EVENT): string[] {
  assertUnitName(target.unit);
  if (!SAFE_PATH.test(target.charmDir) || target.charmDir.split("/").includes("..")) {
    throw new Error(
      `charm folder ${JSON.stringify(target.charmDir.slice(0, 120))} is not a plain absolute path`,
    );
  }
  const dispatch = `${target.charmDir.replace(/\/+$/, "")}/dispatch`;
  return ["-u", target.unit, `JUJU_DISPATCH_PATH=hooks/${event} ${dispatch}`];
}

/** Production: `juju-exec -u <unit> "JUJU_DISPATCH_PATH=hooks/workload-changed <charmDir>/dispatch"`. */
export function jujuExecDispatch(options: { jujuExec?: string; timeoutMs?: number } = {}): DispatchEvent {
  // The uniter serialises juju-exec with hooks: a long hook before ours is waited for, within reason.
  const timeoutMs = options.timeoutMs ?? 120_000;
  return async (target, signal) => {
    const r = await execBounded(jujuExecPath(options.jujuExec), dispatchArgv(target), {
      ...(signal ? { signal } : {}),
      timeoutMs,
      maxOutputBytes: 16 * 1024,
    });
    if (r.timedOut) throw new Error(`juju-exec gave no answer within ${timeoutMs} ms`);
    if (r.code !== 0) {
      throw new Error(`juju-exec failed (exit ${r.code ?? r.signal}): ${r.stderr.trim().slice(0, 300)}`);
    }
  };
}

/**
 * What the charm's status is made of, reduced to what deserves a hook now: the plugin server serving verified
 * bytes (the hook publishes plugin-url only then), Kafka Connect reachability, acting or not, the set of
 * FAILED connectors and tasks, restarts given up, and whether every connector reached what is asked of it.
 * Counts and timestamps are left out on purpose: they change every cycle.
 */
export interface HealthDigest {
  readonly serving: boolean;
  readonly acting: boolean;
  readonly reachable: boolean | null;
  readonly failed: readonly string[];
  readonly gaveUp: readonly string[];
  readonly converged: boolean;
  /**
   * The declaration the snapshot reflects: a hook that changed it rendered status from the older snapshot,
   * so the first cycle on a new generation must tell Juju again, even when health looks the same.
   */
  readonly generation: number;
}

export function healthDigest(snapshot: StatusSnapshot): HealthDigest {
  const failed: string[] = [];
  let converged = true;
  for (const c of snapshot.connectors) {
    if (c.state === "FAILED") failed.push(c.name);
    for (const t of c.tasks) if (t.state === "FAILED") failed.push(`${c.name}#${t.id}`);
    const want = (c.held ?? c.desired).toUpperCase();
    if (c.state !== want) converged = false;
    else if (want === "RUNNING" && c.tasks.some((t) => t.state !== "RUNNING")) converged = false;
  }
  const gaveUp = Object.entries(snapshot.history)
    .filter(([, r]) => r.gaveUp)
    .map(([name]) => name);
  return {
    serving: snapshot.pluginServer.listening && snapshot.pluginServer.sha512 !== undefined,
    acting: snapshot.acting,
    reachable: snapshot.kafkaConnect?.reachable ?? null,
    failed: failed.sort(),
    gaveUp: gaveUp.sort(),
    converged,
    generation: snapshot.generation,
  };
}

export const QUIET_DIGEST: HealthDigest = {
  serving: false,
  acting: false,
  reachable: null,
  failed: [],
  gaveUp: [],
  converged: true,
  generation: 0,
};

export function digestKey(d: HealthDigest): string {
  return JSON.stringify(d);
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Referenced timers: the loop's next cycle is what keeps the service alive while nothing else runs. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface NotifierOptions {
  readonly dispatch: DispatchEvent;
  readonly log: WorkloadLog;
  readonly now?: () => number;
  readonly timers?: Timers;
  /** At most one dispatch started per this many ms (default 5 s). */
  readonly minIntervalMs?: number;
}

/**
 * Dispatches the custom hook when the health digest changes: at most one in flight and at most one per
 * `minIntervalMs`; changes meanwhile are coalesced into one later dispatch of the newest digest, and a change
 * that reverts before it goes out sends nothing. A failed dispatch is logged and retried on the next notify.
 */
export class HealthNotifier {
  readonly #o: Required<Omit<NotifierOptions, "timers" | "now">> & { timers: Timers; now: () => number };
  #sent = digestKey(QUIET_DIGEST);
  #current = this.#sent;
  #target: DispatchTarget | undefined;
  #inFlight: Promise<void> | undefined;
  #lastStart = Number.NEGATIVE_INFINITY;
  #timer: unknown;
  #closed = false;
  readonly #stop = new AbortController();
  /** Dispatches started (for tests and metrics). */
  dispatched = 0;

  constructor(options: NotifierOptions) {
    this.#o = {
      dispatch: options.dispatch,
      log: options.log,
      minIntervalMs: options.minIntervalMs ?? 5000,
      timers: options.timers ?? realTimers,
      now: options.now ?? Date.now,
    };
  }

  notify(digest: HealthDigest, target: DispatchTarget): void {
    if (this.#closed) return;
    this.#current = digestKey(digest);
    this.#target = target;
    this.#pump();
  }

  /** Resolves once nothing is in flight. */
  async idle(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
  }

  /**
   * No further dispatch; one in flight is aborted, not awaited for its 120 s: while the unit runs a hook
   * (the `remove` that stops us, say), the uniter holds juju-exec until that hook ends, and the hook waits
   * for us to exit.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stop.abort(new Error("the workload is stopping"));
    await this.idle();
  }

  #pump(): void {
    if (this.#closed || this.#inFlight || this.#timer !== undefined) return;
    if (this.#current === this.#sent || !this.#target) return;
    const wait = this.#lastStart + this.#o.minIntervalMs - this.#o.now();
    if (wait > 0) {
      this.#timer = this.#o.timers.setTimeout(() => {
        this.#timer = undefined;
        this.#pump();
      }, wait);
      return;
    }
    const key = this.#current;
    const previous = this.#sent;
    const target = this.#target;
    this.#sent = key;
    this.#lastStart = this.#o.now();
    this.dispatched++;
    this.#inFlight = Promise.resolve()
      .then(() => this.#o.dispatch(target, this.#stop.signal))
      .then(
        () => {
          this.#o.log.info(`dispatched the workload-changed hook on ${target.unit}`);
          this.#inFlight = undefined;
          this.#pump();
        },
        (err: unknown) => {
          // Retried on the next notify (the next cycle), not in a tight loop while juju-exec keeps failing.
          if (this.#sent === key) this.#sent = previous;
          this.#o.log.warn(
            `could not dispatch workload-changed: ${err instanceof Error ? err.message : err}`,
          );
          this.#inFlight = undefined;
        },
      );
  }
}
