import { describe, expect, it } from "vitest";
import type { DesiredConnector, DesiredState } from "../../../charm/common/desired-state.js";
import type { ConnectorObservation, StatusSnapshot } from "../../../charm/common/snapshot.js";
import { computeStatus, MAX_STATUS_CHARS, type StatusInput } from "../../../charm/src/status.js";

/** The status text is a pure function: a table of inputs and the exact line a person reads. */

const connector = (declared: string, state: DesiredConnector["state"] = "running"): DesiredConnector => ({
  declared,
  name: `${declared}_app_r1_abc`,
  config: {},
  state,
  declarationHash: `h-${declared}`,
  secretKeys: [],
});

const desired = (connectors: DesiredConnector[], extra: Partial<DesiredState> = {}): DesiredState => ({
  version: 1,
  generation: 3,
  writtenAt: "2026-01-01T00:00:00.000Z",
  unit: "app/0",
  app: "app",
  modelUuid: "00000000-0000-0000-0000-000000000000",
  charmDir: "/charm",
  port: 8080,
  plugin: { mode: "not-required" },
  leader: true,
  kafkaConnect: { relation: 1, endpoints: ["http://kc:8083"], username: "u", password: "p" },
  connectors,
  holds: {},
  restartPolicy: { enabled: true, maxRestarts: 10, backoffUnitMs: 60_000 },
  reconcileIntervalMs: 30_000,
  history: {},
  ...extra,
});

const observed = (c: DesiredConnector, o: Partial<ConnectorObservation> = {}): ConnectorObservation => ({
  declared: c.declared,
  name: c.name,
  desired: c.state,
  state: "RUNNING",
  tasks: [{ id: 0, state: "RUNNING" }],
  ...o,
});

const snapshot = (
  connectors: ConnectorObservation[],
  extra: Partial<StatusSnapshot> = {},
): StatusSnapshot => ({
  version: 1,
  writtenAt: "2026-01-01T00:00:00.000Z",
  generation: 3,
  acting: true,
  pluginServer: { listening: true, port: 8080, downloads: 0, bytesServed: 0 },
  kafkaConnect: { reachable: true },
  connectors,
  deleted: [],
  history: {},
  ...extra,
});

const base = (extra: Partial<StatusInput>): StatusInput => ({
  app: "app",
  leader: true,
  port: 8080,
  pluginMode: "serve",
  problems: [],
  plugin: { mode: "serve", published: true },
  relation: { ready: true },
  ...extra,
});

const [a, b, c] = [connector("a"), connector("b"), connector("c")];
const jdbc = connector("jdbc-sink");

