import { describe, expect, it } from "vitest";
import type {
  DesiredConnector,
  Hold,
  RestartHistory,
  RestartPolicy,
} from "../../../charm/common/desired-state.js";
import type { Action } from "../../../charm/workload/reconciler/planner.js";
import { maskerFor } from "../../../charm/workload/reconciler/report.js";
import { backoffMs, decideRestart, healthOf } from "../../../charm/workload/reconciler/restart-policy.js";
import type { ConnectorState } from "../../../lib/kafka-connect/index.js";
import { declare, POLICY, planFor, seen, T0, UNIT_MS } from "./fixtures.js";

const kinds = (actions: readonly Action[]) => actions.map((a) => a.kind);

describe("the state machine (Strimzi's table)", () => {
  const orders = declare("orders");
  // observed connector state × desired state → actions; FAILED tasks are not involved here.
  const rows: [ConnectorState, DesiredConnector["state"], string[], string?][] = [
    ["RUNNING", "running", []],
    ["RUNNING", "paused", ["pause"]],
    ["RUNNING", "stopped", ["stop"]],
    ["PAUSED", "running", ["resume"]],
    ["PAUSED", "paused", []],
    ["PAUSED", "stopped", ["stop"]],
    ["STOPPED", "running", ["resume"]],
    ["STOPPED", "paused", ["pause"]],
    ["STOPPED", "stopped", []],
    ["FAILED", "running", ["restart"]],
    ["FAILED", "paused", [], "refused-transition"],
    ["FAILED", "stopped", ["stop"]],
    ["UNASSIGNED", "running", []],
    ["UNASSIGNED", "paused", []],
    ["UNASSIGNED", "stopped", []],
    ["RESTARTING", "running", []],
    ["RESTARTING", "paused", []],
    ["RESTARTING", "stopped", []],
  ];
  it.each(rows)("observed %s, desired %s → %j", (observed, state, expected, note) => {
    const connector = { ...orders, state };
    const result = planFor([connector], [seen(connector, observed)]);
    expect(kinds(result.actions)).toEqual(expected);
    expect(result.notes.map((n) => n.kind)).toEqual(note ? [note] : []);
    expect(result.observations[0]).toMatchObject({ state: observed, desired: state });
    if (note) expect(result.observations[0]!.error?.message).toMatch(/FAILED connector cannot be paused/);
  });

  it("stop on a worker older than 3.5 pauses instead and says why", () => {
    const connector = { ...orders, state: "stopped" as const };
    const running = planFor([connector], [seen(connector, "RUNNING")], { workerVersion: "3.4.1" });
    expect(kinds(running.actions)).toEqual(["pause"]);
    expect(running.notes[0]).toMatchObject({ kind: "unsupported" });
    expect(running.notes[0]!.message).toMatch(
      /stopped needs Kafka Connect 3\.5 or later \(this worker runs 3\.4\.1\)/,
    );
    const paused = planFor([connector], [seen(connector, "PAUSED")], { workerVersion: "3.4.1" });
    expect(kinds(paused.actions)).toEqual([]);
    expect(paused.observations[0]!.error?.kind).toBe("unsupported");
  });
});

