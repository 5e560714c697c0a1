import { describe, expect, it } from "vitest";
import type { DesiredConnector, Hold } from "../../../charm/common/desired-state.js";
import { ActionFailure, failureLine } from "../../../charm/src/actions/failure.js";
import {
  MAX_TEXT_RESULT,
  maskValues,
  oneLine,
  renderTable,
  resultKeys,
} from "../../../charm/src/actions/format.js";
import { jsonDepth, parseOffsetsParam } from "../../../charm/src/actions/offsets.js";
import { dryRun, planVerb } from "../../../charm/src/actions/plan.js";
import {
  type ObservedConnector,
  ownConnectors,
  type PlanInput,
} from "../../../charm/workload/reconciler/index.js";
import { KafkaConnectError } from "../../../lib/kafka-connect/index.js";
import { mirror, OWNER } from "./harness.js";

describe("format", () => {
  it("renders a table padded to the widest cell, trailing spaces trimmed", () => {
    expect(
      renderTable(
        ["NAME", "STATE"],
        [
          ["a-long-name", "RUNNING"],
          ["b", ""],
        ],
      ),
    ).toBe(["NAME         STATE", "a-long-name  RUNNING", "b"].join("\n"));
  });

  it("cuts a table that would not fit in one argv argument, and says how many rows are left out", () => {
    const rows = Array.from({ length: 2000 }, (_, i) => [`connector-${i}`.padEnd(80, "x"), "RUNNING"]);
    const table = renderTable(["NAME", "STATE"], rows);
    expect(table.length).toBeLessThanOrEqual(MAX_TEXT_RESULT);
    expect(table).toMatch(/\n… \d+ more \(see the structured results\)$/);
  });

  it("maps declared names to Juju result keys, unique and valid", () => {
    const keys = resultKeys(["orders", "Orders", "a.b", "a-b", "-x-", "..."]);
    expect([...keys.values()]).toEqual(["orders", "orders-2", "a-b", "a-b-2", "x", "connector"]);
    for (const key of keys.values()) expect(key).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
  });

  it("masks every secret value, longest first", () => {
    expect(maskValues("user=ab pass=abc", ["ab", "abc"])).toBe("user=*** pass=***");
    expect(oneLine("a\n\n b \nc", 6)).toBe("a; b;…");
    expect(oneLine("a\n\n b \nc")).toBe("a; b; c");
  });
});

describe("offsets param", () => {
  it("measures nesting without parsing, skipping brackets inside strings", () => {
    expect(jsonDepth('{"a": [1, {"b": "[[[{{{"}]}')).toBe(3);
    expect(jsonDepth('"\\"[["')).toBe(0);
  });

  it("accepts Kafka's shape and refuses anything else, naming where", () => {
    const ok = {
      offsets: [{ partition: { kafka_topic: "t", kafka_partition: 0 }, offset: { kafka_offset: 5 } }],
    };
    expect(parseOffsetsParam(JSON.stringify(ok))).toEqual(ok);
    expect(
      parseOffsetsParam('{"offsets":[{"partition":{"p":1},"offset":null}]}').offsets[0]?.offset,
    ).toBeNull();
    expect(() => parseOffsetsParam('{"offsets":[{"partition":{},"offset":null,"extra":1}]}')).toThrow(
      /offsets\.0/,
    );
    expect(() => parseOffsetsParam("[]")).toThrow(ActionFailure);
    expect(() => parseOffsetsParam("x".repeat(70_000))).toThrow(/over the 65536 limit/);
  });
});

