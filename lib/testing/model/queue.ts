import type { KitEvent } from "../juju/events.js";

/** How a hook came to run: queued by the model (Juju), asked for by juju-exec, or an action. */
export type HookVia = "juju" | "juju-exec" | "action";

export interface QueuedHook {
  readonly unit: string;
  readonly event: KitEvent;
  /** Set for relation-broken queued by remove-unit: the relation lives on for the other units. */
  readonly unitLeaving?: boolean;
}

/** The machine lock was not free within the wait bound, or the model closed while waiting. */
export class LockError extends Error {
  override name = "LockError";
}

/**
 * Juju's machine lock, model-wide: one hook or juju-exec command at a time, granted in arrival order. A waiter
 * gives up after `timeoutMs` (Juju waits 5 minutes for it); `close()` refuses every waiter at once.
 */
export class MachineLock {
  private held = false;
  private closed = false;
  private readonly waiters: { grant: () => void; refuse: (e: Error) => void }[] = [];

  get busy(): boolean {
    return this.held;
  }

  acquire(timeoutMs: number): Promise<() => void> {
    if (this.closed) return Promise.reject(new LockError("the model is closed"));
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve(this.releaser());
        },
        refuse: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new LockError(`acquiring the machine lock: timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.refuse(new LockError("the model is closed"));
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next.grant();
      else this.held = false;
    };
  }
}

/**
 * The hooks Juju has decided to run, in order. A unit in error state runs nothing until resolved (Juju's
 * uniter stops there), so its hooks stay queued while other units' hooks go on.
 */
export class HookQueue {
  private readonly items: QueuedHook[] = [];

  push(...hooks: QueuedHook[]): void {
    this.items.push(...hooks);
  }

  /** Puts a hook first (a resolved hook re-runs before anything else of its unit). */
  unshift(hook: QueuedHook): void {
    this.items.unshift(hook);
  }

  /** Takes the first hook whose unit is not blocked. */
  take(blocked: (unit: string) => boolean): QueuedHook | undefined {
    const i = this.items.findIndex((h) => !blocked(h.unit));
    return i < 0 ? undefined : this.items.splice(i, 1)[0];
  }

  hasRunnable(blocked: (unit: string) => boolean): boolean {
    return this.items.some((h) => !blocked(h.unit));
  }

  /** Drops a unit's hooks (the unit is gone). */
  dropUnit(unit: string): void {
    for (let i = this.items.length - 1; i >= 0; i--)
      if (this.items[i]!.unit === unit) this.items.splice(i, 1);
  }

  get length(): number {
    return this.items.length;
  }
}