describe("create, update and delete", () => {
  const orders = declare("orders");

  it.each([
    // version, declared state → the create action
    ["3.9.0", "running", {}],
    ["3.7.0", "paused", { initialState: "PAUSED" }],
    ["3.7.0", "stopped", { initialState: "STOPPED" }],
    ["3.6.2", "paused", { afterCreate: "pause" }],
    ["3.6.2", "stopped", { afterCreate: "stop" }],
    ["3.4.0", "stopped", { afterCreate: "pause" }],
    ["2.8.1", "running", {}],
  ] as const)("on %s a connector declared %s and missing is created with %j", (version, state, how) => {
    const connector = { ...orders, state };
    const result = planFor([connector], [], { workerVersion: version });
    expect(result.actions).toEqual([
      { kind: "create", name: orders.name, declared: "orders", config: { ...orders.config }, ...how },
    ]);
    expect(result.observations[0]).toMatchObject({ state: "MISSING", desired: state, tasks: [] });
  });

  it("compares with the config as Kafka stores it (name added) and never plans an identical PUT", () => {
    const withoutName = declare("orders");
    const { name: _n, ...config } = withoutName.config;
    const connector = { ...withoutName, config };
    const result = planFor(
      [connector],
      [seen(connector, "RUNNING", ["RUNNING"], { config: { ...config, name: connector.name } })],
    );
    expect(result.actions).toEqual([]);
  });

  it("updates with the full desired map and names the changed, added and removed keys", () => {
    const connector = declare("orders", { config: { "batch.size": "500", topic: "orders" } });
    const stored = { ...connector.config, "batch.size": "100", "old.key": "x" };
    delete (stored as Record<string, string>).topic;
    const result = planFor([connector], [seen(connector, "RUNNING", ["RUNNING"], { config: stored })]);
    expect(result.actions).toEqual([
      {
        kind: "update",
        name: connector.name,
        declared: "orders",
        config: connector.config,
        changedKeys: ["batch.size", "old.key", "topic"],
      },
    ]);
  });

  it("deletes ours that are no longer declared, and nothing it was not shown", () => {
    const orders2 = declare("orders");
    const gone = declare("gone");
    const result = planFor([orders2], [seen(orders2, "RUNNING"), seen(gone, "RUNNING")]);
    expect(result.actions).toEqual([{ kind: "delete", name: gone.name, declared: "gone" }]);
    expect(result.observations.map((o) => o.declared)).toEqual(["orders"]);
  });

  it("orders actions: deletes, creates, updates, state changes, restarts", () => {
    const a = declare("a");
    const b = { ...declare("b"), state: "paused" as const };
    const c = declare("c", { config: { x: "new" } });
    const d = declare("d");
    const old = declare("old");
    const result = planFor(
      [d, c, b, a],
      [
        seen(d, "RUNNING", ["FAILED"]),
        seen(c, "RUNNING", [], { config: { ...c.config, x: "old" } }),
        seen(b, "RUNNING"),
        seen(old, "RUNNING"),
      ],
    );
    expect(kinds(result.actions)).toEqual(["delete", "create", "update", "pause", "restart"]);
  });

  it("a config update is not followed by a restart in the same cycle (the update restarts it already)", () => {
    const connector = declare("orders", { config: { x: "new" } });
    const result = planFor(
      [connector],
      [seen(connector, "FAILED", [], { config: { ...connector.config, x: "old" } })],
    );
    expect(kinds(result.actions)).toEqual(["update"]);
    expect(result.history).toEqual({
      [connector.name]: { count: 0, gaveUp: false, total: 0, declarationHash: connector.declarationHash },
    });
  });
});

describe("holds", () => {
  const orders = declare("orders");
  const hold = (state: Hold["state"], declarationHash = orders.declarationHash): Hold => ({
    state,
    declarationHash,
    since: "2026-01-01T00:00:00Z",
  });

  it.each([
    ["declared name", "orders"],
    ["Kafka Connect name", orders.name],
  ])("a hold keyed by %s wins over the declared state", (_what, key) => {
    const result = planFor([orders], [seen(orders, "RUNNING", ["RUNNING"])], {
      holds: { [key]: hold("paused") },
    });
    expect(kinds(result.actions)).toEqual(["pause"]);
    expect(result.observations[0]).toMatchObject({ desired: "paused", held: "paused" });
  });

  it("a stopped hold stops, and a held connector is not auto-restarted", () => {
    const result = planFor([orders], [seen(orders, "FAILED", ["FAILED"])], {
      holds: { orders: hold("stopped") },
    });
    expect(kinds(result.actions)).toEqual(["stop"]);
  });

  it("a declaration change releases the hold: the declared state applies again", () => {
    const changed = { ...orders, declarationHash: "hash-orders-v2" };
    const result = planFor([changed], [seen(changed, "PAUSED", ["PAUSED"])], {
      holds: { orders: hold("paused") },
    });
    expect(kinds(result.actions)).toEqual(["resume"]);
    expect(result.observations[0]).toMatchObject({ desired: "running" });
    expect(result.observations[0]!.held).toBeUndefined();
  });
});

