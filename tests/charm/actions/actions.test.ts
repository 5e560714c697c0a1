import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DesiredState } from "../../../charm/common/desired-state.js";
import { connectorName } from "../../../charm/common/names.js";
import type { StatusSnapshot } from "../../../charm/common/snapshot.js";
import {
  type KafkaConnectCluster,
  startKafkaConnectCluster,
} from "../../../lib/testing/kafka-connect/index.js";
import {
  APP,
  createOnCluster,
  FakeDeps,
  MIRROR_SOURCE,
  mirror,
  OWNER,
  output,
  requestsSince,
  runAction,
} from "./harness.js";

let cluster: KafkaConnectCluster;
let deps: FakeDeps;

beforeEach(async () => {
  cluster = await startKafkaConnectCluster({ workers: 2, version: "3.9" });
  deps = new FakeDeps(cluster);
});

afterEach(async () => {
  for (const client of deps.clients) await client.close();
  await cluster.close();
});

const snapshot = (history: StatusSnapshot["history"]): StatusSnapshot => ({
  version: 1,
  writtenAt: "2025-01-02T03:04:05Z",
  generation: 3,
  acting: true,
  pluginServer: { listening: true, port: 8080, downloads: 3, bytesServed: 3 * 1536, sha512: "a".repeat(128) },
  connectors: [],
  deleted: [],
  history,
});

describe("list-connectors", () => {
  it("shows ours as a kcctl-like table from one request, with holds, restarts, missing and undeclared ones", async () => {
    const orders = mirror("orders", { tasks: 2 });
    const audit = mirror("Audit.v2", { tasks: 1 });
    const missing = mirror("missing-one");
    const leftover = mirror("old-one", { tasks: 1 });
    const foreign = mirror("orders", { tasks: 1, owner: { ...OWNER, app: "other-app" } });
    for (const c of [orders, audit, leftover, foreign]) await createOnCluster(cluster, c);
    cluster.failTask(orders.name, 1, "org.example.Boom: disk full\n\tat Foo.bar(Foo.java:1)");
    deps.connectors = [orders, audit, missing];
    deps.holdsMap = {
      "Audit.v2": { state: "paused", declarationHash: audit.declarationHash, since: "2025-01-01T00:00:00Z" },
    };
    deps.snapshotValue = snapshot({
      [orders.name]: { count: 5, gaveUp: true, total: 7, lastRestartAt: 1 },
    });

    const from = cluster.requests.length;
    const record = await runAction(deps, "list-connectors");

    expect(record.actionFailure).toBeUndefined();
    expect(requestsSince(cluster, from).map((r) => `${r.method} ${r.path}?${r.query}`)).toEqual([
      "GET /connectors?expand=status&expand=info",
    ]);
    const results = output(record);
    expect(results.table).toBe(
      [
        "NAME         TYPE    STATE                 TASKS  HELD    RESTARTS",
        "orders       source  RUNNING               1/2    -       5 (gave up)",
        "Audit.v2     source  RUNNING               1/1    paused  0",
        "missing-one  -       MISSING               -      -       0",
        "old-one      source  RUNNING (undeclared)  1/1    -       0",
      ].join("\n"),
    );
    expect(results.connectors.orders).toEqual({
      name: "orders",
      "kafka-name": orders.name,
      type: "source",
      state: "RUNNING",
      declared: "true",
      desired: "running",
      "tasks-running": "1",
      "tasks-total": "2",
      "failed-tasks": "1",
      restarts: "5",
      "restarts-total": "7",
      "gave-up": "true",
      trace: "org.example.Boom: disk full",
    });
    expect(results.connectors["audit-v2"]).toMatchObject({ name: "Audit.v2", held: "paused" });
    expect(results.connectors["missing-one"]).toMatchObject({ state: "MISSING", "tasks-total": "0" });
    expect(results.connectors["old-one"]).toMatchObject({ declared: "false" });
    expect(results["other-connectors"]).toBe("1");
    expect(results.summary).toBe("4 connector(s), 3 running, 3/4 tasks running");
  });

  it("runs on a non-leader and still lists when the connectors option is broken", async () => {
    const leftover = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, leftover);
    deps.problem = 'connectors: orders: unknown state "runing" (running, paused or stopped)';
    const record = await runAction(deps, "list-connectors", {}, { leader: false });
    expect(record.actionFailure).toBeUndefined();
    const results = output(record);
    expect(results.problem).toBe(deps.problem);
    expect(results.connectors.orders).toMatchObject({ declared: "false", state: "RUNNING" });
  });

  it("fails with the reason when there is no connection, and closes the client it opened otherwise", async () => {
    deps.connectionReason = "waiting for Kafka Connect credentials";
    const record = await runAction(deps, "list-connectors");
    expect(record.actionFailure).toBe("cannot reach Kafka Connect: waiting for Kafka Connect credentials");

    deps.connectionReason = undefined;
    await runAction(deps, "list-connectors");
    const client = deps.clients.at(-1)!;
    await expect(client.serverInfo()).rejects.toThrow();
  });
});