describe("dryRun (the reconciler's plan, described)", () => {
  const valid = { errors: [], validated: true, passwordKeys: [] };
  const policy = { enabled: true, maxRestarts: 10, backoffUnitMs: 60_000 };
  const observe = (
    c: DesiredConnector,
    config: Record<string, string>,
    state?: "RUNNING" | "FAILED",
  ): Map<string, ObservedConnector> =>
    new Map([
      [
        c.name,
        {
          name: c.name,
          declared: c.declared,
          config,
          ...(state
            ? {
                status: {
                  name: c.name,
                  type: "source" as const,
                  connector: { state, worker_id: "w" },
                  tasks: [],
                },
              }
            : {}),
        },
      ],
    ]);
  const run = (
    c: DesiredConnector,
    observed: Map<string, ObservedConnector>,
    opts: { holds?: Record<string, Hold>; passwordKeys?: string[] } = {},
  ) =>
    dryRun({
      connectors: [c],
      owner: OWNER,
      holds: opts.holds ?? {},
      observed,
      history: {},
      now: 1_000_000,
      policy,
      workerVersion: "3.9.0",
      mask: (t) => t,
      validations: new Map([[c.declared, { ...valid, passwordKeys: opts.passwordKeys ?? [] }]]),
    }).plans[0]!;

  it("refuses exactly what the reconciler refuses, with the reconciler's words", () => {
    const orders = mirror("orders");
    const again = { ...mirror("orders-again"), name: orders.name };
    const theirs = mirror("audit", { owner: { ...OWNER, app: "other-app" } });
    const connectors = [orders, again, theirs];
    const mask = (t: string) => t;
    const input: PlanInput & Parameters<typeof dryRun>[0] = {
      connectors,
      owner: OWNER,
      holds: {},
      observed: new Map(),
      history: {},
      now: 1_000_000,
      policy,
      workerVersion: "3.9.0",
      mask,
      validations: new Map([[orders.declared, valid]]),
    };
    const { plans } = dryRun(input);
    const { own, refused } = ownConnectors(connectors, OWNER, mask);
    expect(own).toEqual([orders]);
    expect(plans.map((p) => p.action)).toEqual(["create", "refused", "refused"]);
    expect(plans[1]!.notes).toEqual([refused.get(1)!.error.message]);
    expect(plans[2]!.notes).toEqual([refused.get(2)!.error.message]);
    expect(plans[1]!.notes[0]).toMatch(/declared twice/);
    expect(plans[2]!.notes[0]).toMatch(/not a name of this application on this relation/);
  });

  it("masks secret keys and PASSWORD-typed keys on both sides, and names removed keys without values", () => {
    const c = mirror("orders", {
      config: { "db.password": "new-pw", "api.token": "tok-2", batch: "500" },
      secretKeys: ["api.token"],
    });
    const stored = {
      ...c.config,
      "db.password": "old-pw",
      "api.token": "tok-1",
      batch: "100",
      legacy: "old-secret",
    };
    const plan = run(c, observe(c, stored, "RUNNING"), { passwordKeys: ["db.password"] });
    expect(plan.action).toBe("update");
    expect(plan.changed).toEqual(["api.token", "batch", "db.password"]);
    expect(plan.removed).toEqual(["legacy"]);
    expect(plan.details).toEqual([
      "api.token: *** → ***",
      'batch: "100" → "500"',
      "db.password: *** → ***",
      "legacy: removed",
    ]);
    expect(JSON.stringify(plan)).not.toMatch(/pw|tok-|old-secret/);
  });

  it("an identical config is no update; a hold in force wins over the declaration, a stale one does not", () => {
    const c = mirror("orders");
    const observed = observe(c, { ...c.config }, "RUNNING");
    expect(planVerb(run(c, observed))).toBe("none");
    // A listing that leaves `name` out is not a difference either (the reconciler's rule).
    const { name: _n, ...withoutName } = c.config;
    expect(planVerb(run(c, observe(c, withoutName, "RUNNING")))).toBe("none");
    const hold = { state: "stopped" as const, declarationHash: c.declarationHash, since: "x" };
    expect(planVerb(run(c, observed, { holds: { orders: hold } }))).toBe("stop");
    const stale = { ...hold, declarationHash: "an older declaration" };
    expect(planVerb(run(c, observed, { holds: { orders: stale } }))).toBe("none");
    // FAILED and meant to run: the loop restarts it (the planner of this action said "none" before).
    expect(planVerb(run(c, observe(c, { ...c.config }, "FAILED")))).toBe("restart");
    expect(planVerb(run(mirror("new", { state: "paused" }), new Map()))).toBe("create (PAUSED)");
  });
});

describe("failureLine", () => {
  const error = (kind: ConstructorParameters<typeof KafkaConnectError>[0]["kind"], extra = {}) =>
    new KafkaConnectError({
      kind,
      message: "worker says\nsecond line",
      endpoint: "https://w:8083",
      method: "GET",
      path: "/",
      ...extra,
    });

  it("gives each Kafka Connect error kind one line an operator can act on", () => {
    expect(failureLine(error("timeout"))).toBe(
      "Kafka Connect did not answer in time: worker says; second line",
    );
    expect(failureLine(error("tls"))).toBe(
      "the certificate of https://w:8083 does not verify against the provider's CA: worker says; second line",
    );
    expect(failureLine(error("rebalancing"))).toMatch(/^Kafka Connect is rebalancing/);
    expect(failureLine(error("conflict", { status: 409 }))).toBe(
      "Kafka Connect answered 409 (conflict): worker says; second line",
    );
    expect(failureLine(error("aborted"))).toBe("the action ran out of time waiting for Kafka Connect");
    expect(failureLine(new Error("boom\nstack"))).toBe("the action failed: boom");
  });
});
