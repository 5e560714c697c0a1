/**
 * A small checker for the JSON Schema subset zod's toJSONSchema emits for the state files' schemas (draft-07:
 * type, const, enum, pattern, numeric bounds, minItems/maxItems, properties/required/additionalProperties,
 * items, oneOf/anyOf, default). The schemas are generated from zod (scripts/generate-validators.ts, which
 * refuses any other keyword); hooks check with this so they load neither zod nor ajv. Like zod's parse, a
 * passing value gets its absent `default` fields filled in. Recursion follows the schema, never the data, so
 * its depth is the schema's.
 */

export type JsonSchema = { readonly [keyword: string]: unknown };

/** The keywords this checker implements; the generator fails on a schema that uses another. */
export const SUPPORTED_KEYWORDS: readonly string[] = [
  "$schema",
  "type",
  "const",
  "enum",
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minItems",
  "maxItems",
  "items",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "oneOf",
  "anyOf",
  "default",
];

/** True when `data` has the schema's shape (defaults filled in place); `problem` says why not. */
export interface Validator<T> {
  (data: unknown): data is T;
  /** The first mismatch as `<path>: <what>` (never a value: state files hold credentials), or undefined. */
  problem(data: unknown): string | undefined;
}

const patterns = new Map<string, RegExp>();
function pattern(source: string): RegExp {
  const known = patterns.get(source);
  if (known) return known;
  const re = new RegExp(source);
  patterns.set(source, re);
  return re;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function typeOk(type: unknown, v: unknown): boolean {
  switch (type) {
    case "object":
      return isObject(v);
    case "array":
      return Array.isArray(v);
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return Number.isInteger(v);
    case "null":
      return v === null;
    default:
      return false;
  }
}

const num = (s: JsonSchema, k: string): number | undefined =>
  typeof s[k] === "number" ? (s[k] as number) : undefined;

/** The first mismatch of `v` against `s` at `path`, or undefined; fills absent defaults on the way. */
function check(s: JsonSchema, v: unknown, path: string): string | undefined {
  const at = path || "/";
  if (s.type !== undefined && !typeOk(s.type, v)) return `${at}: expected ${String(s.type)}`;
  if ("const" in s && v !== s.const) return `${at}: expected ${JSON.stringify(s.const)}`;
  if (Array.isArray(s.enum) && !s.enum.includes(v)) return `${at}: not one of ${s.enum.join(", ")}`;
  if (typeof v === "string" && typeof s.pattern === "string" && !pattern(s.pattern).test(v))
    return `${at}: does not match ${s.pattern}`;
  if (typeof v === "number") {
    const [min, max, xmin, xmax] = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"].map((k) =>
      num(s, k),
    );
    if ((min !== undefined && v < min) || (xmin !== undefined && v <= xmin)) return `${at}: too small`;
    if ((max !== undefined && v > max) || (xmax !== undefined && v >= xmax)) return `${at}: too large`;
  }
  if (Array.isArray(v)) {
    const min = num(s, "minItems");
    const max = num(s, "maxItems");
    if (min !== undefined && v.length < min) return `${at}: fewer than ${min} items`;
    if (max !== undefined && v.length > max) return `${at}: more than ${max} items`;
    if (isObject(s.items)) {
      for (let i = 0; i < v.length; i++) {
        const p = check(s.items, v[i], `${path}/${i}`);
        if (p) return p;
      }
    }
  }
  if (isObject(v)) {
    const props = isObject(s.properties) ? (s.properties as Record<string, JsonSchema>) : {};
    for (const key of Array.isArray(s.required) ? (s.required as string[]) : []) {
      if (!Object.hasOwn(v, key)) return `${path}/${key}: missing`;
    }
    for (const key of Object.keys(v)) {
      // As zod's record does: an own `__proto__` key (JSON.parse makes one) is dropped, never checked or used.
      if (key === "__proto__" && isObject(s.additionalProperties) && !Object.hasOwn(props, key)) {
        delete v[key];
        continue;
      }
      const p = Object.hasOwn(props, key)
        ? check(props[key]!, v[key], `${path}/${key}`)
        : s.additionalProperties === false
          ? `${path}/${key}: not allowed`
          : isObject(s.additionalProperties)
            ? check(s.additionalProperties, v[key], `${path}/${key}`)
            : undefined;
      if (p) return p;
    }
    for (const key of Object.keys(props)) {
      const d = props[key]!.default;
      if (d !== undefined && !Object.hasOwn(v, key)) v[key] = structuredClone(d);
    }
  }
  for (const [keyword, exactlyOne] of [
    ["oneOf", true],
    ["anyOf", false],
  ] as const) {
    const branches = s[keyword];
    if (!Array.isArray(branches)) continue;
    const passing = branches.filter((b: JsonSchema) => check(b, v, path) === undefined).length;
    if (exactlyOne ? passing !== 1 : passing === 0) return `${at}: matches none of the allowed shapes`;
  }
  return undefined;
}

/** A typed validator for one generated schema. */
export function validator<T>(schema: JsonSchema): Validator<T> {
  const validate = ((data: unknown) => check(schema, data, "") === undefined) as Validator<T>;
  validate.problem = (data) => check(schema, data, "");
  return validate;
}
