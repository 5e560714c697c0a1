/**
 * Juju's hook orders for the model's operations, as pure functions from "who is involved" to the ordered list
 * of hooks to queue. Facts relied on (Juju 3.x documentation, "Hook" reference and "A charm's lifecycle"; the
 * uniter's relation and leadership resolvers; juju/docs#2357 on departure):
 * - A new unit runs install, then relation-created for every relation its application is already in (peer
 *   relations exist from deploy), then leader-elected if it is the leader, then config-changed, then start.
 *   Only after start does it join relations: relation-joined for each remote unit, always followed by
 *   relation-changed for that unit.
 * - `juju integrate`: relation-created on every unit of both sides first, then on each unit relation-joined
 *   followed by relation-changed, once per remote unit. Data written in those hooks wakes the other side
 *   with relation-changed (the follow-ups JujuEmulator.finish returns).
 * - `juju remove-relation`: every unit runs relation-departed once for each remote unit still in scope,
 *   then relation-broken, once, on every unit of both sides; after that the relation is gone.
 * - `juju remove-unit`: each remaining unit in a relation with it runs relation-departed for it
 *   (JUJU_DEPARTING_UNIT = the leaving unit); the leaving unit runs relation-departed for each remote unit,
 *   relation-broken for each of its relations, then stop, then remove. If it held leadership, another unit
 *   is elected and runs leader-elected.
 * - leader-elected runs on the new leader only (leader-settings-changed is deprecated and not emitted).
 */
import type { KitEvent } from "../juju/events.js";

/** One hook to queue: which unit runs which event. */
export interface PlannedHook {
  readonly unit: string;
  readonly event: KitEvent;
}

/** A relation as these functions see it: its id and the units on each side (a peer relation has one side). */
export interface RelationSides {
  readonly id: number;
  /** app → its units in that relation (sorted). */
  readonly sides: Readonly<Record<string, readonly string[]>>;
}

const appOf = (unit: string) => unit.slice(0, unit.lastIndexOf("/"));

/** The units a unit sees on the other side of a relation (its peers for a peer relation). */
export function remoteUnits(rel: RelationSides, unit: string): string[] {
  const app = appOf(unit);
  const apps = Object.keys(rel.sides);
  if (apps.length === 1) return (rel.sides[app] ?? []).filter((u) => u !== unit);
  const other = apps.find((a) => a !== app);
  return other === undefined ? [] : [...(rel.sides[other] ?? [])];
}

const joinedThenChanged = (unit: string, rel: RelationSides, remote: string): PlannedHook[] => [
  { unit, event: { kind: "relation-joined", relationId: rel.id, remoteUnit: remote } },
  { unit, event: { kind: "relation-changed", relationId: rel.id, remoteUnit: remote } },
];

/**
 * New units coming up (deploy, add-unit): each runs install → relation-created (every relation it is in) →
 * leader-elected (the leader only) → config-changed → start; then each new unit joins every remote unit,
 * and every existing unit joins each new one.
 */
export function unitsUp(newUnits: readonly string[], relations: readonly RelationSides[], leader?: string) {
  const out: PlannedHook[] = [];
  for (const unit of newUnits) {
    out.push({ unit, event: { kind: "install" } });
    for (const rel of relations) out.push({ unit, event: { kind: "relation-created", relationId: rel.id } });
    if (unit === leader) out.push({ unit, event: { kind: "leader-elected" } });
    out.push({ unit, event: { kind: "config-changed" } }, { unit, event: { kind: "start" } });
  }
  const fresh = new Set(newUnits);
  for (const rel of relations) {
    for (const unit of newUnits) {
      for (const remote of remoteUnits(rel, unit)) out.push(...joinedThenChanged(unit, rel, remote));
    }
    // Units already there meet the new ones (a new unit meeting another new unit is covered above).
    const everyone = Object.values(rel.sides).flat();
    for (const unit of everyone.filter((u) => !fresh.has(u))) {
      for (const remote of remoteUnits(rel, unit).filter((r) => fresh.has(r))) {
        out.push(...joinedThenChanged(unit, rel, remote));
      }
    }
  }
  return out;
}

/** `juju integrate`: relation-created everywhere, then joined → changed per unit and remote unit. */
export function integrated(rel: RelationSides): PlannedHook[] {
  const units = Object.values(rel.sides).flat();
  const out: PlannedHook[] = units.map((unit) => ({
    unit,
    event: { kind: "relation-created", relationId: rel.id },
  }));
  for (const unit of units) {
    for (const remote of remoteUnits(rel, unit)) out.push(...joinedThenChanged(unit, rel, remote));
  }
  return out;
}

/** `juju remove-relation`: departed for each remote unit on every unit, then broken on every unit. */
export function relationRemoved(rel: RelationSides): PlannedHook[] {
  const units = Object.values(rel.sides).flat();
  const out: PlannedHook[] = [];
  for (const unit of units) {
    for (const remote of remoteUnits(rel, unit)) {
      out.push({
        unit,
        event: { kind: "relation-departed", relationId: rel.id, remoteUnit: remote, departingUnit: remote },
      });
    }
  }
  for (const unit of units) out.push({ unit, event: { kind: "relation-broken", relationId: rel.id } });
  return out;
}

/**
 * `juju remove-unit`: the others say goodbye to it; it departs from every remote unit, breaks each of its
 * relations, stops and is removed. Leadership moves separately (see Model.removeUnit).
 */
export function unitRemoved(unit: string, relations: readonly RelationSides[]): PlannedHook[] {
  const out: PlannedHook[] = [];
  for (const rel of relations) {
    for (const other of remoteUnits(rel, unit)) {
      out.push({
        unit: other,
        event: { kind: "relation-departed", relationId: rel.id, remoteUnit: unit, departingUnit: unit },
      });
    }
  }
  for (const rel of relations) {
    for (const remote of remoteUnits(rel, unit)) {
      out.push({
        unit,
        event: { kind: "relation-departed", relationId: rel.id, remoteUnit: remote, departingUnit: unit },
      });
    }
  }
  for (const rel of relations) out.push({ unit, event: { kind: "relation-broken", relationId: rel.id } });
  out.push({ unit, event: { kind: "stop" } }, { unit, event: { kind: "remove" } });
  return out;
}

/** The name Juju gives a hook (what `hook failed: "<name>"` and HookRecord.hook show). */
export function hookName(event: KitEvent, endpoint?: string): string {
  switch (event.kind) {
    case "relation-created":
    case "relation-joined":
    case "relation-changed":
    case "relation-departed":
    case "relation-broken":
      return `${endpoint ?? "relation"}-${event.kind}`;
    case "action":
      return event.action;
    case "custom":
      return event.hook;
    case "storage-attached":
    case "storage-detaching":
      return `${event.storage}-${event.kind}`;
    case "pebble-ready":
    case "pebble-custom-notice":
    case "pebble-check-failed":
    case "pebble-check-recovered":
      return `${event.workload}-${event.kind}`;
    default:
      return event.kind;
  }
}
