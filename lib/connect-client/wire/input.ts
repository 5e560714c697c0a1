/**
 * Reading databags from what people have at hand: a JSON object, a YAML mapping, or `juju show-unit` output
 * (a `relation-info:` list, alone or under the unit's name). Values are made into wire strings as Juju holds
 * them; anything that had to be converted is reported as a note, not as an error.
 */
import { InputError, parseInputText } from "./document.js";
import { pythonJsonDumps } from "./json-text.js";
import { type ConnectClientRole, DATA_KEY, PROVIDER_KEYS as P, REQUIRER_KEYS as R } from "./keys.js";

export interface InputBag {
  /** Where the bag came from inside the document ("" for a plain bag). */
  readonly label: string;
  /** The application databag, every value a string. */
  readonly app: Record<string, string>;
  /** The data of the first related unit, when the document shows one (same side as `app`). */
  readonly unit?: Record<string, string>;
  /** Every related unit's databag, in the document's order (relation-info entries only). */
  readonly relatedUnits?: readonly RelatedUnitBag[];
  /** The relation-info entry's `endpoint` (the name of the relation endpoint of the unit shown). */
  readonly endpoint?: string;
  /** A peer relation: `juju show-unit` gives the unit's own data as `local-unit` only for those. */
  readonly peer?: boolean;
  readonly notes: string[];
}

export interface RelatedUnitBag {
  readonly name: string;
  readonly bag: Record<string, string>;
  readonly notes: string[];
}

export { InputError };

/** Reads a decoded input text (see decodeInput); duplicate keys are refused, as Juju would never show them. */
export function parseInputDocument(text: string): InputBag[] {
  const doc = parseInputText(text);
  if (!isMapping(doc)) {
    throw new InputError("expected a mapping (a databag, or relation-info as `juju show-unit` prints it)");
  }
  if (Object.hasOwn(doc, "relation-info")) return relationInfo(doc["relation-info"], "");
  const units = Object.entries(doc);
  if (units.length > 0 && units.every(([, v]) => isMapping(v) && Object.hasOwn(v, "relation-info"))) {
    return units.flatMap(([unit, v]) =>
      relationInfo((v as Record<string, unknown>)["relation-info"], `${unit} `),
    );
  }
  const { bag, notes } = toWireBag(doc);
  return [{ label: "", app: bag, notes }];
}

function relationInfo(list: unknown, prefix: string): InputBag[] {
  if (!Array.isArray(list)) throw new InputError(`${prefix}relation-info must be a list`);
  return list.map((entry: unknown, i) => {
    if (!isMapping(entry)) throw new InputError(`${prefix}relation-info[${i}] must be a mapping`);
    const endpoint = typeof entry["endpoint"] === "string" ? ` (${entry["endpoint"]})` : "";
    const label = `${prefix}relation-info[${i}]${endpoint}`;
    const appData = entry["application-data"] ?? {};
    if (!isMapping(appData)) throw new InputError(`${label} application-data must be a mapping`);
    const app = toWireBag(appData);
    const units = relatedUnits(entry["related-units"]);
    const [first] = units;
    return {
      label,
      app: app.bag,
      ...(first ? { unit: first.bag } : {}),
      ...(units.length > 0 ? { relatedUnits: units } : {}),
      ...(typeof entry["endpoint"] === "string" ? { endpoint: entry["endpoint"] } : {}),
      ...(Object.hasOwn(entry, "local-unit") ? { peer: true } : {}),
      notes: app.notes,
    };
  });
}

function relatedUnits(units: unknown): RelatedUnitBag[] {
  if (!isMapping(units)) return [];
  return Object.entries(units).flatMap(([name, u]) => {
    if (!isMapping(u) || !isMapping(u["data"])) return [];
    const { bag, notes } = toWireBag(u["data"]);
    return [{ name, bag, notes }];
  });
}

/** Juju holds strings only: a list or number given in YAML is held as its JSON text. */
export function toWireBag(mapping: Record<string, unknown>): {
  bag: Record<string, string>;
  notes: string[];
} {
  const bag: Record<string, string> = {};
  const notes: string[] = [];
  for (const [key, value] of Object.entries(mapping)) {
    if (typeof value === "string") {
      bag[key] = value;
    } else if (value === null || value === undefined) {
      bag[key] = "";
    } else {
      bag[key] = pythonJsonDumps(value);
      notes.push(
        `${key}: given as ${kind(value)}; read as its JSON text, as Juju holds it (a databag holds strings)`,
      );
    }
  }
  return { bag, notes };
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

/** Which side wrote this bag, from the keys only that side writes; undefined if it cannot be told. */
export function inferRole(bag: Readonly<Record<string, string>>): ConnectClientRole | undefined {
  const has = (k: string) => Object.hasOwn(bag, k);
  const requirer = has(R.pluginUrl) || has(R.requestedSecrets) || has(R.providedSecrets);
  const provider = has(P.endpoints) || has(P.secretUser) || has(P.secretTls) || has(P.status);
  if (requirer === provider) return undefined;
  return requirer ? "requirer" : "provider";
}

/** Why a relation-info entry is, or is not, taken for a connect_client databag when the user named none. */
export type EntryKind =
  | { kind: "connect_client"; role: ConnectClientRole }
  | { kind: "peer" }
  | { kind: "empty" }
  | { kind: "no-role"; both: boolean }
  | { kind: "foreign"; keys: string[] };

// What each side of connect_client writes in its application databag, besides the keys it owns: the Python
// library's diff cache, and secret-<group> URIs (a newer library shares more groups, e.g. secret-mtls).
const SHARED_KEY = (k: string) => k === DATA_KEY || /^secret-[a-z]+$/.test(k);
const VOCABULARY: Readonly<Record<ConnectClientRole, readonly string[]>> = {
  requirer: Object.values(R),
  provider: Object.values(P),
};

/**
 * Whether an entry of `juju show-unit` output is a connect_client databag: not a peer relation, its side told
 * by its keys, and no key connect_client does not use (other interfaces of Canonical's library share
 * endpoints, secret-user and requested-secrets, but add topic, database, index and the like).
 */
export function classifyEntry(bag: InputBag): EntryKind {
  if (bag.peer) return { kind: "peer" };
  const keys = Object.keys(bag.app);
  if (keys.length === 0) return { kind: "empty" };
  const role = inferRole(bag.app);
  // Without a role, a requirer key means there were provider keys too.
  if (role === undefined) return { kind: "no-role", both: keys.some((k) => VOCABULARY.requirer.includes(k)) };
  const foreign = keys.filter((k) => !VOCABULARY[role].includes(k) && !SHARED_KEY(k));
  return foreign.length > 0 ? { kind: "foreign", keys: foreign } : { kind: "connect_client", role };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
