import { describe, expect, it } from "vitest";
import {
  failure,
  mirrorConfig,
  sent,
  settled,
  sinkConfig,
  useContract,
  useSinkPluginPath,
} from "./support.js";

// Every error the emulator answers, as the client types it: kind, variant, the names it parsed, and the
// worker's message verbatim (Kafka's texts, as the reference sheet words them).

const contract = useContract();
const pluginPath = useSinkPluginPath();

const NO_LEADER =
  "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.";
const CONFLICTING = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)";
const STALE_CONFIG =
  "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)";

describe("not found", () => {
  // A name with a space, a non-ASCII letter and dashes: encoded on the way out, parsed back from the message.
  const NAME = "orders sink é-west";

  it("every connector variant names the connector", async () => {
    const cluster = await contract.cluster({ workers: 2 });
    const client = contract.client(cluster);
    const cases = [
      [client.getConnector(NAME), "connector-not-found", `Connector ${NAME} not found`],
      [client.getConfig(NAME), "connector-not-found", `Connector ${NAME} not found`],
      [client.tasks(NAME), "connector-not-found", `Connector ${NAME} not found`],
      [client.patchConfig(NAME, { "tasks.max": "2" }), "connector-not-found", `Connector ${NAME} not found`],
      [client.deleteConnector(NAME), "connector-not-found", `Connector ${NAME} not found`],
      [client.getOffsets(NAME), "connector-not-found", `Connector ${NAME} not found`],
      [client.pause(NAME), "unknown-connector", `Unknown connector ${NAME}`],
      [client.resume(NAME), "unknown-connector", `Unknown connector ${NAME}`],
      [client.stop(NAME), "unknown-connector", `Unknown connector ${NAME}`],
      [client.restartConnector(NAME), "unknown-connector", `Unknown connector: ${NAME}`],
      [client.restartTask(NAME, 0), "unknown-connector", `Unknown connector: ${NAME}`],
      [client.status(NAME), "no-connector-status", `No status found for connector ${NAME}`],
    ] as const;
    for (const [call, variant, message] of cases) {
      const error = await failure(call);
      expect(error).toMatchObject({
        kind: "not-found",
        variant,
        message,
        connector: NAME,
        subject: NAME,
        status: 404,
        errorCode: 404,
        attempts: 1,
      });
      expect(error.path).toContain("/connectors/orders%20sink%20%C3%A9-west");
    }
  });

  it("task variants split `connector-N` at the last dash; an id beyond Java's Integer is no route", async () => {
    const cluster = await contract.cluster({ workers: 1 });
    const client = contract.client(cluster);
    await client.createConnector(NAME, mirrorConfig());
    await settled(client, NAME, "RUNNING", 1);
    expect(await failure(client.taskStatus(NAME, 3))).toMatchObject({
      kind: "not-found",
      variant: "no-task-status",
      message: `No status found for task ${NAME}-3`,
      subject: `${NAME}-3`,
      connector: NAME,
      task: 3,
    });
    expect(await failure(client.taskStatus("ghost-1", 0))).toMatchObject({
      variant: "no-task-status",
      connector: "ghost-1",
      task: 0,
    });
    expect(await failure(client.restartTask(NAME, 3))).toMatchObject({
      kind: "not-found",
      variant: "unknown-task",
      message: `Unknown task: ${NAME}-3`,
      connector: NAME,
      task: 3,
    });
    // Jersey cannot convert 2147483648 to an Integer: the route does not match.
    expect(await failure(client.taskStatus(NAME, 2 ** 31))).toMatchObject({
      kind: "not-found",
      variant: "route",
      message: "HTTP 404 Not Found",
      status: 404,
    });
  });

  it("the transient `No status found` right after a create, then the status (poll again)", async () => {
    const cluster = await contract.cluster({ timing: { assignMs: 300 } });
    const client = contract.client(cluster);
    await client.createConnector("fresh", mirrorConfig());
    const early = await failure(client.status("fresh"));
    expect(early).toMatchObject({
      kind: "not-found",
      variant: "no-connector-status",
      message: "No status found for connector fresh",
      connector: "fresh",
    });
    // With flags, the restart needs a status too.
    expect(await failure(client.restartConnector("fresh", { includeTasks: true }))).toMatchObject({
      kind: "not-found",
      variant: "connector-status-not-found",
      message: "Status for connector fresh not found",
      connector: "fresh",
    });
    await settled(client, "fresh", "RUNNING", 1);
  });

  it("loggers: an unknown logger is not-found; an invalid level is the caller's bad request", async () => {
    const cluster = await contract.cluster({ workers: 1 });
    const client = contract.client(cluster);
    expect(await failure(client.getLogger("com.example.Nope"))).toMatchObject({
      kind: "not-found",
      variant: "logger-not-found",
      subject: "com.example.Nope",
      message: "Logger com.example.Nope not found.",
    });
    expect(await failure(client.setLogger("root", "LOUD"))).toMatchObject({
      kind: "bad-request",
      variant: "invalid-log-level",
      subject: "LOUD",
      message: "invalid log level 'LOUD'.",
      status: 404,
    });
  });

  it("an unknown plugin's config is not-found", async () => {
    const cluster = await contract.cluster({ workers: 1 });
    expect(await failure(contract.client(cluster).pluginConfig("com.example.Nope"))).toMatchObject({
      kind: "not-found",
      status: 404,
      message: "Unknown plugin com.example.Nope.",
    });
  });
});

