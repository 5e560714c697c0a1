import { describe, expect, it } from "vitest";
import {
  classifyEntry,
  InputError,
  inferRole,
  parseInputDocument,
  toWireBag,
} from "../../../lib/connect-client/wire/input.js";
import { fixtureText, GOLDEN, SEED } from "../fixtures/cases.js";

const LIST_NOTE =
  "requested-secrets: given as a list; read as its JSON text, as Juju holds it (a databag holds strings)";

describe("parseInputDocument", () => {
  it("reads the seed's relation-info YAML; the requirer's YAML list becomes JSON text, with a note", () => {
    expect(parseInputDocument(fixtureText("seed-002-requirer.yaml"))).toEqual([
      {
        label: "relation-info[0] (connect_client)",
        endpoint: "connect_client",
        app: SEED.requirer,
        notes: [LIST_NOTE],
      },
    ]);
    expect(parseInputDocument(fixtureText("seed-002-provider.yaml"))).toEqual([
      {
        label: "relation-info[0] (connect_client)",
        endpoint: "connect_client",
        app: SEED.provider,
        notes: [],
      },
    ]);
  });

  it("reads a JSON object and a YAML mapping as one bag", () => {
    expect(parseInputDocument('{"plugin-url": "NOT-REQUIRED"}')).toEqual([
      { label: "", app: { "plugin-url": "NOT-REQUIRED" }, notes: [] },
    ]);
    expect(parseInputDocument("plugin-url: NOT-REQUIRED\n")).toEqual([
      { label: "", app: { "plugin-url": "NOT-REQUIRED" }, notes: [] },
    ]);
  });

  it("reads `juju show-unit` output: every unit, every relation, and the first related unit's data", () => {
    const doc = `
kafka-connect/0:
  workload-version: 3.9.0
  relation-info:
  - relation-id: 7
    endpoint: connect-client
    related-endpoint: connect-client
    application-data:
      plugin-url: NOT-REQUIRED
      requested-secrets: '["username", "password"]'
    related-units:
      mm2/0:
        in-scope: true
        data:
          egress-subnets: 10.1.1.7/32
          ingress-address: 10.1.1.7
  - relation-id: 9
    endpoint: connect-client
    related-endpoint: connect-client
    application-data: {}
`;
    expect(parseInputDocument(doc)).toEqual([
      {
        label: "kafka-connect/0 relation-info[0] (connect-client)",
        endpoint: "connect-client",
        app: { "plugin-url": "NOT-REQUIRED", "requested-secrets": '["username", "password"]' },
        unit: { "egress-subnets": "10.1.1.7/32", "ingress-address": "10.1.1.7" },
        relatedUnits: [
          {
            name: "mm2/0",
            bag: { "egress-subnets": "10.1.1.7/32", "ingress-address": "10.1.1.7" },
            notes: [],
          },
        ],
        notes: [],
      },
      {
        label: "kafka-connect/0 relation-info[1] (connect-client)",
        endpoint: "connect-client",
        app: {},
        notes: [],
      },
    ]);
  });

  it("reads a full `juju show-unit` capture: endpoints, peers (local-unit), every related unit", () => {
    const bags = parseInputDocument(fixtureText("show-unit-kafka-connect.yaml"));
    expect(bags.map((b) => [b.label, b.endpoint, b.peer ?? false])).toEqual([
      ["kafka-connect/0 relation-info[0] (worker)", "worker", true],
      ["kafka-connect/0 relation-info[1] (upgrade)", "upgrade", true],
      ["kafka-connect/0 relation-info[2] (kafka-client)", "kafka-client", false],
      ["kafka-connect/0 relation-info[3] (connect-client)", "connect-client", false],
    ]);
    // The local unit's own data is not a related unit's.
    expect(bags[0]?.relatedUnits?.map((u) => u.name)).toEqual(["kafka-connect/1"]);
    expect(bags[1]?.relatedUnits).toBeUndefined();
    // The integrator's unit databag holds the LIBPATCH 59 golden unit keys, next to Juju's own.
    const unit = bags[3]?.relatedUnits?.[0];
    expect(unit?.name).toBe("mysql-connect-integrator/0");
    expect(unit?.bag).toEqual({
      "egress-subnets": "10.1.1.200/32",
      "ingress-address": "10.1.1.200",
      "private-address": "10.1.1.200",
      ...GOLDEN.requirerLibpatch59Unit,
    });
  });

  it("refuses what is not a mapping of databags", () => {
    const cases: [string, string][] = [
      ["a: [", "not JSON or YAML: "],
      ["- a\n- b\n", "expected a mapping (a databag, or relation-info as `juju show-unit` prints it)"],
      ["", "expected a mapping"],
      ["just text", "expected a mapping"],
      ["relation-info: {}", "relation-info must be a list"],
      ["relation-info: [3]", "relation-info[0] must be a mapping"],
      ["relation-info:\n  - application-data: [1]\n", "relation-info[0] application-data must be a mapping"],
      ["a: 1\na: 2\n", '"a" is given twice in one mapping at line 2, column 1'],
      [
        '{"a": "1", "b": {"c": "2", "\\u0063": "3"}}',
        '"c" is given twice in one mapping at line 1, column 28',
      ],
    ];
    for (const [text, message] of cases) {
      expect(() => parseInputDocument(text), text).toThrow(InputError);
      expect(() => parseInputDocument(text), text).toThrow(message);
    }
  });
});