describe("auto-restart", () => {
  it("waits min(n² + n, 60) units before restart n", () => {
    expect(Array.from({ length: 10 }, (_, n) => backoffMs(n, UNIT_MS) / UNIT_MS)).toEqual([
      0, 2, 6, 12, 20, 30, 42, 56, 60, 60,
    ]);
  });

  it("restarts a connector that keeps failing on the schedule 0, 2, 6, 12, 20, 30, 42, 56, 60, 60 units", () => {
    const orders = declare("orders");
    const policy: RestartPolicy = { ...POLICY, maxRestarts: 0 };
    let history: RestartHistory = {};
    const restartedAt: number[] = [];
    // Observed every half unit, always failing, for 400 units.
    for (let t = T0; t <= T0 + 400 * UNIT_MS; t += UNIT_MS / 2) {
      const result = planFor([orders], [seen(orders, "RUNNING", ["RUNNING", "FAILED"])], {
        history,
        now: t,
        policy,
      });
      if (result.actions.some((a) => a.kind === "restart")) restartedAt.push(t);
      history = result.history;
    }
    const waits = restartedAt.map((t, i) => (t - (i === 0 ? T0 : restartedAt[i - 1]!)) / UNIT_MS);
    expect(waits.slice(0, 10)).toEqual([0, 2, 6, 12, 20, 30, 42, 56, 60, 60]);
    expect(history[orders.name]).toMatchObject({
      count: restartedAt.length,
      total: restartedAt.length,
      gaveUp: false,
    });
  });

  it("restarts with includeTasks&onlyFailed on 3.0+, and connector plus per-task restarts before", () => {
    const orders = declare("orders");
    const observed = seen(orders, "FAILED", ["RUNNING", "FAILED", "FAILED"]);
    const modern = planFor([orders], [observed], { workerVersion: "3.0.0" }).actions[0];
    expect(modern).toMatchObject({ kind: "restart", withFlags: true, connector: true, tasks: [1, 2] });
    const old = planFor([orders], [observed], { workerVersion: "2.8.2" }).actions[0];
    expect(old).toMatchObject({ kind: "restart", withFlags: false, connector: true, tasks: [1, 2] });
  });

  it("gives up after maxRestarts: no more restarts, however long it waits", () => {
    const orders = declare("orders");
    const policy: RestartPolicy = { ...POLICY, maxRestarts: 3 };
    let history: RestartHistory = {};
    let restarts = 0;
    for (let t = T0; t <= T0 + 1000 * UNIT_MS; t += UNIT_MS) {
      const result = planFor([orders], [seen(orders, "FAILED", ["FAILED"])], { history, now: t, policy });
      restarts += result.actions.filter((a) => a.kind === "restart").length;
      history = result.history;
    }
    expect(restarts).toBe(3);
    expect(history[orders.name]).toMatchObject({ count: 3, gaveUp: true, total: 3 });
  });

  it("resets the streak once healthy for the backoff of its count; the total stays", () => {
    const orders = declare("orders");
    const lastRestartAt = T0 - 100 * UNIT_MS;
    let history: RestartHistory = {
      [orders.name]: {
        count: 3,
        gaveUp: true,
        total: 9,
        lastRestartAt,
        declarationHash: orders.declarationHash,
      },
    };
    const healthy = seen(orders, "RUNNING", ["RUNNING", "RUNNING"]);
    history = planFor([orders], [healthy], { history, now: T0 }).history;
    expect(history[orders.name]).toMatchObject({ count: 3, gaveUp: true, healthySince: T0 });
    // backoff(3) = 12 units: one millisecond short, then exactly.
    history = planFor([orders], [healthy], { history, now: T0 + 12 * UNIT_MS - 1 }).history;
    expect(history[orders.name]).toMatchObject({ count: 3, gaveUp: true });
    history = planFor([orders], [healthy], { history, now: T0 + 12 * UNIT_MS }).history;
    expect(history[orders.name]).toEqual({
      count: 0,
      gaveUp: false,
      total: 9,
      lastRestartAt,
      healthySince: T0,
      declarationHash: orders.declarationHash,
    });
  });

  it("a failure during the healthy period ends it: the count is kept", () => {
    const orders = declare("orders");
    let history: RestartHistory = {
      [orders.name]: {
        count: 2,
        gaveUp: false,
        total: 2,
        lastRestartAt: T0 - 1,
        declarationHash: orders.declarationHash,
      },
    };
    history = planFor([orders], [seen(orders, "RUNNING", ["RUNNING"])], { history, now: T0 }).history;
    history = planFor([orders], [seen(orders, "RUNNING", ["FAILED"])], {
      history,
      now: T0 + UNIT_MS,
    }).history;
    expect(history[orders.name]!.healthySince).toBeUndefined();
    history = planFor([orders], [seen(orders, "RUNNING", ["RUNNING"])], {
      history,
      now: T0 + 2 * UNIT_MS,
    }).history;
    history = planFor([orders], [seen(orders, "RUNNING", ["RUNNING"])], {
      history,
      now: T0 + 7 * UNIT_MS,
    }).history;
    expect(history[orders.name]).toMatchObject({ count: 2, healthySince: T0 + 2 * UNIT_MS });
  });

  it("a declaration change starts a fresh streak, even after giving up", () => {
    const orders = declare("orders");
    const history: RestartHistory = {
      [orders.name]: {
        count: 10,
        gaveUp: true,
        total: 10,
        lastRestartAt: T0 - 1,
        declarationHash: "hash-old",
      },
    };
    const result = planFor([orders], [seen(orders, "FAILED", [])], { history });
    expect(kinds(result.actions)).toEqual(["restart"]);
    expect(result.history[orders.name]).toMatchObject({
      count: 1,
      gaveUp: false,
      total: 11,
      lastRestartAt: T0,
    });
  });

  it.each([
    ["the policy is off", { ...POLICY, enabled: false }, "running"],
    ["the connector is meant to be paused", POLICY, "paused"],
  ] as const)("no restart when %s", (_why, policy, state) => {
    const orders = { ...declare("orders"), state };
    const observedState = state === "paused" ? "PAUSED" : "RUNNING";
    const result = planFor([orders], [seen(orders, observedState, ["FAILED"])], { policy });
    expect(kinds(result.actions)).toEqual([]);
    expect(result.history).toEqual({});
  });

  it("in-flight states are neither healthy nor failing", () => {
    expect(healthOf({ connector: "RESTARTING", tasks: ["FAILED"] })).toBe("transient");
    expect(healthOf({ connector: "RUNNING", tasks: ["UNASSIGNED", "RUNNING"] })).toBe("transient");
    expect(healthOf({ connector: "RUNNING", tasks: ["UNASSIGNED", "FAILED"] })).toBe("failing");
    expect(healthOf({ connector: "STOPPED", tasks: [] })).toBe("healthy");
    const record = {
      count: 1,
      gaveUp: false,
      total: 1,
      lastRestartAt: T0,
      healthySince: T0,
      declarationHash: "h",
    };
    expect(
      decideRestart({
        previous: record,
        health: "transient",
        meantToRun: true,
        declarationHash: "h",
        now: T0 + 1e9,
        policy: POLICY,
      }),
    ).toEqual({ record });
  });

  it("keeps no record for connectors that never failed, and drops those no longer declared", () => {
    const orders = declare("orders");
    const history: RestartHistory = { other_integrator_r7_x: { count: 1, gaveUp: false, total: 1 } };
    expect(planFor([orders], [seen(orders, "RUNNING", ["RUNNING"])], { history }).history).toEqual({});
  });
});