const cases: [string, StatusInput, string][] = [
  [
    "all running",
    base({
      desired: desired([a, b, c]),
      snapshot: snapshot([
        observed(a, { tasks: [0, 1, 2].map((id) => ({ id, state: "RUNNING" as const })) }),
        observed(b, { tasks: [0, 1, 2].map((id) => ({ id, state: "RUNNING" as const })) }),
        observed(c, {
          tasks: [
            { id: 0, state: "RUNNING" },
            { id: 1, state: "UNASSIGNED" },
          ],
        }),
      ]),
    }),
    "active: 3/3 connectors running (7/8 tasks)",
  ],
  [
    "gave up after the max restarts",
    base({
      desired: desired([jdbc]),
      snapshot: snapshot(
        [
          observed(jdbc, {
            tasks: [
              { id: 0, state: "RUNNING" },
              {
                id: 2,
                state: "FAILED",
                trace: "org.apache.kafka.connect.errors.ConnectException: boom\n\tat x",
              },
            ],
          }),
        ],
        { history: { [jdbc.name]: { count: 5, gaveUp: true, total: 5 } } },
      ),
    }),
    "blocked: jdbc-sink task 2 FAILED after 5 restarts: org.apache.kafka.connect.errors.ConnectException: boom",
  ],
  [
    "failed, a restart pending",
    base({
      desired: desired([jdbc]),
      snapshot: snapshot([observed(jdbc, { state: "FAILED", trace: "java.lang.OutOfMemoryError" })], {
        history: { [jdbc.name]: { count: 1, gaveUp: false, total: 1 } },
      }),
    }),
    "maintenance: jdbc-sink connector FAILED, restart 2 of 10 pending: java.lang.OutOfMemoryError",
  ],
  [
    "failed, and restarted in the cycle that saw it (the FAILED predates the restart)",
    base({
      desired: desired([jdbc]),
      snapshot: snapshot([observed(jdbc, { state: "FAILED", trace: "java.lang.OutOfMemoryError" })], {
        lastReconcile: { at: "2026-12-04T10:00:00.000Z", durationMs: 40, requests: 2, ok: true },
        history: {
          [jdbc.name]: {
            count: 1,
            gaveUp: false,
            total: 1,
            lastRestartAt: Date.parse("2026-12-04T10:00:00.030Z"),
          },
        },
      }),
    }),
    "maintenance: jdbc-sink connector FAILED, restarted (1 of 10): java.lang.OutOfMemoryError",
  ],
  [
    "failed again after an earlier cycle's restart: the next one is pending",
    base({
      desired: desired([jdbc]),
      snapshot: snapshot([observed(jdbc, { state: "FAILED", trace: "java.lang.OutOfMemoryError" })], {
        lastReconcile: { at: "2026-12-04T10:00:05.000Z", durationMs: 40, requests: 1, ok: true },
        history: {
          [jdbc.name]: {
            count: 1,
            gaveUp: false,
            total: 1,
            lastRestartAt: Date.parse("2026-12-04T10:00:00.030Z"),
          },
        },
      }),
    }),
    "maintenance: jdbc-sink connector FAILED, restart 2 of 10 pending: java.lang.OutOfMemoryError",
  ],
  [
    "failed with auto-restart off",
    base({
      desired: desired([jdbc], { restartPolicy: { enabled: false, maxRestarts: 10, backoffUnitMs: 1000 } }),
      snapshot: snapshot([observed(jdbc, { state: "FAILED", trace: "x" })]),
    }),
    "blocked: jdbc-sink connector FAILED: x (auto-restart is off: juju run app/leader restart connector=jdbc-sink)",
  ],
  [
    "Kafka Connect refused a config",
    base({
      desired: desired([a]),
      snapshot: snapshot([
        observed(a, {
          state: "MISSING",
          tasks: [],
          error: { kind: "invalid-config", message: "topics: Missing required configuration" },
        }),
      ]),
    }),
    "blocked: a: topics: Missing required configuration",
  ],
  [
    "credentials missing",
    base({ relation: { ready: false, code: "waiting-for-provider", reason: "x", blocked: false } }),
    "waiting: waiting for Kafka Connect credentials",
  ],
  [
    "the provider has not granted its secret: which one, over which relation",
    base({
      relation: {
        ready: false,
        code: "secret-not-granted",
        reason:
          "secret-user secret:d3kq8fvmp25c77fmstqg is not readable yet: the provider has not granted it over connect-client:1",
        blocked: false,
      },
    }),
    "waiting: secret-user secret:d3kq8fvmp25c77fmstqg is not readable yet: the provider has not granted it over connect-client:1",
  ],
  [
    "the snapshot is of an older declaration than the one just written",
    base({
      desired: desired([a], { generation: 4 }),
      declaredGeneration: 4,
      snapshot: snapshot([observed(a)]),
    }),
    "maintenance: applying the new declaration to Kafka Connect",
  ],
  [
    "a newer generation that only carries restart history back is not a new declaration",
    base({
      desired: desired([a], { generation: 5 }),
      declaredGeneration: 3,
      snapshot: snapshot([observed(a)]),
    }),
    "active: 1/1 connectors running (1/1 tasks)",
  ],
  [
    "connectors still starting (created, not yet running)",
    base({
      desired: desired([a, b]),
      snapshot: snapshot([observed(a), observed(b, { state: "UNASSIGNED", tasks: [] })]),
    }),
    "maintenance: 1/2 connectors running (1/1 tasks)",
  ],
  [
    "no relation",
    base({ relation: { ready: false, code: "no-relation", reason: "x", blocked: true } }),
    "blocked: no Kafka Connect relation: juju integrate app <kafka-connect app>",
  ],
  [
    "resource missing",
    base({ plugin: { mode: "missing" } }),
    "blocked: resource connect-plugin is missing: attach it, or set plugin-mode to not-required",
  ],
  [
    "config problem",
    base({
      problems: [
        {
          key: "connectors",
          message: 'connectors: orders: unknown state "runing" (running, paused or stopped)',
        },
      ],
    }),
    'blocked: connectors: orders: unknown state "runing" (running, paused or stopped)',
  ],
  [
    "several config problems",
    base({
      problems: [
        { key: "connectors", message: "connectors: a: class is missing" },
        { key: "plugin-port", message: "plugin-port: 80 is not a port" },
      ],
    }),
    "blocked: connectors: a: class is missing (and 1 more: juju debug-log)",
  ],
  [
    "unreachable Kafka Connect",
    base({
      desired: desired([a]),
      snapshot: snapshot([], {
        kafkaConnect: {
          reachable: false,
          error: { kind: "unavailable", message: "all 2 endpoints refused" },
        },
      }),
    }),
    "waiting: cannot reach Kafka Connect (unavailable: all 2 endpoints refused)",
  ],
  [
    "a hold by action, a declared pause",
    base({
      desired: desired([a, connector("b", "paused"), c], {
        holds: { c: { state: "stopped", declarationHash: "h-c", since: "2026-01-01T00:00:00.000Z" } },
      }),
      snapshot: snapshot([
        observed(a),
        observed(connector("b", "paused"), { state: "PAUSED" }),
        observed(c, { state: "STOPPED", tasks: [] }),
      ]),
    }),
    "active: 1/1 connectors running (1/1 tasks), 1 paused; by action: c stopped (run resume to release)",
  ],
  [
    "nothing declared",
    base({ desired: desired([]), snapshot: snapshot([]) }),
    "active: no connectors declared: set the connectors option",
  ],
  [
    "a non-leader",
    base({ leader: false, plugin: { mode: "serve" } }),
    "active: serving the plugin on :8080; the leader manages connectors",
  ],
  [
    "the plugin server cannot listen",
    base({
      snapshot: snapshot([], {
        pluginServer: { listening: false, port: 8080, downloads: 0, bytesServed: 0, error: "EADDRINUSE" },
      }),
    }),
    "blocked: plugin server cannot listen on :8080: EADDRINUSE: set plugin-port to a free port",
  ],
];