describe("pause, stop, resume", () => {
  it("pause records the hold before the pause request is sent, then reports PAUSED", async () => {
    const orders = mirror("orders");
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];

    const record = await runAction(deps, "pause", { connector: "orders" });

    expect(record.actionFailure).toBeUndefined();
    expect(deps.holdLog).toHaveLength(1);
    const [event] = deps.holdLog;
    expect(event!.hold).toEqual({
      state: "paused",
      declarationHash: orders.declarationHash,
      since: "2025-01-02T03:04:05.000Z",
    });
    expect(event!.requestsBefore.some((r) => r.path.endsWith("/pause"))).toBe(false);
    expect(cluster.requests.some((r) => r.method === "PUT" && r.path.endsWith("/pause"))).toBe(true);
    expect(record.actionResults).toMatchObject({ connector: "orders", state: "PAUSED", tasks: "0/2" });
    expect((record.actionResults as { message: string }).message).toBe(
      "orders: PAUSED (0/2 tasks running); held paused until resume or a change of its declaration",
    );
    expect(cluster.connector(orders.name)?.target).toBe("PAUSED");
  });

  it("a non-leader is refused with the command that works, and nothing is sent or held", async () => {
    deps.connectors = [mirror("orders")];
    const from = cluster.requests.length;
    for (const [action, params, line] of [
      ["pause", { connector: "orders" }, "pause connector=orders"],
      ["stop", { connector: "orders" }, "stop connector=orders"],
      ["resume", { connector: "orders" }, "resume connector=orders"],
      ["restart", { connector: "orders", "only-failed": true }, "restart connector=orders only-failed=true"],
      ["restart-task", { connector: "orders", task: 1 }, "restart-task connector=orders task=1"],
      ["reset-offsets", { connector: "orders" }, "reset-offsets connector=orders"],
      [
        "alter-offsets",
        { connector: "orders", offsets: '{"offsets":[]}' },
        "alter-offsets connector=orders offsets=…",
      ],
    ] as const) {
      const record = await runAction(deps, action, params, { leader: false });
      expect(record.actionFailure).toBe(`run this action on the leader: juju run ${APP}/leader ${line}`);
    }
    expect(requestsSince(cluster, from)).toEqual([]);
    expect(deps.holdLog).toEqual([]);
  });

  it("an unknown connector is refused, naming the declared ones; another app's connector cannot be named", async () => {
    deps.connectors = [mirror("orders"), mirror("payments")];
    const from = cluster.requests.length;
    const record = await runAction(deps, "stop", { connector: "nope" });
    expect(record.actionFailure).toBe('unknown connector "nope": declared connectors are orders, payments');
    // Juju refuses a param outside the schema before the charm runs (the kit does the same).
    await expect(runAction(deps, "pause", { connector: connectorName("orders", OWNER) })).rejects.toThrow(
      /param "connector" must match pattern/,
    );
    expect(requestsSince(cluster, from)).toEqual([]);
  });

  it("a broken connectors option is named instead of acting", async () => {
    deps.problem = 'connectors: orders: config.batch.size must be a string: write "500"';
    const record = await runAction(deps, "pause", { connector: "orders" });
    expect(record.actionFailure).toBe(
      'fix the connectors option first: connectors: orders: config.batch.size must be a string: write "500"',
    );
  });

  it("stop holds STOPPED; resume clears the hold, then resumes", async () => {
    const orders = mirror("orders");
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];

    const stopped = await runAction(deps, "stop", { connector: "orders" });
    expect(stopped.actionFailure).toBeUndefined();
    expect(stopped.actionResults).toMatchObject({ state: "STOPPED", tasks: "0/0" });
    expect(deps.holdsMap.orders?.state).toBe("stopped");

    const resumed = await runAction(deps, "resume", { connector: "orders" });
    expect(resumed.actionFailure).toBeUndefined();
    expect(deps.holdLog.at(-1)).toMatchObject({ declared: "orders", hold: null });
    expect(deps.holdLog.at(-1)!.requestsBefore.some((r) => r.path.endsWith("/resume"))).toBe(false);
    expect(deps.holdsMap).toEqual({});
    expect(resumed.actionResults).toMatchObject({ state: "RUNNING" });
    expect((resumed.actionResults as { message: string }).message).toBe(
      "orders: RUNNING (2/2 tasks running); hold cleared",
    );
  });

  it("resume of a connector declared paused clears the hold but sends no resume", async () => {
    const orders = mirror("orders", { state: "paused" });
    await createOnCluster(cluster, orders, "STOPPED");
    deps.connectors = [orders];
    deps.holdsMap = { orders: { state: "stopped", declarationHash: orders.declarationHash, since: "x" } };
    const record = await runAction(deps, "resume", { connector: "orders" });
    expect(record.actionFailure).toBeUndefined();
    expect(deps.holdsMap).toEqual({});
    expect(cluster.requests.some((r) => r.path.endsWith("/resume"))).toBe(false);
    expect((record.actionResults as { message: string }).message).toBe(
      "orders: STOPPED; hold cleared; it is declared paused, so the charm keeps it PAUSED (set its state to running in the connectors option to run it)",
    );
  });

  it("a Kafka Connect refusal is one line, and says the hold stays", async () => {
    deps.connectors = [mirror("orders")]; // declared, not yet on Kafka Connect
    const record = await runAction(deps, "pause", { connector: "orders" });
    expect(record.actionFailure).toBe(
      `not found on Kafka Connect: Unknown connector ${connectorName("orders", OWNER)} (the hold is recorded: the charm pauses orders once Kafka Connect answers; run resume to cancel)`,
    );
    expect(deps.holdsMap.orders?.state).toBe("paused");
  });
});