describe("reports", () => {
  it("keeps the first line of a trace, at most 300 chars, with secret values and the password masked", () => {
    const orders = declare("orders", {
      config: { "db.password": "s3cr3t-v4lue" },
      secretKeys: ["db.password"],
    });
    const mask = maskerFor({
      connectors: [orders],
      kafkaConnect: { relation: 7, endpoints: ["http://x"], username: "u", password: "connect-pw" },
    });
    const trace = `org.example.AuthException: login with s3cr3t-v4lue and connect-pw refused\n\tat org.example.Foo(Foo.java:1)`;
    const long = `java.lang.RuntimeException: ${"x".repeat(400)}`;
    const result = planFor(
      [orders],
      [seen(orders, "FAILED", [{ state: "FAILED", trace: long }], { trace })],
      { mask },
    );
    expect(result.observations[0]!.trace).toBe("org.example.AuthException: login with *** and *** refused");
    expect(result.observations[0]!.tasks[0]!.trace).toHaveLength(300);
  });

  it("masks a secret that spans the line break, and its JSON-escaped form", () => {
    const secret = 'multi\nline"secret';
    const orders = declare("orders", { config: { k: secret }, secretKeys: ["k"] });
    const mask = maskerFor({ connectors: [orders], kafkaConnect: undefined });
    expect(mask(`bad value ${secret} here`)).toBe("bad value *** here");
    expect(mask(`{"k":${JSON.stringify(secret)}}`)).toBe('{"k":"***"}');
  });
});

describe("a connector that could not be read", () => {
  it("is UNKNOWN with its masked error; nothing is planned for it, its history kept; undeclared, it is still deleted", () => {
    const password = "s3cret-pw";
    const orders = declare("orders", { config: { "db.password": password }, secretKeys: ["db.password"] });
    const stray = declare("stray");
    const record = {
      count: 2,
      gaveUp: false,
      total: 2,
      lastRestartAt: T0 - 1000,
      declarationHash: orders.declarationHash,
    };
    const unreadable = { kind: "response-too-large", message: `too large: ${password}\nmore` };
    const result = planFor(
      [orders],
      [
        { name: orders.name, declared: orders.declared, unreadable },
        { name: stray.name, declared: stray.declared, unreadable },
      ],
      { history: { [orders.name]: record } },
    );
    expect(result.actions).toEqual([{ kind: "delete", name: stray.name, declared: stray.declared }]);
    expect(result.history).toEqual({ [orders.name]: record });
    const error = { kind: "response-too-large", message: "too large: ***" };
    expect(result.notes).toEqual([{ connector: orders.name, ...error }]);
    expect(result.observations).toEqual([
      { declared: "orders", name: orders.name, desired: "running", state: "UNKNOWN", tasks: [], error },
    ]);
  });
});
