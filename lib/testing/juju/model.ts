import type { CharmMeta } from "../../juju/meta.js";
import type { StatusName } from "../../juju/tools/status.js";

/**
 * The emulated Juju model: plain data only, so a hook can work on a structured clone and the clone replaces
 * the model only if the hook succeeds (Juju's hook transaction). Multi-application on purpose: the same state
 * serves a single-unit Scenario test, a black-box process run, and several charms talking over relations.
 */
export interface ModelState {
  name: string;
  uuid: string;
  apps: Record<string, AppRecord>;
  units: Record<string, UnitRecord>;
  relations: Record<string, RelationRecord>;
  secrets: Record<string, SecretRecord>;
  nextRelationId: number;
  nextActionId: number;
}

export interface StatusRecord {
  status: StatusName;
  message: string;
}

export interface AppRecord {
  name: string;
  meta: CharmMeta;
  config: Record<string, string | number | boolean>;
  /** The unit holding leadership, if any. */
  leader?: string;
  status: StatusRecord;
}

export interface UnitRecord {
  name: string;
  app: string;
  address: string;
  status: StatusRecord;
  workloadVersion: string;
  /** state-get/state-set store. */
  stored: Record<string, string>;
  openedPorts: string[];
  resources: Record<string, string>;
}

export interface RelationRecord {
  id: number;
  /** app name → endpoint name; one entry for a peer relation. */
  endpoints: Record<string, string>;
  interface: string;
  appData: Record<string, Record<string, string>>;
  unitData: Record<string, Record<string, string>>;
  /** Units that have entered the relation scope (joined). */
  members: string[];
  /** Set while relation-broken runs: the relation is gone from relation-ids but its data is still readable. */
  dying?: boolean;
  /** Units that have run relation-broken; the relation is removed once every unit on both sides has. */
  broken?: string[];
}

/** `model`: a user secret (`juju add-secret`): no unit owns it, so no hook may change or remove it. */
export type SecretOwner =
  | { kind: "application"; app: string }
  | { kind: "unit"; unit: string }
  | { kind: "model" };

export interface SecretGrant {
  /** The relation the grant is scoped to; absent for `juju grant-secret` (a user secret, model-wide). */
  relationId?: number;
  /** An application name, or a unit name for a unit-scoped grant. */
  to: string;
}

export interface SecretRecord {
  id: string;
  owner: SecretOwner;
  label?: string;
  description?: string;
  expire?: string;
  rotate?: string;
  /** revision → content */
  revisions: Record<string, Record<string, string>>;
  latest: number;
  grants: SecretGrant[];
  /** Per consumer unit: the revision it tracks (after its first read) and its own label. */
  consumers: Record<string, { tracked?: number; label?: string }>;
}

export const NO_STATUS: StatusRecord = { status: "unknown", message: "" };

export function appOfUnit(unit: string): string {
  return unit.slice(0, unit.lastIndexOf("/"));
}

export function unitsOf(model: ModelState, app: string): string[] {
  return Object.keys(model.units)
    .filter((u) => model.units[u]!.app === app)
    .sort(unitOrder);
}

export function unitOrder(a: string, b: string): number {
  const [aa, an] = [appOfUnit(a), Number(a.slice(a.lastIndexOf("/") + 1))];
  const [ba, bn] = [appOfUnit(b), Number(b.slice(b.lastIndexOf("/") + 1))];
  return aa === ba ? an - bn : aa < ba ? -1 : 1;
}

/** The relation id as hook tools print it: `<endpoint of app>:<n>`. */
export function relationKey(rel: RelationRecord, app: string): string {
  return `${rel.endpoints[app]}:${rel.id}`;
}

export function isPeer(rel: RelationRecord): boolean {
  return Object.keys(rel.endpoints).length === 1;
}

/** The other application in a relation (itself for a peer relation). */
export function remoteAppOf(rel: RelationRecord, app: string): string {
  return Object.keys(rel.endpoints).find((a) => a !== app) ?? app;
}

export function emptyModel(name = "test-model", uuid = "5b0bd2fe-1f6a-4d11-8a0c-9e7c3d6f0a01"): ModelState {
  return { name, uuid, apps: {}, units: {}, relations: {}, secrets: {}, nextRelationId: 0, nextActionId: 1 };
}
