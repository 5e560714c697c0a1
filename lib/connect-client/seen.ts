import type { Hook } from "../juju/index.js";

/**
 * What this unit last saw of each relation, kept in the unit's controller-side store (state-set), so events
 * can be told from a relation-changed ("endpoints changed", "status raised") without writing a diff cache into
 * the databag as the Python library does. state-set commits only when the hook succeeds: a hook that fails
 * sees the same change again when Juju retries it.
 */
export class SeenStore<T> {
  private all?: Promise<Record<string, string>>;

  constructor(
    private readonly hook: Hook,
    /** e.g. `connect-client.requirer` */
    private readonly prefix: string,
    /** Checks (and completes) a stored value; undefined when it is not one. */
    private readonly normalize: (stored: unknown) => T | undefined,
  ) {}

  private key(relationId: string): string {
    return `${this.prefix}.${relationId}`;
  }

  async get(relationId: string): Promise<T | undefined> {
    this.all ??= this.hook.tools.stateGetAll();
    const raw = (await this.all)[this.key(relationId)];
    if (raw === undefined) return undefined;
    try {
      return this.normalize(JSON.parse(raw));
    } catch {
      // Written by an older version or by hand: treat as never seen rather than failing the hook.
      return undefined;
    }
  }

  async set(relationId: string, value: T): Promise<void> {
    const raw = JSON.stringify(value);
    this.all ??= this.hook.tools.stateGetAll();
    const all = await this.all;
    if (all[this.key(relationId)] === raw) return;
    await this.hook.tools.stateSet({ [this.key(relationId)]: raw });
    all[this.key(relationId)] = raw;
  }

  async delete(relationId: string): Promise<void> {
    this.all ??= this.hook.tools.stateGetAll();
    const all = await this.all;
    if (!(this.key(relationId) in all)) return;
    await this.hook.tools.stateDelete(this.key(relationId));
    delete all[this.key(relationId)];
  }
}

/** Helpers for `normalize`: the value if it has the type, else undefined. */
export const stored = {
  object: (v: unknown): Record<string, unknown> | undefined =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined,
  string: (v: unknown): string | undefined => (typeof v === "string" ? v : undefined),
  strings: (v: unknown): string[] | undefined =>
    Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined,
};
