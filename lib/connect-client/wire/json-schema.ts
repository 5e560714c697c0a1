/**
 * The published JSON Schemas, generated from the zod models in the charm-relation-interfaces style: a
 * top-level object with an optional `unit` databag and a required `app` databag, the models under `$defs`,
 * and keywords sorted as pydantic sorts them (alphabetically, except property order).
 */
import * as z from "zod/mini";
import type { ConnectClientRole as Role } from "./keys.js";
import { ProviderAppBag, RequirerAppBag } from "./models.js";

export type ConnectClientJsonSchema = Record<string, unknown>;

/** Where the schema files live in this package, relative to its root. */
export const SCHEMA_FILES: Readonly<Record<Role, string>> = {
  provider: "schemas/connect_client/v0/provider.json",
  requirer: "schemas/connect_client/v0/requirer.json",
};

const ID_BASE = "urn:kafka-connect-charm-kit:schemas:connect_client:v0:";

/** Juju adds no constraint on unit databags for this interface: any object, or none. */
const UnitBag = z.looseObject({});
z.globalRegistry.add(UnitBag, { id: "BaseModel", title: "BaseModel" });

const TOP = {
  provider: {
    app: ProviderAppBag,
    title: "ProviderSchema",
    description:
      "The schema for the provider side of the `connect_client` interface, as it travels on the wire: " +
      "every databag value is a string, and JSON-encoded values are checked as text.",
  },
  requirer: {
    app: RequirerAppBag,
    title: "RequirerSchema",
    description:
      "The schema for the requirer side of the `connect_client` interface, as it travels on the wire: " +
      "every databag value is a string, and JSON-encoded values are checked as text.",
  },
} as const;

export function connectClientJsonSchema(role: Role): ConnectClientJsonSchema {
  const top = TOP[role];
  const model = z.object({ unit: z._default(z.nullable(UnitBag), null), app: top.app });
  z.globalRegistry.add(model, { title: top.title, description: top.description });
  // io "input": a field with a default is optional, as in pydantic's validation schema.
  const generated = z.toJSONSchema(model, {
    io: "input",
    target: "draft-2020-12",
  }) as ConnectClientJsonSchema;
  return sortLikePydantic(tidy({ ...generated, $id: `${ID_BASE}${role}` })) as ConnectClientJsonSchema;
}

/** The file text: two-space JSON with a final newline (Biome may re-wrap short arrays; the data is equal). */
export function schemaFileText(schema: ConnectClientJsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/**
 * `additionalProperties: {}` (zod's "loose") says nothing, and pydantic leaves it out. A RegExp's source
 * escapes "/" as "\\/", which JSON Schema patterns do not need.
 */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "additionalProperties" && isEmptyObject(v)) continue;
    out[k] = k === "pattern" && typeof v === "string" ? unescapeSlashes(v) : tidy(v);
  }
  return out;
}

function unescapeSlashes(pattern: string): string {
  // Left to right, an escaped backslash (two characters) is consumed whole, and a "/" right after it is left alone.
  return pattern.replace(/\\\\|\\\//g, (m) => (m === "\\/" ? "/" : m));
}

/** Keywords in alphabetical order at every level, except the children of `properties` (declaration order). */
function sortLikePydantic(node: unknown, parentKey?: string): unknown {
  if (Array.isArray(node)) return node.map((v) => sortLikePydantic(v));
  if (node === null || typeof node !== "object") return node;
  const entries = Object.entries(node);
  if (parentKey !== "properties") entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Examples and defaults are data, not schema: leave their insides alone.
  return Object.fromEntries(
    entries.map(([k, v]) => [k, k === "examples" || k === "default" ? v : sortLikePydantic(v, k)]),
  );
}

function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0;
}