describe("toWireBag", () => {
  it("keeps strings, writes other values as JSON text (as Python would), and null as empty", () => {
    expect(
      toWireBag({ a: "x", n: 8083, b: true, l: ["username", "password"], m: { k: 1 }, z: null }),
    ).toEqual({
      bag: { a: "x", n: "8083", b: "true", l: '["username", "password"]', m: '{"k": 1}', z: "" },
      notes: [
        "n: given as a number; read as its JSON text, as Juju holds it (a databag holds strings)",
        "b: given as a boolean; read as its JSON text, as Juju holds it (a databag holds strings)",
        "l: given as a list; read as its JSON text, as Juju holds it (a databag holds strings)",
        "m: given as a mapping; read as its JSON text, as Juju holds it (a databag holds strings)",
      ],
    });
  });
});

describe("classifyEntry: is a relation-info entry a connect_client databag?", () => {
  const entry = (app: Record<string, string>, peer = false) => ({
    label: "e",
    app,
    notes: [],
    ...(peer ? { peer } : {}),
  });

  it("yes, when its keys tell the side and none belongs to another interface", () => {
    expect(classifyEntry(entry(SEED.requirer))).toEqual({ kind: "connect_client", role: "requirer" });
    expect(classifyEntry(entry({ ...SEED.provider, data: "{}", "secret-extra": "secret:x" }))).toEqual({
      kind: "connect_client",
      role: "provider",
    });
  });

  it("no, for a peer relation, whatever its keys", () => {
    expect(classifyEntry(entry(SEED.provider, true))).toEqual({ kind: "peer" });
  });

  it("no, for an empty bag, or keys that do not tell the side", () => {
    expect(classifyEntry(entry({}))).toEqual({ kind: "empty" });
    expect(classifyEntry(entry({ username: "u", password: "p" }))).toEqual({ kind: "no-role", both: false });
    expect(classifyEntry(entry({ "plugin-url": "NOT-REQUIRED", endpoints: "http://a:1" }))).toEqual({
      kind: "no-role",
      both: true,
    });
  });

  it("no, for another interface of Canonical's library that shares keys with connect_client", () => {
    // kafka_client: the Kafka provider writes endpoints and secret-user too, and topic.
    expect(
      classifyEntry(entry({ endpoints: "10.1.1.10:9092", "secret-user": "secret:x", topic: "t" })),
    ).toEqual({ kind: "foreign", keys: ["topic"] });
    // A database requirer sends requested-secrets too.
    expect(classifyEntry(entry({ "requested-secrets": "[]", database: "app" }))).toEqual({
      kind: "foreign",
      keys: ["database"],
    });
  });
});

describe("inferRole", () => {
  it("tells the side from the keys only that side writes", () => {
    expect(inferRole({ "plugin-url": "NOT-REQUIRED" })).toBe("requirer");
    expect(inferRole({ "requested-secrets": "[]" })).toBe("requirer");
    expect(inferRole({ endpoints: "http://a:1" })).toBe("provider");
    expect(inferRole({ "secret-user": "secret:cjqub6vubg2s77p3nio0", data: "{}" })).toBe("provider");
  });

  it("gives up on bags with neither or both sides' keys", () => {
    expect(inferRole({})).toBeUndefined();
    expect(inferRole({ data: "{}", username: "u" })).toBeUndefined();
    expect(inferRole({ "plugin-url": "NOT-REQUIRED", endpoints: "http://a:1" })).toBeUndefined();
  });
});
