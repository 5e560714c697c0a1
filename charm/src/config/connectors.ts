import { createHash } from "node:crypto";
import { CONNECTOR_STATES } from "../../common/connector-states.js";
import type { ConnectorDesiredState } from "../../common/desired-state.js";
import { DECLARED_NAME } from "../../common/names.js";
import { oneLine } from "../text.js";
import type { ConfigProblem } from "./options.js";

/**
 * The `connectors` option: YAML, a map of declared name → { class, tasks-max?, config?, state? }. Parsing is
 * bounded (size, count, aliases, nesting) and every problem names the connector and the key, with the fix.
 * The YAML parser is handed in, so this module loads none: the caller imports it only when the text changed.
 */

export const MAX_CONNECTORS_YAML_BYTES = 256 * 1024;
export const MAX_CONNECTORS = 500;
/** Aliases a document may use; YAML "billion laughs" expansions stop here. */
export const MAX_YAML_ALIASES = 50;
/**
 * Flow collections (`[`, `{`) open at once. The parser recurses per level and overflows the stack near a
 * thousand, after seconds of work; a declaration needs four.
 */
export const MAX_YAML_DEPTH = 64;
/** Problems reported at once; more would not fit a status line anyway. */
const MAX_PROBLEMS = 20;
/** A problem is one readable line; values and keys quoted in it are cut shorter still. */
const MAX_PROBLEM_CHARS = 500;

const KEY = "connectors";
const ENTRY_KEYS = ["class", "tasks-max", "config", "state"] as const;
/** Kafka keys we set ourselves from the declaration (one source of truth), with where they belong. */
const RESERVED_CONFIG_KEYS: Readonly<Record<string, string>> = {
  "connector.class": "use class: instead",
  "tasks.max": "use tasks-max: instead",
  name: "the map key is the name",
  ["__proto__"]: "it is not a Kafka config key",
};

export interface Declaration {
  readonly declared: string;
  readonly className: string;
  readonly tasksMax: number;
  /** As written: secret references are not resolved here. */
  readonly config: Readonly<Record<string, string>>;
  readonly state: ConnectorDesiredState;
  /** sha256 of the declaration as written; a hold made by an action ends when it changes. */
  readonly declarationHash: string;
}

export type ParsedConnectors =
  | { readonly ok: true; readonly declarations: readonly Declaration[] }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** What this module needs of the `yaml` package. */
export interface YamlParser {
  parse(src: string, options: { maxAliasCount: number; uniqueKeys: boolean; prettyErrors: boolean }): unknown;
}

