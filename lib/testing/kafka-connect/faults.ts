/** Injected failures and latency. */

/** Injected failures: a matching request gets `{"error_code": status, "message": message}` instead of an answer. */
export interface FaultSpec {
  status: number;
  /** Default: `Injected fault`. */
  message?: string;
  /** A string matches the exact (decoded) path; a RegExp is tested against it. Default: any path. */
  path?: RegExp | string;
  /** Default: any method. */
  method?: string;
  /** Worker index. Default: any worker. */
  worker?: number;
  /** How many requests it answers before it is spent. Default 1; `Infinity` for ever. */
  times?: number;
}

export interface Fault {
  status: number;
  message: string;
}

export class FaultTable {
  private readonly faults: (FaultSpec & { left: number })[] = [];

  add(spec: FaultSpec): void {
    if (!Number.isInteger(spec.status) || spec.status < 100 || spec.status > 599)
      throw new RangeError(`fault status must be an HTTP status, got ${spec.status}`);
    const left = spec.times ?? 1;
    if (!(left > 0)) throw new RangeError(`fault times must be positive, got ${spec.times}`);
    this.faults.push({ ...spec, left });
  }

  /** The first live fault matching the request, consumed by one. */
  take(worker: number, method: string, path: string): Fault | undefined {
    const i = this.faults.findIndex(
      (f) =>
        (f.worker === undefined || f.worker === worker) &&
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.path === undefined || (typeof f.path === "string" ? f.path === path : f.path.test(path))),
    );
    const fault = this.faults[i];
    if (!fault) return undefined;
    if (--fault.left <= 0) this.faults.splice(i, 1);
    return { status: fault.status, message: fault.message ?? "Injected fault" };
  }

  clear(): void {
    this.faults.length = 0;
  }
}

/** A latency sleep in progress: woken early (false) when its worker stops or the cluster closes. */
interface Sleeper {
  worker: number;
  wake: (served: boolean) => void;
}

/** Injected latency: every request waits `ms` first, on a timer that a stopping worker or close() cuts short. */
export class Latency {
  private readonly sleepers = new Map<NodeJS.Timeout, Sleeper>();
  private closed = false;
  ms = 0;

  set(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`latency must be >= 0 ms, got ${ms}`);
    this.ms = ms;
  }

  /** True when the latency has passed, false when the worker stopped or it was closed meanwhile. */
  sleep(worker: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleepers.delete(timer);
        resolve(true);
      }, this.ms);
      this.sleepers.set(timer, { worker, wake: resolve });
    });
  }

  /** Wakes the sleepers of one worker (or all), cancelling their timers. */
  wake(worker?: number): void {
    for (const [timer, sleeper] of this.sleepers) {
      if (worker !== undefined && sleeper.worker !== worker) continue;
      clearTimeout(timer);
      this.sleepers.delete(timer);
      sleeper.wake(false);
    }
  }

  close(): void {
    this.closed = true;
    this.wake();
  }
}
