/**
 * What each unit tells the others in the peer relation, pure. A unit's bag holds its worker's REST endpoint
 * and which relations its worker serves with the current users (plugin in place and user loaded); the leader
 * publishes a relation only when every unit says so. Bag values come from other units: bounded here.
 */

export const PEER = "worker";
export const KEY_ENDPOINT = "rest-endpoint";
export const KEY_READY = "ready";
export const KEY_USERS_SECRET = "rest-users";
export const KEY_USERS_VERSION = "rest-users-version";

const MAX_VALUE = 64 * 1024;
const MAX_RELATIONS = 10_000;

export interface UnitReadiness {
  /** The `rest-users-version` the worker loaded. */
  readonly version: number;
  readonly relations: readonly number[];
}

export function encodeReadiness(r: UnitReadiness): string {
  return JSON.stringify({ version: r.version, relations: [...new Set(r.relations)].sort((a, b) => a - b) });
}

/** Undefined when absent or malformed (a unit that says nothing usable is not ready). */
export function decodeReadiness(text: string | undefined): UnitReadiness | undefined {
  if (text === undefined || text.length > MAX_VALUE) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const { version, relations } = doc as { version?: unknown; relations?: unknown };
  if (!isCount(version) || !Array.isArray(relations) || relations.length > MAX_RELATIONS) return undefined;
  if (!relations.every(isCount)) return undefined;
  return { version, relations };
}

/** A non-negative safe integer, as versions and relation numbers are. */
export function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

export function parseVersion(text: string | undefined): number {
  return text !== undefined && /^(0|[1-9][0-9]{0,14})$/.test(text) ? Number(text) : 0;
}

/** A REST URL a unit published: http(s), bounded, no credentials in it. */
export function validEndpoint(text: string | undefined): string | undefined {
  if (text === undefined || text.length > 2048) return undefined;
  try {
    const u = new URL(text);
    if ((u.protocol !== "http:" && u.protocol !== "https:") || u.username || u.password) return undefined;
    return text;
  } catch {
    return undefined;
  }
}

export interface UnitReport {
  readonly unit: string;
  readonly bag: Readonly<Record<string, string>>;
}

export interface PublishPlan {
  /** Every unit's endpoint, sorted; only complete when every unit published one. */
  readonly endpoints: readonly string[];
  /** Units that serve the relation with the current users, on the wanted scheme. */
  readonly ready: number;
  readonly total: number;
}

/**
 * How many units serve a relation with the current users on the wanted scheme (`http:`/`https:` endpoints),
 * and the endpoints to publish. A unit whose worker still listens with the other scheme is not ready: a
 * scheme switch is published once every worker made it.
 */
export function planPublish(
  units: readonly UnitReport[],
  version: number,
  relation: number,
  scheme: "http" | "https" = "http",
): PublishPlan {
  let ready = 0;
  const endpoints: string[] = [];
  for (const { bag } of units) {
    const endpoint = validEndpoint(bag[KEY_ENDPOINT]);
    if (endpoint) endpoints.push(endpoint);
    const r = decodeReadiness(bag[KEY_READY]);
    const onScheme = endpoint?.startsWith(`${scheme}://`) === true;
    if (onScheme && r && r.version === version && r.relations.includes(relation)) ready++;
  }
  return { endpoints: [...new Set(endpoints)].sort(), ready, total: units.length };
}

/** How many units report an endpoint that is not on `scheme` (their worker has not switched yet). */
export function unitsOnOtherScheme(units: readonly UnitReport[], scheme: "http" | "https"): number {
  return units.filter(({ bag }) => {
    const endpoint = validEndpoint(bag[KEY_ENDPOINT]);
    return endpoint !== undefined && !endpoint.startsWith(`${scheme}://`);
  }).length;
}
