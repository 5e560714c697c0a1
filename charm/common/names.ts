/**
 * Connector names on a shared Kafka Connect cluster. Canonical's provider deletes, when an integrator unit
 * departs, every connector matching `.+?r<relation-id>_[0-9a-f]{32}$`; its template integrators name theirs
 * `<app>_r<id>_<model uuid without dashes>`. Ours are `<declared>_<app>_r<id>_<uuid hex>`: compatible with that
 * cleanup, unique per application (Juju application names hold no `_`), and parseable back, so we touch only
 * our own names and never another application's connectors on the same cluster.
 */

/** What a declared connector name may be: Kafka accepts more, but these survive URLs, logs and metrics. */
export const DECLARED_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/;

export interface Owner {
  readonly app: string;
  /** Our side's relation number (the `3` of `connect-client:3`). */
  readonly relation: number;
  readonly modelUuid: string;
}

export function uuidHex(modelUuid: string): string {
  return modelUuid.replaceAll("-", "").toLowerCase();
}

export function ownerSuffix(owner: Owner): string {
  return `_${owner.app}_r${owner.relation}_${uuidHex(owner.modelUuid)}`;
}

/** The name on Kafka Connect of a declared connector. */
export function connectorName(declared: string, owner: Owner): string {
  return `${declared}${ownerSuffix(owner)}`;
}

/** The declared name if `name` is one of ours for this owner, else undefined (someone else's connector). */
export function declaredNameOf(name: string, owner: Owner): string | undefined {
  const suffix = ownerSuffix(owner);
  if (!name.endsWith(suffix)) return undefined;
  const declared = name.slice(0, -suffix.length);
  return DECLARED_NAME.test(declared) ? declared : undefined;
}

/** Canonical's provider-side cleanup pattern for a relation id (kept to prove compatibility in tests). */
export function canonicalCleanupPattern(relation: number): RegExp {
  return new RegExp(`.+?r${relation}_[0-9a-f]{32}$`);
}
