import { realTimers, type Timers } from "./events.js";
import { describeError, type WorkloadLog } from "./log.js";

export interface CycleLoopOptions {
  /** One cycle; the signal fires when the loop stops. */
  readonly run: (signal: AbortSignal) => Promise<void>;
  /** Read before scheduling each next cycle (the desired state may change it). */
  readonly intervalMs: () => number;
  /** A burst of triggers (a hook writes, renames, touches) becomes one cycle this long after the first. */
  readonly debounceMs?: number;
  /**
   * A triggered cycle starts at least this long after the previous one ended (default 0): a desired state
   * that flaps must not run cycles back-to-back, each costing Kafka Connect requests. `runNow` ignores it.
   */
  readonly minGapMs?: number;
  readonly timers?: Timers;
  readonly log: WorkloadLog;
}

/**
 * When cycles run: one at a time; every `intervalMs` after the previous one ended; and soon after a trigger
 * (debounced), without waiting for the interval. A trigger during a cycle runs one more cycle after it, no
 * sooner than `minGapMs` after it ended.
 */
export class CycleLoop {
  readonly #o: CycleLoopOptions;
  readonly #timers: Timers;
  readonly #abort = new AbortController();
  #interval: unknown;
  #debounce: unknown;
  #running: Promise<void> | undefined;
  #again = false;
  /** Set for `minGapMs` after each cycle; a trigger meanwhile waits for it. */
  #cooling: unknown;
  #deferred = false;
  #stopped = false;
  #waiters: (() => void)[] = [];
  /** Cycles completed (tests). */
  cycles = 0;

  constructor(options: CycleLoopOptions) {
    this.#o = options;
    this.#timers = options.timers ?? realTimers;
  }

  /** The first cycle runs at once; resolves when it ended (the interval takes over from there). */
  start(): Promise<void> {
    return this.runNow();
  }

  /** Run soon (debounced). */
  trigger(): void {
    if (this.#stopped || this.#debounce !== undefined) return;
    this.#debounce = this.#timers.setTimeout(() => {
      this.#debounce = undefined;
      this.#kickTriggered();
    }, this.#o.debounceMs ?? 100);
  }

  /** Run a cycle now (after the current one, if any) and resolve when one that started after this call ended. */
  runNow(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stopped) return resolve();
      this.#waiters.push(resolve);
      this.#kick();
    });
  }

  /** No new cycle; the current one is told to stop (signal) and awaited. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clear();
    this.#abort.abort(new Error("the workload is stopping"));
    await this.#running;
    for (const w of this.#waiters.splice(0)) w();
  }

  #clear(): void {
    if (this.#interval !== undefined) this.#timers.clearTimeout(this.#interval);
    if (this.#debounce !== undefined) this.#timers.clearTimeout(this.#debounce);
    if (this.#cooling !== undefined) this.#timers.clearTimeout(this.#cooling);
    this.#interval = undefined;
    this.#debounce = undefined;
    this.#cooling = undefined;
  }

  /** A trigger's cycle: now, unless the previous cycle ended less than `minGapMs` ago. */
  #kickTriggered(): void {
    if (this.#cooling !== undefined) {
      this.#deferred = true;
      return;
    }
    this.#kick();
  }

  #kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#interval !== undefined) this.#timers.clearTimeout(this.#interval);
    this.#interval = undefined;
    const waiters = this.#waiters.splice(0);
    this.#running = this.#cycle().finally(() => {
      this.#running = undefined;
      for (const w of waiters) w();
      if (this.#stopped) return;
      const gap = this.#o.minGapMs ?? 0;
      if (gap > 0) {
        if (this.#cooling !== undefined) this.#timers.clearTimeout(this.#cooling);
        this.#cooling = this.#timers.setTimeout(() => {
          this.#cooling = undefined;
          if (this.#deferred) {
            this.#deferred = false;
            this.#kick();
          }
        }, gap);
      }
      if (this.#again) {
        this.#again = false;
        // A runNow caller is waiting: not held back. Triggers are.
        if (this.#waiters.length > 0) this.#kick();
        else this.#kickTriggered();
      }
      if (this.#running === undefined && this.#interval === undefined) {
        this.#interval = this.#timers.setTimeout(() => {
          this.#interval = undefined;
          this.#kick();
        }, this.#o.intervalMs());
      }
    });
  }

  async #cycle(): Promise<void> {
    try {
      await this.#o.run(this.#abort.signal);
    } catch (err) {
      // A cycle never ends the loop: the next one may well succeed.
      this.#o.log.error(`cycle failed: ${describeError(err)}`);
    }
    this.cycles++;
  }
}