describe("409s", () => {
  it("already exists: 409, never retried", async () => {
    const cluster = await contract.cluster();
    const client = contract.client(cluster);
    await client.createConnector("dup", mirrorConfig());
    const error = await failure(client.createConnector("dup", mirrorConfig()));
    expect(error).toMatchObject({
      kind: "already-exists",
      message: "Connector dup already exists",
      connector: "dup",
      status: 409,
      errorCode: 409,
      attempts: 1,
    });
    expect(sent(cluster, "POST", "/connectors").map((r) => r.status)).toEqual([201, 409]);
    expect(cluster.connector("dup")!.configWrites).toBe(1);
  });

  it("stale configuration during a rebalance: retried, then kind rebalancing when the attempts run out", async () => {
    const cluster = await contract.cluster();
    const client = contract.client(cluster, { retry: { attempts: 3, baseDelayMs: 5, deadlineMs: 5_000 } });
    cluster.rebalance({ ms: 5_000 });
    const error = await failure(client.putConfig("m", mirrorConfig()));
    expect(error).toMatchObject({
      kind: "rebalancing",
      message: STALE_CONFIG,
      status: 409,
      attempts: 3,
      deadlineReached: false,
    });
    expect(error.detail).toMatch(/retry limit of 3/);
    expect(sent(cluster, "PUT", "/connectors/m/config").map((r) => r.status)).toEqual([409, 409, 409]);
    expect(cluster.connector("m")).toBeUndefined();
  });

  it("no known leader while the leader is gone: kind rebalancing", async () => {
    const cluster = await contract.cluster({ timing: { rebalanceMs: 5_000 } });
    await cluster.stopWorker(0);
    const client = contract.client(cluster.endpoints.slice(1), {
      retry: { attempts: 2, baseDelayMs: 5, deadlineMs: 5_000 },
    });
    expect(await failure(client.createConnector("m", mirrorConfig()))).toMatchObject({
      kind: "rebalancing",
      message: NO_LEADER,
      status: 409,
      attempts: 2,
    });
    expect(await failure(client.deleteConnector("m"))).toMatchObject({
      kind: "rebalancing",
      message: NO_LEADER,
    });
  });

  it("a conflicting operation (a forwarded hop at the wrong worker, injected): kind rebalancing", async () => {
    const cluster = await contract.cluster({ workers: 1 });
    const client = contract.client(cluster, { retry: { attempts: 2, baseDelayMs: 5, deadlineMs: 5_000 } });
    cluster.injectFault({ status: 409, message: CONFLICTING, method: "PUT", times: 2 });
    expect(await failure(client.stop("m"))).toMatchObject({
      kind: "rebalancing",
      message: CONFLICTING,
      attempts: 2,
    });
    expect(cluster.requests.map((r) => [r.status, r.fault])).toEqual([
      [409, true],
      [409, true],
    ]);
  });
});

