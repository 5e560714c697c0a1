/**
 * Validation of a databag against any JSON Schema with ajv (draft-07, 2019-09 and 2020-12), for
 * `connect-client validate --schema` and for the schema cross-check. ajv is loaded on first use only.
 */
import { ajvClass } from "../../juju/model/ajv-class.js";
import type { Problem } from "./decode.js";

export type JsonSchemaValidator = (data: unknown) => Problem[];

/** The schema cannot be used: unknown dialect, or ajv refused to compile it. */
export class SchemaError extends Error {
  override name = "SchemaError";
}

interface AjvLike {
  compile(schema: object): AjvValidate;
  addMetaSchema(schema: object): unknown;
}
interface AjvValidate {
  (data: unknown): boolean;
  errors?: AjvErrorObject[] | null;
}
interface AjvErrorObject {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}
type AjvConstructor = new (opts: object) => AjvLike;

async function newAjv(dialect: string | undefined): Promise<AjvLike> {
  // `format` is an annotation (2020-12's default, and ajv-formats is not a dependency): not checked, not logged.
  const opts = { allErrors: true, strict: false, validateFormats: false, logger: false };
  // No $schema: pydantic v2 (charm-relation-interfaces) writes 2020-12 without saying so.
  if (dialect === undefined || /\/draft\/2020-12\/schema/.test(dialect)) {
    return new (ajvClass<AjvConstructor>(await import("ajv/dist/2020.js"), "Ajv2020"))(opts);
  }
  if (/\/draft\/2019-09\/schema/.test(dialect)) {
    return new (ajvClass<AjvConstructor>(await import("ajv/dist/2019.js"), "Ajv2019"))(opts);
  }
  if (/\/draft-0[67]\/schema/.test(dialect)) {
    const ajv = new (ajvClass<AjvConstructor>(await import("ajv"), "Ajv"))(opts);
    if (dialect.includes("draft-06")) {
      const { createRequire } = await import("node:module");
      ajv.addMetaSchema(createRequire(import.meta.url)("ajv/dist/refs/json-schema-draft-06.json") as object);
    }
    return ajv;
  }
  throw new SchemaError(
    `unsupported JSON Schema dialect ${JSON.stringify(dialect)}: use draft-07, 2019-09 or 2020-12`,
  );
}

/**
 * Compiles `schema`; the validator returns the problems, one per ajv error, keyed by the databag key
 * (for a charm-relation-interfaces schema, the path below `app`).
 */
export async function compileJsonSchema(schema: unknown): Promise<JsonSchemaValidator> {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    throw new SchemaError("a JSON Schema must be a JSON object");
  }
  const dialect = (schema as { $schema?: unknown }).$schema;
  const ajv = await newAjv(typeof dialect === "string" ? dialect : undefined);
  let validate: AjvValidate;
  try {
    validate = ajv.compile(schema);
  } catch (e) {
    throw new SchemaError(`the schema does not compile: ${(e as Error).message}`);
  }
  return (data) => {
    if (validate(data)) return [];
    const problems = (validate.errors ?? []).map(toProblem);
    // allErrors can report one fault twice (e.g. through two anyOf branches): keep one.
    return problems.filter((p, i) => problems.findIndex((q) => q.message === p.message) === i);
  };
}

/** True for a charm-relation-interfaces schema: its top level describes `app` and/or `unit` databags. */
export function isRelationInterfaceSchema(schema: unknown): boolean {
  const props = (schema as { properties?: unknown } | null)?.properties;
  if (props === null || typeof props !== "object") return false;
  const keys = Object.keys(props);
  return keys.length > 0 && keys.every((k) => k === "app" || k === "unit");
}

function toProblem(e: AjvErrorObject): Problem {
  const path = e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  // Within a charm-relation-interfaces document, name the key inside the app databag as a peer would.
  if (path[0] === "app") path.shift();
  const at = path.join(".");
  const child = (name: unknown) => (at ? `${at}.${String(name)}` : String(name));
  switch (e.keyword) {
    case "required":
    case "dependentRequired": {
      const key = child(e.params["missingProperty"]);
      return { key, message: `${key} is missing (required by the schema)` };
    }
    case "additionalProperties": {
      const key = child(e.params["additionalProperty"]);
      return { key, message: `${key} is not allowed by the schema` };
    }
    default: {
      const key = at || "(databag)";
      return { key, message: `${key} ${e.message ?? "is invalid"}` };
    }
  }
}