/** Parses and validates the option's text. Never throws on any input. */
export function parseConnectorsText(text: string, yaml: YamlParser): ParsedConnectors {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONNECTORS_YAML_BYTES) {
    return fail(
      `${KEY}: the YAML is ${Math.ceil(bytes / 1024)} KiB, over the ${MAX_CONNECTORS_YAML_BYTES / 1024} KiB limit: deploy a second integrator for the rest`,
    );
  }
  if (text.trim() === "") return { ok: true, declarations: [] };
  if (flowDepth(text) > MAX_YAML_DEPTH) return fail(tooDeep());
  let doc: unknown;
  try {
    doc = yaml.parse(text, { maxAliasCount: MAX_YAML_ALIASES, uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    return fail(`${KEY}: ${yamlErrorText(err)}`);
  }
  return validateConnectors(doc);
}

/**
 * The deepest run of open brackets and braces, counted over the raw text. Brackets inside quoted or plain
 * scalars count too: that can only overestimate, and no real value nests 64 deep.
 */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

function tooDeep(): string {
  return `${KEY}: the YAML nests deeper than ${MAX_YAML_DEPTH} levels: a declaration needs three (name, config, key)`;
}

function yamlErrorText(err: unknown): string {
  // The pre-check bounds flow nesting; block nesting deep enough to overflow is reported the same way.
  if (err instanceof RangeError) return tooDeep().slice(`${KEY}: `.length);
  if (err instanceof Error && /alias count|resource exhaustion/i.test(err.message)) {
    return `the YAML uses too many aliases (over ${MAX_YAML_ALIASES}): write the values out`;
  }
  const e = err as { message?: string; linePos?: readonly { line: number; col: number }[] };
  const first = (e.message ?? String(err))
    .split("\n")[0]!
    .replace(/ at line \d+, column \d+:?$/, "")
    .slice(0, 120);
  const pos = e.linePos?.[0];
  return pos ? `invalid YAML at line ${pos.line}, column ${pos.col}: ${first}` : `invalid YAML: ${first}`;
}

function fail(message: string): ParsedConnectors {
  return { ok: false, problems: [{ key: KEY, message: oneLine(message, MAX_PROBLEM_CHARS) }] };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "empty";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "a map" : `${typeof v} ${oneLine(JSON.stringify(v), 60)}`;
}

/** How to write a scalar as the string Kafka expects. */
function asStringHint(v: unknown): string {
  if (v === null) return 'write "" or remove the key';
  if (typeof v === "number" || typeof v === "boolean") return `write "${String(v)}"`;
  return "Kafka config values are strings";
}

/** Validates a parsed document (pure). */
export function validateConnectors(doc: unknown): ParsedConnectors {
  if (doc === null || doc === undefined) return { ok: true, declarations: [] };
  if (!isMap(doc)) {
    return fail(
      `${KEY}: expected a map of connector name to {class, tasks-max, config, state}, got ${describe(doc)}`,
    );
  }
  const names = Object.keys(doc);
  if (names.length > MAX_CONNECTORS) {
    return fail(`${KEY}: ${names.length} connectors declared, over the limit of ${MAX_CONNECTORS}`);
  }
  const problems: ConfigProblem[] = [];
  const problem = (message: string) => {
    if (problems.length < MAX_PROBLEMS)
      problems.push({ key: KEY, message: oneLine(`${KEY}: ${message}`, MAX_PROBLEM_CHARS) });
  };
  const declarations: Declaration[] = [];
  for (const declared of names) {
    const entry = doc[declared];
    const where = `${declared}:`;
    if (!DECLARED_NAME.test(declared)) {
      problem(
        `${JSON.stringify(declared.slice(0, 100))} is not a connector name: use letters, digits, "." and "-" (up to 100, starting with a letter or digit)`,
      );
      continue;
    }
    if (!isMap(entry)) {
      problem(`${where} expected {class, tasks-max, config, state}, got ${describe(entry)}`);
      continue;
    }
    const before = problems.length;
    for (const k of Object.keys(entry)) {
      if (!(ENTRY_KEYS as readonly string[]).includes(k)) {
        problem(`${where} unknown key ${JSON.stringify(k.slice(0, 60))} (class, tasks-max, config or state)`);
      }
    }
    const cls = entry.class;
    if (cls === undefined || cls === null || cls === "") {
      problem(
        `${where} class is missing: add class: <connector class>, e.g. io.aiven.connect.jdbc.JdbcSinkConnector`,
      );
    } else if (typeof cls !== "string") {
      problem(`${where} class must be a string, got ${describe(cls)}`);
    }
    const tasksMax = entry["tasks-max"] ?? 1;
    if (typeof tasksMax !== "number" || !Number.isInteger(tasksMax) || tasksMax < 1 || tasksMax > 10_000) {
      problem(`${where} tasks-max must be an integer from 1 to 10000, got ${describe(tasksMax)}`);
    }
    const state = entry.state ?? "running";
    if (typeof state !== "string" || !(CONNECTOR_STATES as readonly string[]).includes(state)) {
      problem(
        `${where} unknown state ${typeof state === "string" ? JSON.stringify(state.slice(0, 40)) : describe(state)} (running, paused or stopped)`,
      );
    }
    const config: Record<string, string> = {};
    const rawConfig = entry.config ?? {};
    if (!isMap(rawConfig)) {
      problem(`${where} config must be a map of Kafka config keys to strings, got ${describe(rawConfig)}`);
    } else {
      for (const [k, v] of Object.entries(rawConfig)) {
        const reserved = Object.hasOwn(RESERVED_CONFIG_KEYS, k) ? RESERVED_CONFIG_KEYS[k] : undefined;
        if (reserved) problem(`${where} config.${k} is not allowed here: ${reserved}`);
        else if (typeof v !== "string")
          problem(`${where} config.${oneLine(k, 100)} must be a string: ${asStringHint(v)}`);
        else config[k] = v;
      }
    }
    if (problems.length > before) continue;
    const declaration = {
      className: cls as string,
      tasksMax: tasksMax as number,
      config,
      state: state as ConnectorDesiredState,
    };
    declarations.push({ declared, ...declaration, declarationHash: declarationHash(declaration) });
  }
  return problems.length ? { ok: false, problems } : { ok: true, declarations };
}

/** Stable across key order: the same declaration always hashes the same. */
export function declarationHash(d: Omit<Declaration, "declared" | "declarationHash">): string {
  const sorted = Object.fromEntries(
    Object.entries(d.config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const canonical = JSON.stringify({
    class: d.className,
    tasksMax: d.tasksMax,
    state: d.state,
    config: sorted,
  });
  return createHash("sha256").update(canonical).digest("hex");
}
