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