describe("restart and restart-task", () => {
  it("restart include-tasks only-failed restarts the failed task only", async () => {
    const orders = mirror("orders", { tasks: 3 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];
    cluster.failTask(orders.name, 1, "java.lang.IllegalStateException: gone");

    const record = await runAction(deps, "restart", {
      connector: "orders",
      "include-tasks": true,
      "only-failed": true,
    });

    expect(record.actionFailure).toBeUndefined();
    expect(record.actionResults).toMatchObject({ restarted: "task(s) 1", state: "RUNNING", tasks: "3/3" });
    expect(cluster.connector(orders.name)?.taskRestarts).toMatchObject({ 1: 1 });
    expect(cluster.connector(orders.name)?.taskRestarts[0] ?? 0).toBe(0);
    expect(cluster.connector(orders.name)?.restarts).toBe(0);
  });

  it("a plain restart restarts the connector instance", async () => {
    const orders = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];
    const record = await runAction(deps, "restart", { connector: "orders" });
    expect(record.actionFailure).toBeUndefined();
    expect(record.actionResults).toMatchObject({ restarted: "the connector", state: "RUNNING" });
    expect(cluster.connector(orders.name)?.restarts).toBe(1);
  });

  it("restart-task restarts one task; an unknown task id is named", async () => {
    const orders = mirror("orders", { tasks: 2 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];
    const record = await runAction(deps, "restart-task", { connector: "orders", task: 1 });
    expect(record.actionFailure).toBeUndefined();
    expect(record.actionResults).toMatchObject({ task: "1", state: "RUNNING", tasks: "2/2" });
    expect(cluster.connector(orders.name)?.taskRestarts[1]).toBe(1);

    const unknown = await runAction(deps, "restart-task", { connector: "orders", task: 9 });
    expect(unknown.actionFailure).toBe("orders has no task 9");
  });

  it("a task id outside the schema is refused before anything runs", async () => {
    deps.connectors = [mirror("orders")];
    await expect(runAction(deps, "restart-task", { connector: "orders", task: -1 })).rejects.toThrow(
      /param "task" must be >= 0/,
    );
  });
});

describe("offsets", () => {
  it("get-offsets returns the offsets as JSON and as a table", async () => {
    const orders = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];
    const offsets = [
      { partition: { cluster: "upstream", topic: "t", partition: 0 }, offset: { offset: 42 } },
    ];
    cluster.setOffsets(orders.name, offsets);
    const record = await runAction(deps, "get-offsets", { connector: "orders" }, { leader: false });
    expect(record.actionFailure).toBeUndefined();
    const results = record.actionResults as Record<string, string>;
    expect(JSON.parse(results.offsets!)).toEqual({ offsets });
    expect(results.partitions).toBe("1");
    expect(results.table).toBe(
      [
        `${"PARTITION".padEnd(48)}  OFFSET`,
        '{"cluster":"upstream","topic":"t","partition":0}  {"offset":42}',
      ].join("\n"),
    );
  });

  it("alter and reset on a running connector are refused with the fix, and nothing is written", async () => {
    const orders = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, orders);
    deps.connectors = [orders];
    const fix = `orders is RUNNING: Kafka changes offsets only while a connector is STOPPED; stop it first: juju run ${APP}/leader stop connector=orders`;
    const body = JSON.stringify({ offsets: [{ partition: { a: 1 }, offset: { o: 2 } }] });
    const altered = await runAction(deps, "alter-offsets", { connector: "orders", offsets: body });
    expect(altered.actionFailure).toBe(fix);
    const reset = await runAction(deps, "reset-offsets", { connector: "orders" });
    expect(reset.actionFailure).toBe(fix);
    expect(cluster.requests.some((r) => r.path.endsWith("/offsets") && r.method !== "GET")).toBe(false);
  });

  it("alter and reset a STOPPED connector", async () => {
    const orders = mirror("orders", { tasks: 1 });
    await createOnCluster(cluster, orders, "STOPPED");
    deps.connectors = [orders];
    const offsets = [{ partition: { cluster: "upstream", topic: "t", partition: 0 }, offset: { offset: 7 } }];
    const altered = await runAction(deps, "alter-offsets", {
      connector: "orders",
      offsets: JSON.stringify({ offsets }),
    });
    expect(altered.actionFailure).toBeUndefined();
    expect(altered.actionResults).toMatchObject({ connector: "orders", partitions: "1" });
    expect((altered.actionResults as { message: string }).message).toMatch(/offsets/i);
    expect(cluster.connector(orders.name)?.offsets).toEqual(offsets);

    const reset = await runAction(deps, "reset-offsets", { connector: "orders" });
    expect(reset.actionFailure).toBeUndefined();
    expect((reset.actionResults as { message: string }).message).toMatch(/reset/i);
  });

  it("a bad offsets param is refused before any request", async () => {
    deps.connectors = [mirror("orders")];
    const from = cluster.requests.length;
    const cases: [string, string][] = [
      ["{", "offsets is not valid JSON: "],
      ['{"offsets": []}', "offsets must be"],
      ['{"offsets": [{"partition": 1, "offset": null}]}', "offsets must be"],
      [
        `{"offsets": [{"partition": {"a": ${"[".repeat(20)}${"]".repeat(20)}}, "offset": null}]}`,
        "offsets nests 24 levels deep, over the limit of 8",
      ],
    ];
    for (const [offsets, start] of cases) {
      const record = await runAction(deps, "alter-offsets", { connector: "orders", offsets });
      expect(record.actionFailure?.startsWith(start), `${offsets} → ${record.actionFailure}`).toBe(true);
    }
    await expect(
      runAction(deps, "alter-offsets", { connector: "orders", offsets: " ".repeat(70_000) }),
    ).rejects.toThrow(/param "offsets" must NOT have more than 65536 characters/);
    expect(requestsSince(cluster, from)).toEqual([]);
  });
});