describe("computeStatus", () => {
  it.each(cases)("%s", (_name, input, expected) => {
    const status = computeStatus(input);
    expect(`${status.status}: ${status.message}`).toBe(expected);
  });

  it("never exceeds the bound, whatever the trace", () => {
    const status = computeStatus(
      base({
        desired: desired([jdbc]),
        snapshot: snapshot([observed(jdbc, { state: "FAILED", trace: "x".repeat(5000) })], {
          history: { [jdbc.name]: { count: 5, gaveUp: true, total: 5 } },
        }),
      }),
    );
    expect(status.message.length).toBeLessThanOrEqual(MAX_STATUS_CHARS);
    const many = computeStatus(
      base({
        problems: [
          { key: "k", message: "y".repeat(1000) },
          { key: "k", message: "z" },
        ],
      }),
    );
    expect(many.message.length).toBeLessThanOrEqual(MAX_STATUS_CHARS);
    expect(many.message.endsWith("(and 1 more: juju debug-log)")).toBe(true);
  });
});

describe("a status.json that exists but cannot be used", () => {
  const input = (snapshotProblem: string) =>
    base({ desired: desired([a]), snapshotProblem, plugin: { mode: "serve", published: true } });
  const render = (i: StatusInput) => {
    const r = computeStatus(i);
    return `${r.status}: ${r.message}`;
  };

  it("says so, with the cause, instead of 'starting the workload'", () => {
    expect(render(input("status.json is not JSON (at position 3)"))).toBe(
      "waiting: workload status unreadable: status.json is not JSON (at position 3); see the workload's journal",
    );
    expect(render(base({ desired: desired([a]) }))).toBe("maintenance: starting the workload");
  });

  it("one line, bounded, the hint kept whatever the cause", () => {
    const r = computeStatus(
      input(`status.json is invalid at history.${"x".repeat(5000)}\nsecond line\u0000`),
    );
    expect(r.message.length).toBeLessThanOrEqual(MAX_STATUS_CHARS);
    expect(r.message.includes("\n") || r.message.includes("\u0000")).toBe(false);
    expect(r.message).toMatch(
      /^workload status unreadable: status\.json is invalid at history\.x+…; see the workload's journal$/,
    );
  });
});
