/**
 * The schema cross-check on a generated corpus: valid values mutated character by character (a seeded PRNG, so
 * the corpus is the same on every run), each put into an otherwise valid bag. ajv with the published schema
 * must accept every bag zod accepts, and may accept a bag zod refuses only in a listed gap.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { compileJsonSchema, type JsonSchemaValidator } from "../../../lib/connect-client/wire/ajv.js";
import {
  type ConnectClientRole,
  ProviderAppBag,
  RequirerAppBag,
  SCHEMA_FILES,
} from "../../../lib/connect-client/wire/index.js";
import { schemaGapOf, TEST_CA } from "../fixtures/cases.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** mulberry32: a small, well-mixed 32-bit PRNG; plenty for picking mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The characters the wire grammar turns on, plus the look-alikes people paste (NBSP, single quotes).
const ALPHABET = [..."://[],.0125789afxzAZ-_ \"'{}@#", "\u00a0"];

function mutate(value: string, random: () => number): string {
  let out = value;
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (out.length + 1));
    const ch = ALPHABET[Math.floor(random() * ALPHABET.length)] ?? "x";
    const op = random();
    if (op < 0.4) out = out.slice(0, at) + ch + out.slice(at);
    else if (op < 0.7) out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at) + ch + out.slice(at + 1);
  }
  return out;
}

interface Seed {
  role: ConnectClientRole;
  key: string;
  values: string[];
}

const REQUIRER = {
  "plugin-url": "http://10.1.1.200:8080/api/v1/plugin",
  "requested-secrets": '["username", "password", "tls", "tls-ca"]',
};
const PROVIDER = {
  endpoints: "http://10.0.0.1:8083,http://10.0.0.2:8083",
  "secret-user": "secret://59060ecc-0495-4a80-8006-5f1fc13fd783/cjqub6vubg2s77p3nio0",
};

const SEEDS: Seed[] = [
  {
    role: "requirer",
    key: "plugin-url",
    values: [
      REQUIRER["plugin-url"],
      "NOT-REQUIRED",
      "https://[fd00::1]:8443/p.tar#sha512=ab12",
      "http://255.1.10.0/x",
      "http://kc-1.example:80/",
    ],
  },
  {
    role: "requirer",
    key: "requested-secrets",
    values: [REQUIRER["requested-secrets"], '["username","password","tls-ca","tls-ca"]'],
  },
  { role: "requirer", key: "provided-secrets", values: ['["mtls-cert"]', "[]"] },
  {
    role: "provider",
    key: "endpoints",
    values: [
      PROVIDER.endpoints,
      "https://[::ffff:10.0.0.1]:8443, https://[1:2:3:4:5:6:7:8]",
      "http://kafka-connect-0.kafka-connect-endpoints:8083",
      "http://192.168.250.199:8083",
    ],
  },
  { role: "provider", key: "secret-user", values: [PROVIDER["secret-user"], "secret:cjqub6vubg2s77p3nio0"] },
  { role: "provider", key: "secret-tls", values: ["cjqub7fubg2s77p3niog"] },
  {
    role: "provider",
    key: "status",
    values: [
      '[{"code": 4001, "message": "Plugin download failed", "resolution": "Check the plugin-url"}]',
      '[{"resolution": "r", "code": 1000, "message": "m"}, {"code": 5001, "message": "", "resolution": ""}]',
      "[]",
    ],
  },
  { role: "provider", key: "tls", values: ["enabled", "disabled"] },
  { role: "provider", key: "tls-ca", values: [TEST_CA] },
];

const PER_VALUE = 40;

function generatedCorpus(): { role: ConnectClientRole; key: string; bag: Record<string, string> }[] {
  const random = prng(0xc0ffee);
  const corpus: { role: ConnectClientRole; key: string; bag: Record<string, string> }[] = [];
  for (const seed of SEEDS) {
    const base = seed.role === "requirer" ? REQUIRER : PROVIDER;
    for (const value of seed.values) {
      for (let i = 0; i < PER_VALUE; i++) {
        corpus.push({ role: seed.role, key: seed.key, bag: { ...base, [seed.key]: mutate(value, random) } });
      }
    }
  }
  return corpus;
}

describe("cross-check on a generated corpus of mutated values", () => {
  const validators: Partial<Record<ConnectClientRole, JsonSchemaValidator>> = {};
  beforeAll(async () => {
    for (const role of ["provider", "requirer"] as const) {
      const schema = JSON.parse(readFileSync(`${ROOT}${SCHEMA_FILES[role]}`, "utf8")) as unknown;
      validators[role] = await compileJsonSchema(schema);
    }
  });

  const corpus = generatedCorpus();

  it("is the same on every run, and large", () => {
    expect(generatedCorpus()).toEqual(corpus);
    expect(corpus.length).toBeGreaterThanOrEqual(500);
  });

  it("zod-valid implies ajv-valid; ajv-valid and zod-invalid only in a listed gap", () => {
    const counts = { bothValid: 0, bothInvalid: 0, inGap: 0 };
    const disagreements: string[] = [];
    for (const { role, key, bag } of corpus) {
      const ajvValid = (validators[role]?.({ app: bag }) ?? ["no validator"]).length === 0;
      const zod = (role === "provider" ? ProviderAppBag : RequirerAppBag).safeParse(bag);
      const shown = `${key}=${JSON.stringify(bag[key])}`;
      if (zod.success) {
        if (ajvValid) counts.bothValid++;
        else disagreements.push(`zod accepts, ajv refuses: ${shown}`);
      } else if (!ajvValid) {
        counts.bothInvalid++;
      } else {
        const outside = zod.error.issues.filter((issue) => schemaGapOf(issue.message) === undefined);
        if (outside.length > 0) {
          disagreements.push(
            `ajv accepts, zod refuses: ${shown}: ${outside.map((i) => i.message).join("; ")}`,
          );
        } else {
          counts.inGap++;
        }
      }
    }
    expect(disagreements).toEqual([]);
    // The mutations must exercise both verdicts, or the check proves nothing.
    expect(counts.bothValid).toBeGreaterThan(100);
    expect(counts.bothInvalid).toBeGreaterThan(200);
  });

  it("every key of both models is mutated", () => {
    const mutated = new Set(corpus.map((c) => c.key));
    // data, username and password take any non-empty string: nothing to mutate into a disagreement.
    const modelKeys = [...Object.keys(RequirerAppBag.shape), ...Object.keys(ProviderAppBag.shape)].filter(
      (k) => k !== "data" && k !== "username" && k !== "password",
    );
    for (const k of modelKeys) expect(mutated.has(k), k).toBe(true);
  });
});