describe("plan", () => {
  it("shows creates, changed keys with secrets masked, state changes, deletions and invalid ones; changes nothing", async () => {
    const password = "s3cr3t-Pa55";
    const changedBefore = mirror("changed", {
      tasks: 1,
      config: { "replication.factor": "2", "sasl.password": "old-secret-value", obsolete: "x" },
    });
    const changed = mirror("changed", {
      tasks: 1,
      config: { "replication.factor": "3", "sasl.password": password, topics: "orders.*" },
      secretKeys: ["sasl.password"],
    });
    const held = mirror("held", { tasks: 1 });
    const same = mirror("same", { tasks: 1 });
    const fresh = mirror("fresh", { state: "stopped" });
    const invalid = mirror("invalid");
    delete (invalid.config as Record<string, string>)["source.cluster.alias"];
    const gone = mirror("gone", { tasks: 1 });
    const foreign = mirror("theirs", { tasks: 1, owner: { ...OWNER, app: "other-app" } });
    for (const c of [changedBefore, held, same, gone, foreign]) await createOnCluster(cluster, c);
    deps.connectors = [changed, held, same, fresh, invalid];
    deps.secretValues = [password];
    deps.holdsMap = { held: { state: "paused", declarationHash: held.declarationHash, since: "x" } };

    const from = cluster.requests.length;
    const record = await runAction(deps, "plan", {}, { leader: false });

    expect(record.actionFailure).toBeUndefined();
    const results = output(record);
    const all = JSON.stringify(results);
    expect(all).not.toContain(password);
    expect(all).not.toContain("old-secret-value");
    expect(results.table!.split("\n")).toEqual([
      "CONNECTOR  ACTION            VALID       CHANGES",
      'changed    update            ok          replication.factor: "2" → "3"; sasl.password: *** → ***; topics: (new) "orders.*"; obsolete: removed',
      "held       pause             ok          -",
      "same       none              ok          -",
      `fresh      create (STOPPED)  ok          class ${MIRROR_SOURCE}; source.cluster.alias: "upstream"; tasks.max: "2"`,
      `invalid    create            1 error(s)  class ${MIRROR_SOURCE}; tasks.max: "2"; ! source.cluster.alias: Missing required configuration "source.cluster.alias" which has no default value.`,
      "gone       delete            -           no longer declared",
    ]);
    expect(results.summary).toBe("2 to create, 1 to update, 1 to delete, 1 state change(s), 1 invalid");
    expect(results.connectors.changed).toMatchObject({
      action: "update",
      "changed-keys": "replication.factor,sasl.password",
      "added-keys": "topics",
      "removed-keys": "obsolete",
      valid: "true",
    });
    expect(results.connectors.held).toMatchObject({
      action: "pause",
      state: "RUNNING",
      target: "PAUSED",
      held: "paused",
    });
    expect(results.connectors.gone).toEqual({ name: "gone", "kafka-name": gone.name, action: "delete" });
    expect(results.delete).toBe("gone");
    expect(results.connectors.theirs).toBeUndefined();

    const sent = requestsSince(cluster, from);
    expect(sent.filter((r) => !(r.method === "GET" || r.path.endsWith("/config/validate")))).toEqual([]);
    expect(sent.filter((r) => r.path.endsWith("/config/validate"))).toHaveLength(5);
    expect(cluster.connector(changedBefore.name)?.configWrites).toBe(1);
    expect(cluster.connector(gone.name)).toBeDefined();
  });

  it("an unknown class is reported per connector, not as a failed plan", async () => {
    const odd = mirror("odd", { config: { "connector.class": "com.example.Nope" } });
    deps.connectors = [odd];
    const record = await runAction(deps, "plan");
    expect(record.actionFailure).toBeUndefined();
    const results = output(record);
    expect(results.connectors.odd?.valid).toBe("false");
    expect(results.connectors.odd?.errors).toMatch(
      /^Kafka Connect answered 500 \(server-error\): .*Failed to find any class that implements Connector and which name matches com\.example\.Nope/,
    );
  });
});

