import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type * as z from "zod/mini";
import { DesiredState, RestartHistory } from "../../../charm/common/desired-state.js";
import * as generated from "../../../charm/common/generated/validators.js";
import type { Validator } from "../../../charm/common/json-check.js";
import { StatusSnapshot } from "../../../charm/common/snapshot.js";
import { CopyStamp, Holds, HookState, LastGood, ParseCache } from "../../../charm/src/state-schemas.js";
import { formatted, VALIDATORS_FILE, validatorsSource } from "../../../scripts/generate-validators.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const SHA512 = "ab".repeat(64);

const connector = {
  declared: "orders",
  name: "orders_app_r1_0123456789abcdef0123456789abcdef",
  config: {
    "connector.class": "X",
    "tasks.max": "1",
    name: "orders_app_r1_0123456789abcdef0123456789abcdef",
  },
  state: "running",
  declarationHash: "h1",
  secretKeys: ["password"],
};
const hold = { state: "paused", declarationHash: "h1", since: "2025-01-02T03:04:05.000Z" };
const record = {
  count: 2,
  lastRestartAt: 1000,
  healthySince: 2000,
  declarationHash: "h1",
  gaveUp: true,
  total: 7,
};
/** `gaveUp` and `total` are `_default` fields: absent, they are filled in. */
const bareRecord = { count: 0 };

const desired = {
  version: 1,
  generation: 3,
  writtenAt: "2025-01-02T03:04:05.000Z",
  unit: "app/0",
  app: "app",
  modelUuid: "uuid",
  charmDir: "/charm",
  port: 8080,
  plugin: { mode: "serve", path: "/state/plugin.tar", sha512: SHA512, size: 10 },
  leader: true,
  kafkaConnect: { relation: 1, endpoints: ["http://a:8083"], username: "u", password: "p", tlsCa: "ca" },
  connectors: [connector],
  holds: { orders: hold },
  restartPolicy: { enabled: true, maxRestarts: 10, backoffUnitMs: 60_000 },
  reconcileIntervalMs: 30_000,
  history: { a: record, b: bareRecord },
};

const snapshot = {
  version: 1,
  writtenAt: "2025-01-02T03:04:05.000Z",
  generation: 3,
  acting: true,
  pluginServer: { listening: true, port: 8080, sha512: SHA512, downloads: 2, bytesServed: 20.5, error: "e" },
  kafkaConnect: { reachable: false, version: "3.9.0", error: { kind: "unavailable", message: "m" } },
  lastReconcile: { at: "2025-01-02T03:04:05.000Z", durationMs: 1.5, requests: 1, ok: true },
  connectors: [
    {
      declared: "orders",
      name: "orders_x",
      desired: "running",
      held: "stopped",
      state: "FAILED",
      trace: "t",
      tasks: [{ id: 0, state: "RUNNING", trace: "t0" }],
      error: { kind: "invalid-config", message: "m" },
    },
  ],
  history: { a: bareRecord },
  desiredError: "bad",
};

const SAMPLES: [string, z.ZodMiniType, Validator<unknown>, unknown[]][] = [
  [
    "DesiredState",
    DesiredState,
    generated.isDesiredState,
    [
      desired,
      { ...desired, plugin: { mode: "not-required" }, kafkaConnect: undefined, history: {} },
      { ...desired, plugin: { mode: "missing" }, connectors: [], holds: {} },
    ],
  ],
  ["StatusSnapshot", StatusSnapshot, generated.isStatusSnapshot, [snapshot, { ...snapshot, deleted: ["x"] }]],
  ["RestartHistory", RestartHistory, generated.isRestartHistory, [{ a: record, b: bareRecord }, {}]],
  ["Holds", Holds, generated.isHolds, [{ orders: hold, audit: { ...hold, state: "stopped" } }]],
  ["HookState", HookState, generated.isHookState, [{}, { published: "1 app/0 8080 x", openedPort: 8080 }]],
  [
    "LastGood",
    LastGood,
    generated.isLastGood,
    [{ textSha: "s", suffix: "_app_r1_x", connectors: [connector] }],
  ],
  [
    "ParseCache",
    ParseCache,
    generated.isParseCache,
    [
      {
        sha256: "s",
        result: {
          ok: true,
          declarations: [
            {
              declared: "orders",
              className: "X",
              tasksMax: 2,
              config: { a: "b" },
              state: "paused",
              declarationHash: "h",
            },
          ],
        },
      },
      { sha256: "s", result: { ok: false, problems: [{ key: "connectors", message: "m" }] } },
    ],
  ],
  ["CopyStamp", CopyStamp, generated.isCopyStamp, [{ source: "/r", size: 1, mtimeMs: 1.5, sha512: SHA512 }]],
];

