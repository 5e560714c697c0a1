import { describe, expect, it } from "vitest";
import { ActionFailure, failureLine } from "../../../charm/src/actions/failure.js";
import {
  MAX_TEXT_RESULT,
  maskValues,
  oneLine,
  renderTable,
  resultKeys,
} from "../../../charm/src/actions/format.js";
import { jsonDepth, parseOffsetsParam } from "../../../charm/src/actions/offsets.js";
import { planConnector, planVerb } from "../../../charm/src/actions/plan.js";
import { KafkaConnectError } from "../../../lib/kafka-connect/index.js";
import { mirror } from "./harness.js";

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

describe("planConnector", () => {
  const valid = { errors: [], validated: true };

  it("masks secret keys and PASSWORD-typed keys on both sides, and names removed keys without values", () => {
    const c = mirror("orders", {
      config: { "db.password": "new-pw", "api.token": "tok-2", batch: "500" },
      secretKeys: ["api.token"],
    });
    const observed = {
      info: {
        name: c.name,
        type: "source" as const,
        tasks: [],
        config: {
          ...c.config,
          "db.password": "old-pw",
          "api.token": "tok-1",
          batch: "100",
          legacy: "old-secret",
        },
      },
    };
    const plan = planConnector(c, observed, {}, new Set(["api.token", "db.password"]), valid);
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
    const status = {
      name: c.name,
      type: "source" as const,
      connector: { state: "RUNNING" as const, worker_id: "w" },
      tasks: [],
    };
    const observed = {
      info: { name: c.name, type: "source" as const, tasks: [], config: { ...c.config } },
      status,
    };
    expect(planVerb(planConnector(c, observed, {}, new Set(), valid))).toBe("none");
    const hold = { state: "stopped" as const, declarationHash: c.declarationHash, since: "x" };
    expect(planVerb(planConnector(c, observed, { orders: hold }, new Set(), valid))).toBe("stop");
    const stale = { ...hold, declarationHash: "an older declaration" };
    expect(planVerb(planConnector(c, observed, { orders: stale }, new Set(), valid))).toBe("none");
    const failed = {
      ...observed,
      status: { ...status, connector: { state: "FAILED" as const, worker_id: "w" } },
    };
    expect(planVerb(planConnector(c, failed, {}, new Set(), valid))).toBe("none");
    expect(planVerb(planConnector(mirror("new", { state: "paused" }), undefined, {}, new Set(), valid))).toBe(
      "create (PAUSED)",
    );
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