/** A leader's desired state with nothing declared, serving `plugin` on 8080. */
function desiredWith(plugin: DesiredState["plugin"]): DesiredState {
  return {
    version: 1,
    generation: 1,
    writtenAt: "x",
    unit: `${APP}/0`,
    app: APP,
    modelUuid: OWNER.modelUuid,
    charmDir: "/charm",
    port: 8080,
    plugin,
    leader: true,
    connectors: [],
    holds: {},
    restartPolicy: { enabled: true, maxRestarts: 10, backoffUnitMs: 60_000 },
    reconcileIntervalMs: 30_000,
    history: {},
  };
}

describe("plugin-info", () => {
  it("reports mode, size, sha512, URL and downloads", async () => {
    const sha512 = "b".repeat(128);
    deps.desiredValue = desiredWith({
      mode: "serve",
      path: "/var/lib/kci/plugin.tar",
      sha512,
      size: 3 * 1024 * 1024,
    });
    deps.snapshotValue = {
      ...snapshot({}),
      pluginServer: { listening: true, port: 8080, sha512, downloads: 2, bytesServed: 6 * 1024 * 1024 },
    };
    deps.url = `http://10.1.2.3:8080/api/v1/plugin#sha512=${sha512}`;
    const record = await runAction(deps, "plugin-info", {}, { leader: false });
    expect(record.actionFailure).toBeUndefined();
    expect(record.actionResults).toEqual({
      mode: "serve",
      port: "8080",
      size: String(3 * 1024 * 1024),
      sha512,
      url: deps.url,
      listening: "true",
      downloads: "2",
      "bytes-served": String(6 * 1024 * 1024),
      summary: [
        "mode: serve",
        "size: 3.0 MiB (3145728 bytes)",
        `sha512: ${sha512}`,
        `url: ${deps.url}`,
        "server: listening on port 8080",
        "downloads: 2 (6.0 MiB served)",
      ].join("\n"),
    });
  });

  it("says what to do when the resource is missing, and fails before the charm set up", async () => {
    const none = await runAction(deps, "plugin-info");
    expect(none.actionFailure).toBe(
      "this unit has not set up its plugin server yet: try again once its install hook ran",
    );
    deps.desiredValue = desiredWith({ mode: "missing" });
    const missing = await runAction(deps, "plugin-info");
    expect((missing.actionResults as { summary: string }).summary).toContain(
      `resource connect-plugin is missing: attach it (juju attach-resource ${APP} connect-plugin=plugin.tar), or set plugin-mode to not-required`,
    );
  });
});
