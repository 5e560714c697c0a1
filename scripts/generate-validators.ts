/**
 * Writes charm/common/generated/validators.ts: standalone validators for the JSON the hooks read (desired.json,
 * status.json, their own state files, peer databag values), generated from the zod schemas (the one source of
 * truth) as JSON Schema, checked by charm/common/json-check.ts. Hooks use them so that a hook loads neither
 * zod nor ajv; the workload keeps zod. Run with `npm run validators` after changing a schema; a test fails while the
 * committed file differs from what this generates.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import * as z from "zod/mini";
import { DesiredState, RestartHistory } from "../charm/common/desired-state.js";
import { SUPPORTED_KEYWORDS } from "../charm/common/json-check.js";
import { StatusSnapshot } from "../charm/common/snapshot.js";
import { CopyStamp, Holds, HookState, LastGood, ParseCache } from "../charm/src/state-schemas.js";

const ROOT = resolve(import.meta.dirname, "..");
export const VALIDATORS_FILE = "charm/common/generated/validators.ts";

/** Each validator: the schema, and the module (relative to the generated file) whose type it checks. */
const SCHEMAS = {
  DesiredState: { schema: DesiredState, types: "../desired-state.js" },
  RestartHistory: { schema: RestartHistory, types: "../desired-state.js" },
  StatusSnapshot: { schema: StatusSnapshot, types: "../snapshot.js" },
  HookState: { schema: HookState, types: "../../src/state-schemas.js" },
  LastGood: { schema: LastGood, types: "../../src/state-schemas.js" },
  ParseCache: { schema: ParseCache, types: "../../src/state-schemas.js" },
  CopyStamp: { schema: CopyStamp, types: "../../src/state-schemas.js" },
  Holds: { schema: Holds, types: "../../src/state-schemas.js" },
} as const;

export type ValidatedName = keyof typeof SCHEMAS;

/**
 * The JSON Schema of each zod schema as its INPUT (a `_default` field may be absent). The validators fill such
 * defaults in (ajv's useDefaults), as zod's parse does, so a value that passes has the inferred (output) type.
 */
export function validatorJsonSchemas(): Record<ValidatedName, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(SCHEMAS).map(([name, { schema }]) => [
      name,
      z.toJSONSchema(schema, { io: "input", target: "draft-07" }) as Record<string, unknown>,
    ]),
  ) as Record<ValidatedName, Record<string, unknown>>;
}

/** Schema keywords the checker does not implement, and defaults it could not apply soundly. */
function unsupported(schema: unknown, path: string, underBranch: boolean): string[] {
  if (typeof schema !== "object" || schema === null) return [];
  const s = schema as Record<string, unknown>;
  const found: string[] = [];
  for (const [keyword, value] of Object.entries(s)) {
    if (!SUPPORTED_KEYWORDS.includes(keyword)) found.push(`${path}: ${keyword}`);
    // A failed oneOf/anyOf branch must not leave defaults behind.
    if (keyword === "default" && underBranch) found.push(`${path}: default under oneOf/anyOf`);
    if (keyword === "propertyNames" && JSON.stringify(value) !== '{"type":"string"}')
      found.push(`${path}: propertyNames other than strings`);
  }
  const branch = underBranch || "oneOf" in s || "anyOf" in s;
  for (const key of ["items", "additionalProperties"])
    found.push(...unsupported(s[key], `${path}/${key}`, branch));
  for (const key of ["oneOf", "anyOf"]) {
    const branches: unknown[] = Array.isArray(s[key]) ? s[key] : [];
    for (const [i, b] of branches.entries()) found.push(...unsupported(b, `${path}/${key}/${i}`, true));
  }
  if (typeof s.properties === "object" && s.properties !== null) {
    for (const [k, v] of Object.entries(s.properties))
      found.push(...unsupported(v, `${path}/properties/${k}`, branch));
  }
  return found;
}

/** The generated module's text, unformatted. */
export function validatorsSource(): string {
  const schemas = validatorJsonSchemas();
  const problems = Object.entries(schemas).flatMap(([name, s]) => unsupported(s, name, false));
  if (problems.length) throw new Error(`charm/common/json-check.ts cannot check: ${problems.join("; ")}`);
  const byModule = new Map<string, string[]>();
  for (const [name, { types }] of Object.entries(SCHEMAS)) {
    byModule.set(types, [...(byModule.get(types) ?? []), name]);
  }
  // In the order biome's organizeImports keeps them (by path).
  const imports = [
    ...[...byModule].map(([from, names]) => ({
      from,
      line: `import type { ${[...names].sort().join(", ")} } from "${from}";`,
    })),
    {
      from: "../json-check.js",
      line: 'import { type JsonSchema, type Validator, validator } from "../json-check.js";',
    },
  ]
    .sort((a, b) => (a.from < b.from ? -1 : 1))
    .map((i) => i.line);
  const body = Object.entries(schemas).flatMap(([name, s]) => {
    const { $schema: _, ...schema } = s;
    return [
      `export const ${name}Schema: JsonSchema = ${JSON.stringify(schema)};`,
      `export const is${name}: Validator<${name}> = validator(${name}Schema);`,
      "",
    ];
  });
  return [
    "/**",
    " * GENERATED by scripts/generate-validators.ts from the zod schemas (`npm run validators`); do not edit.",
    " * Their JSON Schemas (as input: a `_default` field may be absent), checked by ../json-check.ts, so that",
    " * hooks load neither zod nor ajv. Each validator fills in `_default` fields as zod's parse does.",
    " */",
    "",
    ...imports,
    "",
    ...body,
  ].join("\n");
}

/** Biome owns the layout of every file in the repository. */
export function formatted(source: string): string {
  return execFileSync(
    resolve(ROOT, "node_modules/.bin/biome"),
    ["format", `--stdin-file-path=${resolve(ROOT, VALIDATORS_FILE)}`],
    { input: source, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = resolve(ROOT, VALIDATORS_FILE);
  writeFileSync(path, formatted(validatorsSource()));
  console.log(`wrote ${path}`);
}