/** Wrong values a field might hold: each type, and the edges the schemas bound (negative, fraction, empty). */
const WRONG: unknown[] = [null, true, "x", "", 0, -1, 1.5, 65_536, 2 ** 53, [], [1], {}, { a: 1 }];

/** Every variant of `value` with one change: a field dropped, replaced by a wrong value, or an extra key. */
function mutations(value: unknown): unknown[] {
  const out: unknown[] = [...WRONG];
  if (Array.isArray(value)) {
    out.push([]);
    value.forEach((item, i) => {
      for (const m of mutations(item)) out.push(value.map((v, j) => (j === i ? m : v)));
    });
  } else if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    for (const extra of ["extra", "constructor", "toString", "__proto__"]) {
      out.push(
        JSON.parse(JSON.stringify(obj).replace(/^\{/, `{"${extra}":1${Object.keys(obj).length ? "," : ""}`)),
      );
    }
    for (const key of Object.keys(obj)) {
      const { [key]: _, ...rest } = obj;
      out.push(rest);
      for (const m of mutations(obj[key])) out.push({ ...obj, [key]: m });
    }
  }
  return out;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe("the hooks' validators, generated from the zod schemas", () => {
  it(`${VALIDATORS_FILE} is what the zod schemas generate (else: run npm run validators)`, () => {
    expect(readFileSync(resolve(ROOT, VALIDATORS_FILE), "utf8")).toBe(formatted(validatorsSource()));
  });

  describe.each(SAMPLES)("%s", (_name, schema, isValid, samples) => {
    it("accepts what zod accepts, with the same defaults filled in", () => {
      for (const sample of samples) {
        const value = clone(sample);
        const parsed = schema.safeParse(clone(sample));
        expect(parsed.success).toBe(true);
        expect(isValid.problem(clone(sample))).toBeUndefined();
        expect(isValid(value)).toBe(true);
        expect(value).toEqual(parsed.data);
      }
    });

    it("agrees with zod on every one-change variant of each sample", () => {
      let checked = 0;
      let refused = 0;
      for (const sample of samples) {
        for (const variant of mutations(clone(sample))) {
          const text = JSON.stringify(variant);
          if (text === undefined) continue;
          const zodOk = schema.safeParse(JSON.parse(text)).success;
          const ours = JSON.parse(text);
          expect({ text, ok: isValid(ours) }).toEqual({ text, ok: zodOk });
          if (zodOk) expect(ours).toEqual(schema.parse(JSON.parse(text)));
          checked++;
          if (!zodOk) refused++;
        }
      }
      expect(refused).toBeGreaterThan(checked / 2);
    });
  });

  it("says where a value differs, never what it holds", () => {
    const bad = { ...clone(desired), kafkaConnect: { ...desired.kafkaConnect, password: 42 } };
    expect(generated.isDesiredState.problem(bad)).toBe("/kafkaConnect/password: expected string");
    expect(generated.isDesiredState.problem({ ...clone(desired), extra: "secret-value" })).toBe(
      "/extra: not allowed",
    );
  });
});
