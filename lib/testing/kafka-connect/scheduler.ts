/**
 * The engine's timers: every asynchronous transition runs on one, so `idle()` can say when none is pending and
 * `close()` can cancel them all. Nothing runs once it is closed.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs fn after ms, unless the scheduler closes first; nothing at all once it is closed. */
  later(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (this.closed) return undefined;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        if (!this.closed) fn();
      } finally {
        this.checkIdle();
      }
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Resolves when no timer is pending. */
  idle(): Promise<void> {
    if (this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels every timer; nothing is scheduled from now on. Waiters wait for `release()`. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  release(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private checkIdle(): void {
    if (this.timers.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