describe("400s and 500s", () => {
  it("an invalid config: 400 invalid-config with one error per line, the validate hint dropped", async () => {
    const cluster = await contract.cluster({ workers: 1 });
    const client = contract.client(cluster);
    const { "source.cluster.alias": _alias, ...config } = mirrorConfig({ "tasks.max": "0" });
    const error = await failure(client.createConnector("m", config));
    expect(error).toMatchObject({ kind: "invalid-config", status: 400, errorCode: 400 });
    expect(error.message).toMatch(
      /^Connector configuration is invalid and contains the following 2 error\(s\):\n/,
    );
    expect(error.message).toMatch(
      /\nYou can also find the above list of errors at the endpoint `\/connector-plugins\/\{connectorType\}\/config\/validate`$/,
    );
    expect(error.configErrors).toEqual(
      expect.arrayContaining([
        { message: 'Missing required configuration "source.cluster.alias" which has no default value.' },
        { message: "Invalid value 0 for configuration tasks.max: Value must be at least 1" },
      ]),
    );
    expect(error.configErrors).toHaveLength(2);
    expect(await failure(client.putConfig("m", config))).toMatchObject({ kind: "invalid-config" });
    expect(cluster.connector("m")).toBeUndefined();
  });

  it("a 2.4 worker's invalid-config hint points elsewhere; still parsed, still dropped", async () => {
    const cluster = await contract.cluster({ workers: 1, version: "2.4" });
    const error = await failure(
      contract.client(cluster).createConnector("m", mirrorConfig({ "tasks.max": "zero" })),
    );
    expect(error.message).toMatch(/`\/\{connectorType\}\/config\/validate`$/);
    // ConfigDef validates after a failed parse: Range.atLeast(1) refuses the null left behind.
    expect(error.configErrors).toEqual([
      { message: "Invalid value zero for configuration tasks.max: Not a number of type INT" },
      { message: "Invalid value null for configuration tasks.max: Value must be non-null" },
    ]);
  });

  it("the other 400s: no connector type (config redacted), name mismatch, offsets of a running connector", async () => {
    const cluster = await contract.cluster({ workers: 1 });
    const client = contract.client(cluster);
    const secret = "pa55-in-config";
    const noType = await failure(client.createConnector("m", { "db.password": secret }));
    expect(noType).toMatchObject({
      kind: "bad-request",
      variant: "no-connector-type",
      message: "Connector config {…} contains no connector type",
      status: 400,
    });
    expect(noType.describe()).not.toContain(secret);

    expect(await failure(client.putConfig("m", mirrorConfig({ name: "other" })))).toMatchObject({
      kind: "bad-request",
      variant: "name-mismatch",
      message: "Connector name configuration (other) doesn't match connector name in the URL (m)",
    });

    await client.createConnector("m", mirrorConfig());
    const notStopped = await failure(
      client.alterOffsets("m", { offsets: [{ partition: { cluster: "src" }, offset: { offset: 1 } }] }),
    );
    expect(notStopped).toMatchObject({ kind: "bad-request", variant: "connector-not-stopped", status: 400 });
    expect(notStopped.message).toMatch(
      /^Connectors must be in the STOPPED state before their offsets can be modified\./,
    );
    expect(await failure(client.resetOffsets("m"))).toMatchObject({ variant: "connector-not-stopped" });
  });

  it("validate: another plugin's class is a 400; a missing class is a 500 that never shows the config", async () => {
    const cluster = await contract.cluster({ workers: 1, pluginPath: pluginPath() });
    const client = contract.client(cluster);
    expect(await failure(client.validateConfig("MirrorSource", sinkConfig({ name: "s" })))).toMatchObject({
      kind: "bad-request",
      status: 400,
      message: expect.stringMatching(/^Included connector type com\.example\.contract\.FileSinkConnector/),
    });
    const secret = "pa55-in-validate";
    const missing = await failure(
      client.validateConfig("MirrorSource", { name: "s", "db.password": secret }),
    );
    expect(missing).toMatchObject({ kind: "server-error", status: 500, errorCode: 500 });
    expect(missing.message).toMatch(/Connector config \{…\} contains no connector type$/);
    expect(missing.describe()).not.toContain(secret);
  });

  it("an unknown connector class: 500 server-error, not failed over", async () => {
    const cluster = await contract.cluster();
    const client = contract.client(cluster);
    const error = await failure(client.createConnector("m", { "connector.class": "com.example.Nope" }));
    expect(error).toMatchObject({ kind: "server-error", status: 500, errorCode: 500, attempts: 1 });
    expect(error.message).toMatch(
      /^Failed to find any class that implements Connector and which name matches com\.example\.Nope, available connectors are: PluginDesc\{/,
    );
    expect(await failure(client.validateConfig("Nope", { "connector.class": "Nope" }))).toMatchObject({
      kind: "server-error",
      message: expect.stringMatching(
        /^org\.apache\.kafka\.connect\.errors\.ConnectException: Failed to find/,
      ),
    });
  });
});

describe("auth, forbidden, unsupported and timeouts", () => {
  it("401 plain text from every worker: unauthorized, every endpoint tried", async () => {
    const cluster = await contract.cluster({ workers: 2, auth: { users: { admin: "right" } } });
    for (const auth of [undefined, { username: "admin", password: "wrong" }]) {
      const client = contract.client(cluster, auth ? { auth } : {});
      const error = await failure(client.listConnectors());
      expect(error).toMatchObject({
        kind: "unauthorized",
        status: 401,
        message: "User cannot access the resource.",
        attempts: 2,
        tried: cluster.endpoints,
      });
      expect(error.errorCode).toBeUndefined();
      expect(error.describe()).not.toContain("wrong");
    }
    expect(cluster.requests.map((r) => [r.worker, r.status, r.user])).toEqual([
      [0, 401, undefined],
      [1, 401, undefined],
      [0, 401, "admin"],
      [1, 401, "admin"],
    ]);
  });

  it("403 when topic tracking or its reset is disabled", async () => {
    const noReset = await contract.cluster({ workers: 1, topicTrackingReset: false });
    expect(await contract.client(noReset).topics("m")).toEqual([]);
    expect(await failure(contract.client(noReset).resetTopics("m"))).toMatchObject({
      kind: "forbidden",
      status: 403,
      errorCode: 403,
      message: "Topic tracking reset is disabled.",
    });
    const noTracking = await contract.cluster({ workers: 1, topicTracking: false });
    expect(await failure(contract.client(noTracking).topics("m"))).toMatchObject({
      kind: "forbidden",
      message: "Topic tracking is disabled.",
    });
  });

  it("routes an older worker lacks are unsupported, naming the version that added them", async () => {
    const cases = [
      ["3.8", "GET /health", (c) => c.health(), "3.9", 404],
      ["3.7", "PATCH /connectors/{c}/config", (c) => c.patchConfig("m", { a: "b" }), "3.8", 405],
      ["3.5", "PATCH /connectors/{c}/offsets", (c) => c.alterOffsets("m", { offsets: [] }), "3.6", 405],
      ["3.5", "DELETE /connectors/{c}/offsets", (c) => c.resetOffsets("m"), "3.6", 405],
      ["3.4", "PUT /connectors/{c}/stop", (c) => c.stop("m"), "3.5", 404],
      ["3.4", "GET /connectors/{c}/offsets", (c) => c.getOffsets("m"), "3.5", 404],
      ["3.1", "GET /connector-plugins/{p}/config", (c) => c.pluginConfig("MirrorSource"), "3.2", 404],
      ["2.4", "GET /connectors/{c}/topics", (c) => c.topics("m"), "2.5", 404],
      ["2.4", "PUT /connectors/{c}/topics/reset", (c) => c.resetTopics("m"), "2.5", 404],
      ["2.3", "GET /admin/loggers", (c) => c.listLoggers(), "2.4", 404],
      ["2.3", "PUT /admin/loggers/{l}", (c) => c.setLogger("root", "DEBUG"), "2.4", 404],
    ] as const satisfies readonly (readonly [
      string,
      string,
      (c: ReturnType<typeof contract.client>) => Promise<unknown>,
      string,
      number,
    ])[];
    for (const [version, feature, call, since, status] of cases) {
      const cluster = await contract.cluster({ workers: 1, version });
      const error = await failure(call(contract.client(cluster)));
      expect(error, `${feature} on ${version}`).toMatchObject({ kind: "unsupported", since, status });
      expect(error.detail).toBe(`${feature} needs Kafka Connect ${since} or later; this worker is older`);
    }
  });

  it("expand on a 2.2 worker, which ignores it and lists names: unsupported", async () => {
    const cluster = await contract.cluster({ workers: 1, version: "2.2" });
    const client = contract.client(cluster);
    await client.createConnector("m", mirrorConfig());
    expect(await failure(client.listConnectors({ expand: ["status"] }))).toMatchObject({
      kind: "unsupported",
      since: "2.3",
      status: 200,
    });
  });

  it("initial_state on a 3.6 worker, connectorsOnly=false on a 3.1 one: unsupported, refused before sending", async () => {
    const old = await contract.cluster({ workers: 2, version: "3.6" });
    const client = contract.client(old);
    const error = await failure(client.createConnector("m", mirrorConfig(), { initialState: "STOPPED" }));
    expect(error).toMatchObject({
      kind: "unsupported",
      since: "3.7",
      endpoint: old.endpoints[0],
      attempts: 1,
    });
    expect(error.message).toBe(
      "initial_state in POST /connectors needs Kafka Connect 3.7 or later; this worker runs 3.6.0",
    );
    // Only the version was read; nothing was created (a 3.6 worker would 500 on the unknown property).
    expect(old.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /"]);
    expect(old.connector("m")).toBeUndefined();
    await client.createConnector("m", mirrorConfig());
    expect(old.connector("m")).toBeDefined();

    const older = await contract.cluster({ workers: 1, version: "3.1" });
    const plugins = contract.client(older);
    expect(await failure(plugins.plugins({ connectorsOnly: false }))).toMatchObject({
      kind: "unsupported",
      since: "3.2",
    });
    expect((await plugins.plugins()).every((p) => p.type === "source" || p.type === "sink")).toBe(true);
    // The version is read once per endpoint and client.
    expect(older.requests.filter((r) => r.path === "/")).toHaveLength(1);
  });

  it("a GET answered by a worker's own JSON 500 moves to the next worker; a POST does not", async () => {
    const cluster = await contract.cluster({ workers: 2 });
    await contract.client(cluster).createConnector("m", mirrorConfig());
    for (const message of [
      "Request timed out",
      "IO Error trying to forward REST request: java.io.EOFException",
    ]) {
      cluster.injectFault({ status: 500, message, worker: 0, path: "/connectors", method: "GET" });
      const client = contract.client(cluster);
      expect(await client.listConnectors()).toEqual(["m"]);
      expect(client.preferredEndpoint).toBe(cluster.endpoints[1]);
    }
    expect(sent(cluster, "GET", "/connectors").map((r) => [r.worker, r.status])).toEqual([
      [0, 500],
      [1, 200],
      [0, 500],
      [1, 200],
    ]);
    // A worker's unknown-class 500 on every worker: asked once each, then reported as it is.
    const validate = await failure(
      contract.client(cluster).validateConfig("Nope", { "connector.class": "Nope" }),
    );
    expect(validate).toMatchObject({ kind: "server-error", attempts: 2, tried: cluster.endpoints });
  });

  it("the worker's own 500 Request timed out (injected) is kind timeout, not failed over for a POST", async () => {
    const cluster = await contract.cluster({ workers: 2 });
    const client = contract.client(cluster);
    cluster.injectFault({ status: 500, message: "Request timed out", path: "/connectors" });
    const error = await failure(client.createConnector("m", mirrorConfig()));
    expect(error).toMatchObject({
      kind: "timeout",
      status: 500,
      errorCode: 500,
      message: "Request timed out",
      attempts: 1,
      endpoint: cluster.endpoints[0],
    });
    expect(cluster.requests.map((r) => [r.worker, r.status, r.fault])).toEqual([[0, 500, true]]);
    expect(cluster.connector("m")).toBeUndefined();
  });

  it("no answer within the attempt timeout on any worker: kind timeout, every endpoint tried", async () => {
    const cluster = await contract.cluster({ workers: 2 });
    const client = contract.client(cluster, { timeoutMs: 50 });
    cluster.latency(300);
    const error = await failure(client.serverInfo());
    expect(error).toMatchObject({ kind: "timeout", attempts: 2, tried: cluster.endpoints });
    expect(error.message).toMatch(/^no Kafka Connect endpoint answered/);
    cluster.latency(0);
  });
});
