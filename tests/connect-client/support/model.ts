import type { Charm, CharmMeta } from "../../../lib/juju/index.js";
import {
  Context,
  followUpEvent,
  JujuEmulator,
  type KitEvent,
  type RunRecord,
} from "../../../lib/testing/index.js";

/**
 * A long-lived emulated model with several charms, run in-process: each hook's follow-up events (relation data
 * or secret revisions that changed) are queued for the units Juju would wake, and `settle()` runs them all.
 */
export class TestModel {
  readonly juju = new JujuEmulator();
  readonly records: { unit: string; event: KitEvent; record: RunRecord }[] = [];
  private readonly contexts = new Map<string, Context<CharmMeta>>();
  private readonly queue: [string, KitEvent][] = [];

  deploy<M extends CharmMeta>(app: string, charm: Charm<M>, meta: M, units = 1): string[] {
    this.contexts.set(app, new Context(charm as Charm<CharmMeta>, meta as CharmMeta, { app }));
    return this.juju.deploy(app, meta, { units });
  }

  unitsOf(app: string): string[] {
    return Object.keys(this.juju.state.units).filter((u) => u.startsWith(`${app}/`));
  }

  async run(unit: string, event: KitEvent): Promise<RunRecord> {
    const ctx = this.contexts.get(unit.slice(0, unit.indexOf("/")));
    if (!ctx) throw new Error(`no charm deployed for ${unit}`);
    const record = await ctx.runOn(this.juju, unit, event);
    this.records.push({ unit, event, record });
    if (!record.committed) throw new Error(`${unit} ${event.kind} failed: ${record.stderr}`);
    for (const f of record.followUps) this.queue.push([f.unit, followUpEvent(f)]);
    return record;
  }

  /** Runs an event on every unit of an application. */
  async runAll(app: string, event: KitEvent): Promise<void> {
    for (const u of this.unitsOf(app)) await this.run(u, event);
  }

  /** Runs queued follow-ups until the model is quiet. */
  async settle(limit = 200): Promise<void> {
    for (let n = 0; this.queue.length; n++) {
      if (n >= limit) throw new Error("the model did not settle: hooks keep causing hooks");
      const [unit, event] = this.queue.shift()!;
      if (this.juju.state.units[unit]) await this.run(unit, event);
    }
  }

  /** `juju integrate`: relation-created and joined on both sides, then whatever follows. */
  async integrate(
    a: { app: string; endpoint: string },
    b: { app: string; endpoint: string },
  ): Promise<number> {
    const id = this.juju.relate(a, b);
    for (const side of [a, b]) await this.runAll(side.app, { kind: "relation-created", relationId: id });
    for (const [side, other] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const u of this.unitsOf(side.app)) {
        for (const r of this.unitsOf(other.app)) {
          await this.run(u, { kind: "relation-joined", relationId: id, remoteUnit: r });
        }
      }
    }
    await this.settle();
    return id;
  }

  /** `juju remove-relation`: departed for every remote unit, broken on both sides, then removal. */
  async removeRelation(id: number, a: string, b: string): Promise<void> {
    for (const [side, other] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const u of this.unitsOf(side)) {
        for (const r of this.unitsOf(other)) {
          await this.run(u, { kind: "relation-departed", relationId: id, remoteUnit: r, departingUnit: r });
        }
      }
    }
    for (const side of [a, b]) await this.runAll(side, { kind: "relation-broken", relationId: id });
    this.queue.length = 0;
  }

  /** Log lines the given unit wrote since the record at `from`. */
  logs(unit: string, from = 0): string[] {
    return this.records
      .slice(from)
      .filter((r) => r.unit === unit)
      .flatMap((r) => r.record.logs.map((l) => l.message));
  }

  setConfig(app: string, values: Record<string, string>): void {
    Object.assign(this.juju.state.apps[app]!.config, values);
  }
}
