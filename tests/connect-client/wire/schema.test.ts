import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { compileJsonSchema, type JsonSchemaValidator } from "../../../lib/connect-client/wire/ajv.js";
import {
  connectClientJsonSchema,
  ProviderAppBag,
  RequirerAppBag,
  SCHEMA_FILES,
  SECRET_KEY_PATTERN,
  schemaFileText,
} from "../../../lib/connect-client/wire/index.js";
import { SECRET_KEY } from "../../../lib/juju/secret-uri.js";
import { BAD, type CorpusEntry, schemaGapOf, VALID, ZOD_STRICTER } from "../fixtures/cases.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ROLES = ["provider", "requirer"] as const;

function committed(role: (typeof ROLES)[number]): Record<string, unknown> {
  return JSON.parse(readFileSync(`${ROOT}${SCHEMA_FILES[role]}`, "utf8")) as Record<string, unknown>;
}

describe("published JSON Schemas", () => {
  for (const role of ROLES) {
    it(`${SCHEMA_FILES[role]} is what the zod models generate (else: run npm run schemas)`, () => {
      // Compared as data with key order (Biome may re-wrap the file's short arrays).
      const onDisk = schemaFileText(committed(role));
      expect(onDisk, "run npm run schemas").toBe(schemaFileText(connectClientJsonSchema(role)));
    });
  }

  it("follow the charm-relation-interfaces layout: optional unit, required app, models under $defs", () => {
    for (const role of ROLES) {
      const s = committed(role);
      const model = role === "provider" ? "ConnectProviderData" : "ConnectRequirerData";
      expect(s).toMatchObject({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: `urn:kafka-connect-charm-kit:schemas:connect_client:v0:${role}`,
        title: role === "provider" ? "ProviderSchema" : "RequirerSchema",
        type: "object",
        required: ["app"],
        properties: {
          unit: { anyOf: [{ $ref: "#/$defs/BaseModel" }, { type: "null" }], default: null },
          app: { $ref: `#/$defs/${model}` },
        },
        $defs: { BaseModel: { properties: {}, title: "BaseModel", type: "object" } },
      });
      expect(Object.keys(s)).toEqual([...Object.keys(s)].sort());
    }
    expect(committed("requirer")).toMatchObject({
      $defs: { ConnectRequirerData: { required: ["plugin-url", "requested-secrets"] } },
    });
    expect(committed("provider")).toMatchObject({
      $defs: {
        ConnectProviderData: {
          required: ["endpoints"],
          anyOf: [{ required: ["secret-user"] }, { required: ["username", "password"] }],
          dependentRequired: { username: ["password"], password: ["username"] },
        },
      },
    });
  });

  it("the secret-key pattern is Juju's, and the schema's requested-secrets pattern is the model's", () => {
    expect(SECRET_KEY_PATTERN.source).toBe(SECRET_KEY.source);
    const app = (
      committed("requirer")["$defs"] as Record<string, { properties: Record<string, { pattern: string }> }>
    )["ConnectRequirerData"];
    const pattern = new RegExp(app?.properties["requested-secrets"]?.pattern ?? "", "u");
    expect(pattern.test('["username", "password"]')).toBe(true);
    expect(pattern.test('["username"]')).toBe(false);
    expect(pattern.test('["username", "password", "Bad"]')).toBe(false);
    // Repeats are read once with a warning, so the schema accepts them (uniqueness is only described).
    expect(pattern.test('["username", "password", "tls-ca", "tls-ca"]')).toBe(true);
    expect(JSON.stringify(committed("requirer"))).not.toContain("uniqueItems");
  });

  it("the provider schema describes the legacy cleartext tls and tls-ca", () => {
    const app = (committed("provider")["$defs"] as Record<string, { properties: Record<string, unknown> }>)[
      "ConnectProviderData"
    ];
    expect(app?.properties["tls"]).toMatchObject({ type: "string", pattern: "^(?:enabled|disabled)$" });
    expect(app?.properties["tls-ca"]).toMatchObject({ type: "string", minLength: 1 });
  });
});

describe("cross-check: ajv with the published schema and the zod model agree on the whole corpus", () => {
  const validators: Partial<Record<(typeof ROLES)[number], JsonSchemaValidator>> = {};
  beforeAll(async () => {
    for (const role of ROLES) validators[role] = await compileJsonSchema(committed(role));
  });

  const verdicts = (e: CorpusEntry) => {
    const ajvProblems = validators[e.role]?.({ app: e.bag }) ?? ["no validator"];
    const zodValid = (e.role === "provider" ? ProviderAppBag : RequirerAppBag).safeParse(e.bag).success;
    return { ajv: ajvProblems.length === 0, zod: zodValid };
  };

  for (const e of VALID) {
    it(`valid: ${e.name}`, () => {
      expect(verdicts(e)).toEqual({ ajv: true, zod: true });
    });
  }

  for (const c of BAD) {
    // zod is stricter only where a JSON Schema cannot express the rule: each such class says why.
    const gaps = c.problems.map((p) => schemaGapOf(p.message));
    const inGap = gaps.every((g) => g !== undefined);
    it(`invalid: ${c.name}${inGap ? ` (JSON Schema cannot say it: ${gaps[0]?.name})` : ""}`, () => {
      expect(verdicts(c)).toEqual({ ajv: inGap, zod: false });
    });
  }

  it("every listed gap has a case in the corpus", () => {
    for (const gap of ZOD_STRICTER) {
      const witnesses = BAD.filter((c) => c.problems.every((p) => schemaGapOf(p.message) === gap));
      expect(witnesses.length, gap.name).toBeGreaterThan(0);
    }
  });

  it("the CRI unit databag may be absent, null or any object", () => {
    const bag = VALID[0]?.bag ?? {};
    expect(validators.requirer?.({ app: bag, unit: null })).toEqual([]);
    expect(validators.requirer?.({ app: bag, unit: { "egress-subnets": "10.0.0.0/24" } })).toEqual([]);
    expect(validators.requirer?.({ unit: {} })).toEqual([
      { key: "app", message: "app is missing (required by the schema)" },
    ]);
  });
});
