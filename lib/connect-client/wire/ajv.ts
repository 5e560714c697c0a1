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
export interface AjvErrorObject {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}
type AjvConstructor = new (opts: object) => AjvLike;

/** ajv's options here: `format` is an annotation (2020-12's default; ajv-formats is not a dependency). */
export const AJV_OPTIONS = Object.freeze({
  allErrors: true,
  strict: false,
  validateFormats: false,
  logger: false,
});

/** Which ajv module serves a dialect: its specifier, the class's export name, and an extra meta-schema. */
export interface AjvFlavour {
  readonly module: "ajv" | "ajv/dist/2019.js" | "ajv/dist/2020.js";
  readonly className: "Ajv" | "Ajv2019" | "Ajv2020";
  readonly metaSchema?: "ajv/dist/refs/json-schema-draft-06.json";
}

/** The ajv for a schema's `$schema` (none means 2020-12: pydantic v2 writes 2020-12 without saying so). */
export function ajvFlavour(dialect: string | undefined): AjvFlavour {
  if (dialect === undefined || /\/draft\/2020-12\/schema/.test(dialect)) {
    return { module: "ajv/dist/2020.js", className: "Ajv2020" };
  }
  if (/\/draft\/2019-09\/schema/.test(dialect)) {
    return { module: "ajv/dist/2019.js", className: "Ajv2019" };
  }
  if (/\/draft-0[67]\/schema/.test(dialect)) {
    return dialect.includes("draft-06")
      ? { module: "ajv", className: "Ajv", metaSchema: "ajv/dist/refs/json-schema-draft-06.json" }
      : { module: "ajv", className: "Ajv" };
  }
  throw new SchemaError(
    `unsupported JSON Schema dialect ${JSON.stringify(dialect)}: use draft-07, 2019-09 or 2020-12`,
  );
}

/** A JSON Schema must be an object; its dialect picks the ajv. */
export function schemaFlavour(schema: unknown): AjvFlavour {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    throw new SchemaError("a JSON Schema must be a JSON object");
  }
  const dialect = (schema as { $schema?: unknown }).$schema;
  return ajvFlavour(typeof dialect === "string" ? dialect : undefined);
}

async function newAjv(flavour: AjvFlavour): Promise<AjvLike> {
  const loaded =
    flavour.module === "ajv/dist/2020.js"
      ? await import("ajv/dist/2020.js")
      : flavour.module === "ajv/dist/2019.js"
        ? await import("ajv/dist/2019.js")
        : await import("ajv");
  const ajv = new (ajvClass<AjvConstructor>(loaded, flavour.className))({ ...AJV_OPTIONS });
  if (flavour.metaSchema) {
    const { createRequire } = await import("node:module");
    ajv.addMetaSchema(createRequire(import.meta.url)(flavour.metaSchema) as object);
  }
  return ajv;
}

/**
 * Compiles `schema`; the validator returns the problems, one per ajv error, keyed by the databag key
 * (for a charm-relation-interfaces schema, the path below `app`).
 */
export async function compileJsonSchema(schema: unknown): Promise<JsonSchemaValidator> {
  const ajv = await newAjv(schemaFlavour(schema));
  let validate: AjvValidate;
  try {
    validate = ajv.compile(schema as object);
  } catch (e) {
    throw new SchemaError(`the schema does not compile: ${(e as Error).message}`);
  }
  return (data) => (validate(data) ? [] : problemsOf(validate.errors ?? []));
}

/** One problem per ajv error, keyed by the databag key. */
export function problemsOf(errors: readonly AjvErrorObject[]): Problem[] {
  const problems = errors.map(toProblem);
  // allErrors can report one fault twice (e.g. through two anyOf branches): keep one.
  return problems.filter((p, i) => problems.findIndex((q) => q.message === p.message) === i);
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
