import { realTimers, type Timers } from "./events.js";
import { describeError, type WorkloadLog } from "./log.js";

export interface CycleLoopOptions {
  /** One cycle; the signal fires when the loop stops. */
  readonly run: (signal: AbortSignal) => Promise<void>;
  /** Read before scheduling each next cycle (the desired state may change it). */
  readonly intervalMs: () => number;
  /** A burst of triggers (a hook writes, renames, touches) becomes one cycle this long after the first. */
  readonly debounceMs?: number;
  readonly timers?: Timers;
  readonly log: WorkloadLog;
}

/**
 * When cycles run: one at a time; every `intervalMs` after the previous one ended; and soon after a trigger
 * (debounced), without waiting for the interval. A trigger during a cycle runs one more cycle right after it.
 */
export class CycleLoop {
  readonly #o: CycleLoopOptions;
  readonly #timers: Timers;
  readonly #abort = new AbortController();
  #interval: unknown;
  #debounce: unknown;
  #running: Promise<void> | undefined;
  #again = false;
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
      this.#kick();
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
    this.#interval = undefined;
    this.#debounce = undefined;
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
      if (this.#again) {
        this.#again = false;
        this.#kick();
      } else {
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
