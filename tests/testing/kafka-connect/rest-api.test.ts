import { describe, expect, it } from "vitest";
import { buildPluginTarball, extractPluginTarball } from "../../../lib/testing/kafka-connect/index.js";
import {
  call,
  createRunning,
  err,
  eventually,
  MIRROR_SOURCE,
  mirrorConfig,
  until,
  useClusters,
  useTempDirs,
} from "./support.js";

const start = useClusters();
const tempDir = useTempDirs();

const VALIDATE_HINT =
  "You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`";

describe("root and health", () => {
  it("GET / reports the worker's version, commit and Kafka cluster id", async () => {
    const c = await start({ workers: 1 });
    const res = await call(c.endpoints[0]!, "GET", "/");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      version: "3.9.0",
      commit: expect.stringMatching(/^[0-9a-f]{16}$/),
      kafka_cluster_id: expect.any(String),
    });
  });

  it("GET /health answers 200 healthy once the worker has joined", async () => {
    const c = await start({ workers: 1 });
    const res = await call(c.endpoints[0]!, "GET", "/health");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      status: "healthy",
      message: "Worker has completed startup and is ready to handle requests.",
    });
  });
});

describe("creating connectors", () => {
  it("POST /connectors answers 201 with a Location and the ConnectorInfo (no tasks yet)", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    const res = await call(base, "POST", "/connectors", { body: { name: "  mm2 ", config: mirrorConfig() } });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`${base}/connectors/mm2`);
    expect(res.json).toEqual({
      name: "mm2",
      config: { ...mirrorConfig(), name: "mm2" },
      tasks: [],
      type: "source",
    });
  });

  it("POST /connectors for an existing name answers 409 Connector X already exists", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    await call(base, "POST", "/connectors", { body: { name: "a", config: mirrorConfig() } });
    const res = await call(base, "POST", "/connectors", { body: { name: "a", config: mirrorConfig() } });
    expect(res.status).toBe(409);
    expect(res.json).toEqual(err(409, "Connector a already exists"));
  });

  it("a name in the config that differs from the request's answers 400", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    const post = await call(base, "POST", "/connectors", {
      body: { name: "x", config: mirrorConfig({ name: "y" }) },
    });
    expect(post.status).toBe(400);
    expect(post.json).toEqual(
      err(400, "Connector name configuration (y) doesn't match connector name in the URL (x)"),
    );
    const put = await call(base, "PUT", "/connectors/x/config", { body: mirrorConfig({ name: "z" }) });
    expect(put.json).toEqual(
      err(400, "Connector name configuration (z) doesn't match connector name in the URL (x)"),
    );
  });

  it("a config without connector.class answers 400 ... contains no connector type", async () => {
    const c = await start();
    const res = await call(c.endpoints[0]!, "POST", "/connectors", {
      body: { name: "x", config: { "tasks.max": "1" } },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(err(400, "Connector config {tasks.max=1, name=x} contains no connector type"));
  });

  it("an unknown connector class answers 500 Failed to find any class, listing the connectors", async () => {
    const c = await start();
    const res = await call(c.endpoints[0]!, "PUT", "/connectors/x/config", {
      body: { "connector.class": "Nope" },
    });
    expect(res.status).toBe(500);
    const { message } = res.json as { message: string };
    expect(message).toMatch(
      /^Failed to find any class that implements Connector and which name matches Nope, available connectors are: PluginDesc\{klass=class org\.apache\.kafka\.connect\.mirror\.MirrorCheckpointConnector, name='org\.apache\.kafka\.connect\.mirror\.MirrorCheckpointConnector', version='3\.9\.0', encodedVersion=3\.9\.0, type=source, typeName='source', location='classpath'\}, /,
    );
  });

  it("an alias two plugins share answers 500 More than one connector matches alias", async () => {
    const dir = await tempDir();
    const tarball = await buildPluginTarball({
      plugins: [{ class: "com.example.MirrorSourceConnector", type: "source", version: "1.0" }],
    });
    await extractPluginTarball(dir, tarball);
    const c = await start({ workers: 1, pluginPath: dir });
    const res = await call(c.endpoints[0]!, "POST", "/connectors", {
      body: { name: "x", config: mirrorConfig({ "connector.class": "MirrorSource" }) },
    });
    expect(res.status).toBe(500);
    expect((res.json as { message: string }).message).toMatch(
      /^More than one connector matches alias MirrorSource\. Please use full package and class name instead\. Classes found: PluginDesc\{klass=class com\.example\.MirrorSourceConnector/,
    );
    // The full class name still resolves.
    const full = await call(c.endpoints[0]!, "POST", "/connectors", {
      body: { name: "y", config: mirrorConfig() },
    });
    expect(full.status).toBe(201);
  });

  it("an invalid config answers 400 listing every error, then the validate endpoint hint", async () => {
    const c = await start();
    const res = await call(c.endpoints[0]!, "POST", "/connectors", {
      body: { name: "x", config: { "connector.class": "MirrorSource", "tasks.max": "zero" } },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(
      err(
        400,
        "Connector configuration is invalid and contains the following 3 error(s):\n" +
          "Invalid value zero for configuration tasks.max: Not a number of type INT\n" +
          "Invalid value null for configuration tasks.max: Value must be non-null\n" +
          'Missing required configuration "source.cluster.alias" which has no default value.\n' +
          VALIDATE_HINT,
      ),
    );
  });

  it("tasks.max below 1 and an empty name are config errors", async () => {
    const c = await start();
    const res = await call(c.endpoints[0]!, "POST", "/connectors", {
      body: { config: mirrorConfig({ "tasks.max": "0" }) },
    });
    expect(res.json).toEqual(
      err(
        400,
        "Connector configuration is invalid and contains the following 2 error(s):\n" +
          "Invalid value  for configuration name: String may not be empty\n" +
          "Invalid value 0 for configuration tasks.max: Value must be at least 1\n" +
          VALIDATE_HINT,
      ),
    );
  });

  it("a sink named like the workers' group is refused, and a sink needs topics or topics.regex", async () => {
    const dir = await tempDir();
    await extractPluginTarball(
      dir,
      await buildPluginTarball({ plugins: [{ class: "com.example.FooSinkConnector", type: "sink" }] }),
    );
    const c = await start({ workers: 1, pluginPath: dir });
    const base = c.endpoints[0]!;
    const group = await call(base, "POST", "/connectors", {
      body: { name: "cluster", config: { "connector.class": "FooSink", topics: "t" } },
    });
    expect(group.json).toEqual(
      err(
        400,
        "Connector configuration is invalid and contains the following 1 error(s):\n" +
          "Consumer group for sink connector named cluster conflicts with Connect worker group connect-cluster\n" +
          VALIDATE_HINT,
      ),
    );
    const topics = await call(base, "POST", "/connectors", {
      body: { name: "s", config: { "connector.class": "FooSink" } },
    });
    expect(topics.json).toEqual(
      err(
        400,
        "Connector configuration is invalid and contains the following 2 error(s):\n" +
          "Must configure one of topics or topics.regex\nMust configure one of topics or topics.regex\n" +
          VALIDATE_HINT,
      ),
    );
    const both = await call(base, "POST", "/connectors", {
      body: { name: "s", config: { "connector.class": "FooSink", topics: "a", "topics.regex": "b.*" } },
    });
    expect((both.json as { message: string }).message).toContain(
      "topics and topics.regex are mutually exclusive options, but both are set.",
    );
  });

  it("numbers and booleans in a config are bound as strings", async () => {
    const c = await start();
    const res = await call(c.endpoints[0]!, "PUT", "/connectors/n/config", {
      body: { "connector.class": MIRROR_SOURCE, "source.cluster.alias": "s", "tasks.max": 2, "emit.x": true },
    });
    expect(res.status).toBe(201);
    expect((res.json as { config: Record<string, string> }).config).toMatchObject({
      "tasks.max": "2",
      "emit.x": "true",
    });
  });
});

describe("reading connectors", () => {
  it("GET /connectors/{c}, /config, /tasks, /tasks-config answer 200, or 404 Connector X not found", async () => {
    const c = await start();
    const base = c.endpoints[1]!;
    await createRunning(c.endpoints[0]!, "r", 2);
    expect((await call(base, "GET", "/connectors")).json).toEqual(["r"]);
    expect((await call(base, "GET", "/connectors/r")).json).toEqual({
      name: "r",
      config: mirrorConfig({ "tasks.max": "2", name: "r" }),
      tasks: [
        { connector: "r", task: 0 },
        { connector: "r", task: 1 },
      ],
      type: "source",
    });
    expect((await call(base, "GET", "/connectors/r/config")).json).toEqual(
      mirrorConfig({ "tasks.max": "2", name: "r" }),
    );
    const tasks = (await call(base, "GET", "/connectors/r/tasks")).json as {
      id: unknown;
      config: Record<string, string>;
    }[];
    expect(tasks.map((t) => t.id)).toEqual([
      { connector: "r", task: 0 },
      { connector: "r", task: 1 },
    ]);
    expect(tasks[0]!.config["task.class"]).toBe("org.apache.kafka.connect.mirror.MirrorSourceTask");
    expect(Object.keys((await call(base, "GET", "/connectors/r/tasks-config")).json as object)).toEqual([
      "r-0",
      "r-1",
    ]);
    for (const path of [
      "/connectors/nope",
      "/connectors/nope/config",
      "/connectors/nope/tasks",
      "/connectors/nope/tasks-config",
    ]) {
      const res = await call(base, "GET", path);
      expect([res.status, res.json]).toEqual([404, err(404, "Connector nope not found")]);
    }
  });

  it("connector names are URL-decoded", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    const res = await call(base, "PUT", "/connectors/my%20conn%C3%A9/config", { body: mirrorConfig() });
    expect(res.status).toBe(201);
    expect((res.json as { name: string }).name).toBe("my conné");
    expect(res.headers.get("location")).toBe(`${base}/connectors/my%20conn%C3%A9`);
    expect((await call(base, "GET", "/connectors")).json).toEqual(["my conné"]);
  });

  it("status: the transient 404 No status found right after a create, then UNASSIGNED, then RUNNING", async () => {
    const c = await start({ timing: { assignMs: 300 } });
    const base = c.endpoints[0]!;
    await call(base, "POST", "/connectors", {
      body: { name: "t", config: mirrorConfig({ "tasks.max": "3" }) },
    });
    const early = await call(base, "GET", "/connectors/t/status");
    expect([early.status, early.json]).toEqual([404, err(404, "No status found for connector t")]);
    const assigned = await eventually(
      () => call(base, "GET", "/connectors/t/status"),
      (r) => r.status === 200,
    );
    expect((assigned.json as { connector: { state: string } }).connector.state).toMatch(
      /^(UNASSIGNED|RUNNING)$/,
    );
    const running = await until(base, "t", "RUNNING", 3);
    // Tasks spread round-robin over the workers; worker_id is host:port.
    const ids = new Set([running.connector.worker_id, ...running.tasks.map((t) => t.worker_id)]);
    expect(ids).toEqual(new Set(c.endpoints.map((e) => e.replace("http://", ""))));
    expect(running.tasks.map((t) => t.id)).toEqual([0, 1, 2]);
    const unknown = await call(base, "GET", "/connectors/none/status");
    expect([unknown.status, unknown.json]).toEqual([404, err(404, "No status found for connector none")]);
  });

  it("task status: 200, 404 No status found for task X-N, and HTTP 404 Not Found for a non-integer id", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    await createRunning(base, "t", 1);
    const ok = await call(base, "GET", "/connectors/t/tasks/0/status");
    expect(ok.json).toEqual({
      id: 0,
      state: "RUNNING",
      worker_id: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect((await call(base, "GET", "/connectors/t/tasks/7/status")).json).toEqual(
      err(404, "No status found for task t-7"),
    );
    expect((await call(base, "GET", "/connectors/zz/tasks/0/status")).json).toEqual(
      err(404, "No status found for task zz-0"),
    );
    for (const id of ["x", "1.5", "99999999999"]) {
      const res = await call(base, "GET", `/connectors/t/tasks/${id}/status`);
      expect([res.status, res.json]).toEqual([404, err(404, "HTTP 404 Not Found")]);
    }
  });

  it("GET /connectors?expand=status&expand=info; a connector with no status yet is left out", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    await createRunning(base, "a", 1);
    const both = (await call(base, "GET", "/connectors?expand=status&expand=info")).json as Record<
      string,
      object
    >;
    expect(Object.keys(both)).toEqual(["a"]);
    expect(both.a).toEqual({
      status: (await call(base, "GET", "/connectors/a/status")).json,
      info: (await call(base, "GET", "/connectors/a")).json,
    });
    expect(Object.keys((await call(base, "GET", "/connectors?expand=info")).json as object)).toEqual(["a"]);
    expect((await call(base, "GET", "/connectors?expand=bogus")).json).toEqual({ a: {} });

    const slow = await start({ workers: 1, timing: { assignMs: 60_000 } });
    const s = slow.endpoints[0]!;
    await call(s, "POST", "/connectors", { body: { name: "b", config: mirrorConfig() } });
    expect((await call(s, "GET", "/connectors?expand=status")).json).toEqual({});
    expect((await call(s, "GET", "/connectors?expand=info")).json).toEqual({
      b: { info: { name: "b", config: mirrorConfig({ name: "b" }), tasks: [], type: "source" } },
    });
  });
});

describe("config writes", () => {
  it("PUT config answers 201 with a Location when new and 200 when it exists", async () => {
    const c = await start();
    const base = c.endpoints[2]!;
    const created = await call(base, "PUT", "/connectors/p/config", { body: mirrorConfig() });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`${base}/connectors/p`);
    await until(base, "p", "RUNNING", 1);
    const updated = await call(base, "PUT", "/connectors/p/config", {
      body: mirrorConfig({ "tasks.max": "2" }),
    });
    expect(updated.status).toBe(200);
    expect(updated.headers.get("location")).toBeNull();
    expect(updated.json).toEqual({
      name: "p",
      config: mirrorConfig({ "tasks.max": "2", name: "p" }),
      tasks: [{ connector: "p", task: 0 }],
      type: "source",
    });
    await until(base, "p", "RUNNING", 2);
  });

  it("an identical PUT config still restarts the connector and its tasks", async () => {
    const c = await start({ timing: { restartMs: 60_000 } });
    const base = c.endpoints[0]!;
    await createRunning(base, "same", 2);
    expect(c.connector("same")).toMatchObject({ configWrites: 1, restarts: 0, taskRestarts: { 0: 0, 1: 0 } });
    const res = await call(base, "PUT", "/connectors/same/config", {
      body: mirrorConfig({ "tasks.max": "2" }),
    });
    expect(res.status).toBe(200);
    expect(c.connector("same")).toMatchObject({ configWrites: 2, restarts: 1, taskRestarts: { 0: 1, 1: 1 } });
    const status = (await call(base, "GET", "/connectors/same/status")).json as {
      connector: { state: string };
      tasks: { state: string }[];
    };
    expect(status.connector.state).toBe("UNASSIGNED");
    expect(status.tasks.map((t) => t.state)).toEqual(["UNASSIGNED", "UNASSIGNED"]);
  });

  it("PATCH config merges, removes keys patched to null, restarts, and 404s for an unknown connector", async () => {
    const c = await start();
    const base = c.endpoints[1]!;
    await createRunning(base, "pa", 1);
    const res = await call(base, "PATCH", "/connectors/pa/config", {
      body: { "tasks.max": "2", "replication.factor": "3", "source.cluster.alias": "other" },
    });
    expect(res.status).toBe(200);
    expect((res.json as { config: object }).config).toEqual(
      mirrorConfig({
        "tasks.max": "2",
        "replication.factor": "3",
        "source.cluster.alias": "other",
        name: "pa",
      }),
    );
    const removed = await call(base, "PATCH", "/connectors/pa/config", {
      body: { "replication.factor": null },
    });
    expect((removed.json as { config: object }).config).toEqual(
      mirrorConfig({ "tasks.max": "2", "source.cluster.alias": "other", name: "pa" }),
    );
    expect(c.connector("pa")!.configWrites).toBe(3);
    await until(base, "pa", "RUNNING", 2);
    const missing = await call(base, "PATCH", "/connectors/none/config", { body: { a: "b" } });
    expect([missing.status, missing.json]).toEqual([404, err(404, "Connector none not found")]);
    const invalid = await call(base, "PATCH", "/connectors/pa/config", {
      body: { "source.cluster.alias": null },
    });
    expect(invalid.status).toBe(400);
  });

  it("DELETE answers 204 and the connector is gone; an unknown one is 404 Connector X not found", async () => {
    const c = await start();
    const base = c.endpoints[1]!;
    await createRunning(base, "d", 1);
    expect((await call(base, "DELETE", "/connectors/d")).status).toBe(204);
    expect((await call(base, "GET", "/connectors")).json).toEqual([]);
    expect((await call(base, "GET", "/connectors/d/status")).json).toEqual(
      err(404, "No status found for connector d"),
    );
    const again = await call(base, "DELETE", "/connectors/d");
    expect([again.status, again.json]).toEqual([404, err(404, "Connector d not found")]);
  });
});

describe("control", () => {
  it("pause and resume answer 202 at once and settle; an unknown connector is 404 Unknown connector X", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    await createRunning(base, "pr", 2);
    const paused = await call(base, "PUT", "/connectors/pr/pause");
    expect([paused.status, paused.text]).toEqual([202, ""]);
    await until(base, "pr", "PAUSED", 2);
    expect((await call(base, "PUT", "/connectors/pr/resume")).status).toBe(202);
    await until(base, "pr", "RUNNING", 2);
    for (const verb of ["pause", "resume"]) {
      const res = await call(base, "PUT", `/connectors/nope/${verb}`);
      expect([res.status, res.json]).toEqual([404, err(404, "Unknown connector nope")]);
    }
  });

  it("stop answers 204, is idempotent, leaves STOPPED with no tasks; resume brings the tasks back", async () => {
    const c = await start();
    const base = c.endpoints[2]!;
    await createRunning(base, "st", 2);
    expect((await call(base, "PUT", "/connectors/st/stop")).status).toBe(204);
    expect((await call(base, "GET", "/connectors/st")).json).toMatchObject({ tasks: [] });
    await until(base, "st", "STOPPED", 0);
    expect((await call(base, "PUT", "/connectors/st/stop")).status).toBe(204);
    expect((await call(base, "PUT", "/connectors/st/resume")).status).toBe(202);
    await until(base, "st", "RUNNING", 2);
    const unknown = await call(base, "PUT", "/connectors/nope/stop");
    expect([unknown.status, unknown.json]).toEqual([404, err(404, "Unknown connector nope")]);
  });

  it("restart: 204 without flags; 202 with RESTARTING marks with includeTasks; both settle to RUNNING", async () => {
    const c = await start();
    const base = c.endpoints[1]!;
    await createRunning(base, "rs", 2);
    const plain = await call(base, "POST", "/connectors/rs/restart");
    expect([plain.status, plain.text]).toEqual([204, ""]);
    expect(c.connector("rs")!.restarts).toBe(1);
    const flagged = await call(base, "POST", "/connectors/rs/restart?includeTasks=true");
    expect(flagged.status).toBe(202);
    const body = flagged.json as { connector: { state: string }; tasks: { id: number; state: string }[] };
    expect(body.connector.state).toBe("RESTARTING");
    expect(body.tasks.map((t) => t.state)).toEqual(["RESTARTING", "RESTARTING"]);
    await until(base, "rs", "RUNNING", 2);
    expect(c.connector("rs")).toMatchObject({ restarts: 2, taskRestarts: { 0: 1, 1: 1 } });
  });

  it("restart with onlyFailed restarts only the FAILED units, and their traces go away", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    await createRunning(base, "of", 3);
    c.failTask("of", 1, "org.apache.kafka.connect.errors.ConnectException: boom\n\tat Foo.bar(Foo.java:1)");
    const failed = (await call(base, "GET", "/connectors/of/tasks/1/status")).json;
    expect(failed).toMatchObject({
      id: 1,
      state: "FAILED",
      trace: "org.apache.kafka.connect.errors.ConnectException: boom\n\tat Foo.bar(Foo.java:1)",
    });
    const res = await call(base, "POST", "/connectors/of/restart?includeTasks=true&onlyFailed=true");
    expect(res.status).toBe(202);
    const body = res.json as { connector: { state: string }; tasks: { id: number; state: string }[] };
    expect(body.connector.state).toBe("RUNNING");
    // The 202 body's tasks come in no promised order (here: descending ids, unlike GET status).
    expect(body.tasks.map((t) => [t.id, t.state])).toEqual([
      [2, "RUNNING"],
      [1, "RESTARTING"],
      [0, "RUNNING"],
    ]);
    await until(base, "of", "RUNNING", 3);
    expect(c.connector("of")!.taskRestarts).toEqual({ 0: 0, 1: 1, 2: 0 });
    expect((await call(base, "GET", "/connectors/of/tasks/1/status")).json).not.toHaveProperty("trace");

    c.failConnector("of", "trace-c");
    const conn = (await call(base, "GET", "/connectors/of/status")).json as { connector: object };
    expect(conn.connector).toEqual({ state: "FAILED", worker_id: expect.any(String), trace: "trace-c" });
    const onlyConn = await call(base, "POST", "/connectors/of/restart?onlyFailed=true");
    expect((onlyConn.json as { connector: { state: string } }).connector.state).toBe("RESTARTING");
    await until(base, "of", "RUNNING", 3);
  });

  it("restart of an unknown connector is 404 Unknown connector: X; with flags before any status, 404 Status for connector X not found", async () => {
    const c = await start({ timing: { assignMs: 60_000 } });
    const base = c.endpoints[0]!;
    for (const q of ["", "?includeTasks=true"]) {
      const res = await call(base, "POST", `/connectors/nope/restart${q}`);
      expect([res.status, res.json]).toEqual([404, err(404, "Unknown connector: nope")]);
    }
    await call(base, "POST", "/connectors", { body: { name: "new", config: mirrorConfig() } });
    const res = await call(base, "POST", "/connectors/new/restart?includeTasks=true&onlyFailed=false");
    expect([res.status, res.json]).toEqual([404, err(404, "Status for connector new not found")]);
    // Not placed on any worker yet: a plain restart has no worker to go to.
    const plain = await call(base, "POST", "/connectors/new/restart");
    expect([plain.status, plain.json]).toEqual([
      409,
      err(
        409,
        "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.",
      ),
    ]);
  });

  it("task restart answers 204; Unknown task: X-N; Unknown connector: X", async () => {
    const c = await start();
    const base = c.endpoints[2]!;
    await createRunning(base, "tr", 2);
    expect((await call(base, "POST", "/connectors/tr/tasks/1/restart")).status).toBe(204);
    expect(c.connector("tr")!.taskRestarts).toEqual({ 0: 0, 1: 1 });
    await until(base, "tr", "RUNNING", 2);
    const task = await call(base, "POST", "/connectors/tr/tasks/5/restart");
    expect([task.status, task.json]).toEqual([404, err(404, "Unknown task: tr-5")]);
    const conn = await call(base, "POST", "/connectors/zz/tasks/0/restart");
    expect([conn.status, conn.json]).toEqual([404, err(404, "Unknown connector: zz")]);
    const notInt = await call(base, "POST", "/connectors/tr/tasks/one/restart");
    expect([notInt.status, notInt.json]).toEqual([404, err(404, "HTTP 404 Not Found")]);
  });

  it("failTask and failConnector need a placed unit", async () => {
    const c = await start({ timing: { assignMs: 60_000 } });
    await call(c.endpoints[0]!, "POST", "/connectors", { body: { name: "f", config: mirrorConfig() } });
    expect(() => c.failConnector("f", "x")).toThrow("connector f has not been placed on a worker yet");
    expect(() => c.failTask("f", 0, "x")).toThrow("the cluster has no task f-0");
    expect(() => c.failConnector("g", "x")).toThrow('the cluster has no connector "g"');
  });
});

describe("offsets", () => {
  const sinkOffsets = [{ partition: { kafka_topic: "t", kafka_partition: 0 }, offset: { kafka_offset: 5 } }];

  it("GET offsets answers anywhere; PATCH and DELETE need STOPPED (400 otherwise); unknown is 404", async () => {
    const c = await start();
    const base = c.endpoints[1]!;
    await createRunning(base, "o", 1);
    c.setOffsets("o", sinkOffsets);
    expect((await call(base, "GET", "/connectors/o/offsets")).json).toEqual({ offsets: sinkOffsets });
    const notStopped =
      "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the " +
      "specified connector by issuing a 'PUT' request to the '/connectors/o/stop' endpoint";
    const patch = await call(base, "PATCH", "/connectors/o/offsets", { body: { offsets: sinkOffsets } });
    expect([patch.status, patch.json]).toEqual([400, err(400, notStopped)]);
    await call(base, "PUT", "/connectors/o/pause");
    await until(base, "o", "PAUSED", 1);
    expect((await call(base, "DELETE", "/connectors/o/offsets")).json).toEqual(err(400, notStopped));

    await call(base, "PUT", "/connectors/o/stop");
    const altered = await call(base, "PATCH", "/connectors/o/offsets", {
      body: {
        offsets: [
          { partition: { kafka_partition: 0, kafka_topic: "t" }, offset: { kafka_offset: 9 } },
          { partition: { kafka_topic: "t", kafka_partition: 1 }, offset: { kafka_offset: 1 } },
        ],
      },
    });
    expect([altered.status, altered.json]).toEqual([
      200,
      { message: "The offsets for this connector have been altered successfully" },
    ]);
    expect((await call(base, "GET", "/connectors/o/offsets")).json).toEqual({
      offsets: [
        { partition: { kafka_partition: 0, kafka_topic: "t" }, offset: { kafka_offset: 9 } },
        { partition: { kafka_topic: "t", kafka_partition: 1 }, offset: { kafka_offset: 1 } },
      ],
    });
    await call(base, "PATCH", "/connectors/o/offsets", {
      body: { offsets: [{ partition: { kafka_topic: "t", kafka_partition: 1 }, offset: null }] },
    });
    expect(
      ((await call(base, "GET", "/connectors/o/offsets")).json as { offsets: unknown[] }).offsets,
    ).toHaveLength(1);
    const reset = await call(base, "DELETE", "/connectors/o/offsets");
    expect([reset.status, reset.json]).toEqual([
      200,
      { message: "The offsets for this connector have been reset successfully" },
    ]);
    expect((await call(base, "GET", "/connectors/o/offsets")).json).toEqual({ offsets: [] });

    for (const [method, body] of [["GET"], ["PATCH", { offsets: sinkOffsets }], ["DELETE"]] as const) {
      const res = await call(base, method, "/connectors/nope/offsets", body ? { body } : {});
      expect([res.status, res.json]).toEqual([404, err(404, "Connector nope not found")]);
    }
    const empty = await call(base, "PATCH", "/connectors/o/offsets", { body: { offsets: [] } });
    expect([empty.status, empty.json]).toEqual([
      400,
      err(400, "Partitions / offsets need to be provided for an alter offsets request"),
    ]);
  });

  it("a plugin whose connector does not manage its offsets gets the framework-managed messages", async () => {
    const dir = await tempDir();
    await extractPluginTarball(
      dir,
      await buildPluginTarball({ plugins: [{ class: "com.example.BarSourceConnector", type: "source" }] }),
    );
    const c = await start({ workers: 1, pluginPath: dir });
    const base = c.endpoints[0]!;
    await call(base, "POST", "/connectors", {
      body: { name: "b", config: { "connector.class": "BarSource" }, initial_state: "STOPPED" },
    });
    const altered = await call(base, "PATCH", "/connectors/b/offsets", {
      body: { offsets: [{ partition: { file: "x" }, offset: { position: 1 } }] },
    });
    expect(altered.json).toEqual({
      message:
        "The Connect framework-managed offsets for this connector have been altered successfully. However, if this " +
        "connector manages offsets externally, they will need to be manually altered in the system that the connector uses.",
    });
    expect((await call(base, "DELETE", "/connectors/b/offsets")).json).toEqual({
      message:
        "The Connect framework-managed offsets for this connector have been reset successfully. However, if this " +
        "connector manages offsets externally, they will need to be manually reset in the system that the connector uses.",
    });
  });

  it("initial_state PAUSED creates no tasks until resumed; STOPPED lands STOPPED", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    const res = await call(base, "POST", "/connectors", {
      body: { name: "ip", config: mirrorConfig({ "tasks.max": "2" }), initial_state: "PAUSED" },
    });
    expect(res.status).toBe(201);
    await until(base, "ip", "PAUSED", 0);
    await call(base, "PUT", "/connectors/ip/resume");
    await until(base, "ip", "RUNNING", 2);
    await call(base, "POST", "/connectors", {
      body: { name: "is", config: mirrorConfig(), initial_state: "STOPPED" },
    });
    await until(base, "is", "STOPPED", 0);
  });
});

describe("topics", () => {
  it("GET topics lists active topics; an unknown connector is 200 with an empty list; reset answers 202", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    await createRunning(base, "tp", 1);
    c.setActiveTopics("tp", ["b", "a"]);
    expect((await call(base, "GET", "/connectors/tp/topics")).json).toEqual({ tp: { topics: ["a", "b"] } });
    expect((await call(base, "GET", "/connectors/ghost/topics")).json).toEqual({ ghost: { topics: [] } });
    expect((await call(base, "PUT", "/connectors/tp/topics/reset")).status).toBe(202);
    expect((await call(base, "GET", "/connectors/tp/topics")).json).toEqual({ tp: { topics: [] } });
    expect((await call(base, "PUT", "/connectors/ghost/topics/reset")).status).toBe(202);
  });

  it("a running task records the topics its config names", async () => {
    const c = await start();
    const base = c.endpoints[0]!;
    await call(base, "POST", "/connectors", {
      body: { name: "tt", config: mirrorConfig({ topics: "x, y" }) },
    });
    await until(base, "tt", "RUNNING", 1);
    expect((await call(base, "GET", "/connectors/tt/topics")).json).toEqual({ tt: { topics: ["x", "y"] } });
  });

  it("403 Topic tracking is disabled. / Topic tracking reset is disabled.", async () => {
    const off = await start({ workers: 1, topicTracking: false });
    for (const [method, path] of [
      ["GET", "/connectors/x/topics"],
      ["PUT", "/connectors/x/topics/reset"],
    ] as const) {
      const res = await call(off.endpoints[0]!, method, path);
      expect([res.status, res.json]).toEqual([403, err(403, "Topic tracking is disabled.")]);
    }
    const noReset = await start({ workers: 1, topicTrackingReset: false });
    const res = await call(noReset.endpoints[0]!, "PUT", "/connectors/x/topics/reset");
    expect([res.status, res.json]).toEqual([403, err(403, "Topic tracking reset is disabled.")]);
  });
});

describe("connector plugins", () => {
  it("lists connectors only by default, every plugin with connectorsOnly=false", async () => {
    const c = await start({ workers: 1 });
    const base = c.endpoints[0]!;
    expect((await call(base, "GET", "/connector-plugins")).json).toEqual([
      {
        class: "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
        type: "source",
        version: "3.9.0",
      },
      { class: "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector", type: "source", version: "3.9.0" },
      { class: "org.apache.kafka.connect.mirror.MirrorSourceConnector", type: "source", version: "3.9.0" },
    ]);
    const all = (await call(base, "GET", "/connector-plugins?connectorsOnly=false")).json as {
      type: string;
    }[];
    expect(all.map((p) => p.type)).toEqual([
      "source",
      "source",
      "source",
      "transformation",
      "transformation",
      "predicate",
      "converter",
      "converter",
      "converter",
      "header_converter",
    ]);
  });

  it("GET /connector-plugins/{p}/config lists a plugin's keys by class or alias; 404 Unknown plugin p.", async () => {
    const c = await start({ workers: 1 });
    const base = c.endpoints[0]!;
    const byClass = (await call(base, "GET", `/connector-plugins/${MIRROR_SOURCE}/config`)).json as {
      name: string;
    }[];
    const byAlias = (await call(base, "GET", "/connector-plugins/MirrorSource/config")).json;
    expect(byAlias).toEqual(byClass);
    expect(byClass[0]).toEqual({
      name: "source.cluster.alias",
      type: "STRING",
      required: true,
      default_value: null,
      importance: "HIGH",
      documentation: "Alias of the source cluster",
      group: null,
      order: -1,
      width: "NONE",
      display_name: "source.cluster.alias",
      dependents: [],
    });
    // 3.7+: the framework's keys follow the plugin's own.
    expect(byClass.map((k) => k.name)).toContain("tasks.max");
    const res = await call(base, "GET", "/connector-plugins/com.example.Missing/config");
    expect([res.status, res.json]).toEqual([404, err(404, "Unknown plugin com.example.Missing.")]);
  });

  it("validate: 200 with error_count even when invalid; passwords never echoed", async () => {
    const dir = await tempDir();
    await extractPluginTarball(
      dir,
      await buildPluginTarball({
        plugins: [
          {
            class: "com.example.DbSourceConnector",
            type: "source",
            config: [
              { name: "db.password", type: "password", required: true },
              { name: "db.port", type: "int", default: "5432", group: "Connection" },
            ],
          },
        ],
      }),
    );
    const c = await start({ workers: 1, pluginPath: dir });
    const base = c.endpoints[0]!;
    const res = await call(base, "PUT", "/connector-plugins/DbSource/config/validate", {
      body: {
        "connector.class": "com.example.DbSourceConnector",
        name: "d",
        "db.password": "s3cret",
        "db.port": "x",
      },
    });
    expect(res.status).toBe(200);
    const infos = res.json as {
      name: string;
      error_count: number;
      groups: string[];
      configs: { definition: { name: string }; value: { value: string | null; errors: string[] } }[];
    };
    expect(infos.name).toBe("com.example.DbSourceConnector");
    expect(infos.error_count).toBe(1);
    expect(infos.groups).toEqual(["Common", "Transforms", "Predicates", "Error Handling", "Connection"]);
    const byName = Object.fromEntries(infos.configs.map((x) => [x.definition.name, x.value]));
    expect(byName["db.password"]).toMatchObject({ value: "[hidden]", errors: [] });
    expect(byName["db.port"]).toMatchObject({
      value: null,
      errors: ["Invalid value x for configuration db.port: Not a number of type INT"],
    });
    expect(res.text).not.toContain("s3cret");
  });

  it("validate: 400 when connector.class is another plugin; 500 when it is missing or unknown", async () => {
    const c = await start({ workers: 1 });
    const base = c.endpoints[0]!;
    const other = await call(base, "PUT", "/connector-plugins/MirrorSourceConnector/config/validate", {
      body: { "connector.class": "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector" },
    });
    expect([other.status, other.json]).toEqual([
      400,
      err(
        400,
        "Included connector type org.apache.kafka.connect.mirror.MirrorHeartbeatConnector does not match request type MirrorSourceConnector",
      ),
    ]);
    const missing = await call(base, "PUT", "/connector-plugins/MirrorSource/config/validate", {
      body: { a: "1" },
    });
    expect([missing.status, missing.json]).toEqual([
      500,
      err(
        500,
        "org.apache.kafka.connect.runtime.rest.errors.BadRequestException: Connector config {a=1} contains no connector type",
      ),
    ]);
    const unknown = await call(base, "PUT", "/connector-plugins/Nope/config/validate", {
      body: { "connector.class": "Nope" },
    });
    expect(unknown.status).toBe(500);
    expect((unknown.json as { message: string }).message).toMatch(
      /^org\.apache\.kafka\.connect\.errors\.ConnectException: Failed to find any class that implements Connector and which name matches Nope, available connectors are: /,
    );
  });
});

describe("loggers", () => {
  it("lists explicit levels, reads effective levels, sets worker scope (200 + names) and cluster scope (204)", async () => {
    const c = await start({ workers: 2 });
    const [a, b] = c.endpoints as [string, string];
    expect((await call(a, "GET", "/admin/loggers")).json).toEqual({
      "org.apache.zookeeper": { level: "ERROR", last_modified: null },
      "org.reflections": { level: "ERROR", last_modified: null },
      root: { level: "INFO", last_modified: null },
    });
    expect((await call(a, "GET", "/admin/loggers/org.apache.kafka.connect.runtime.Worker")).json).toEqual({
      level: "INFO",
      last_modified: null,
    });
    const set = await call(a, "PUT", "/admin/loggers/org.apache.kafka.connect.runtime.Worker", {
      body: { level: "debug" },
    });
    expect([set.status, set.json]).toEqual([
      200,
      [
        "org.apache.kafka.connect.runtime.Worker",
        "org.apache.kafka.connect.runtime.WorkerSinkTask",
        "org.apache.kafka.connect.runtime.WorkerSourceTask",
      ],
    ]);
    expect(
      (await call(a, "GET", "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSinkTask")).json,
    ).toEqual({
      level: "DEBUG",
      last_modified: expect.any(Number),
    });
    // Worker scope: the other worker is unchanged.
    expect(
      (await call(b, "GET", "/admin/loggers/org.apache.kafka.connect.runtime.Worker")).json,
    ).toMatchObject({ level: "INFO" });
    const cluster = await call(a, "PUT", "/admin/loggers/org.apache.kafka.connect?scope=cluster", {
      body: { level: "WARN" },
    });
    expect([cluster.status, cluster.text]).toEqual([204, ""]);
    expect(
      (await call(b, "GET", "/admin/loggers/org.apache.kafka.connect.runtime.Worker")).json,
    ).toMatchObject({ level: "WARN" });
    // A new namespace is created.
    expect((await call(a, "PUT", "/admin/loggers/com.example", { body: { level: "TRACE" } })).json).toEqual([
      "com.example",
    ]);
  });

  it("invalid level 404, unknown logger 404, missing level 400", async () => {
    const c = await start({ workers: 1 });
    const base = c.endpoints[0]!;
    const level = await call(base, "PUT", "/admin/loggers/root", { body: { level: "LOUD" } });
    expect([level.status, level.json]).toEqual([404, err(404, "invalid log level 'LOUD'.")]);
    const logger = await call(base, "GET", "/admin/loggers/com.nobody");
    expect([logger.status, logger.json]).toEqual([404, err(404, "Logger com.nobody not found.")]);
    const missing = await call(base, "PUT", "/admin/loggers/root", { body: {} });
    expect([missing.status, missing.json]).toEqual([
      400,
      err(400, "Desired 'level' parameter was not specified in request."),
    ]);
  });
});

describe("routing", () => {
  it("unmatched routes answer HTTP 404 Not Found, wrong methods HTTP 405, non-JSON bodies HTTP 415", async () => {
    const c = await start({ workers: 1 });
    const base = c.endpoints[0]!;
    for (const path of [
      "/nope",
      "/connectors/a/b/c/d/e",
      "/connectors/a/tasks/0",
      "/connectors/a/restart/now",
    ]) {
      const res = await call(base, "GET", path);
      expect([res.status, res.json]).toEqual([404, err(404, "HTTP 404 Not Found")]);
    }
    const wrong = await call(base, "POST", "/connectors/a/status");
    expect([wrong.status, wrong.json]).toEqual([405, err(405, "HTTP 405 Method Not Allowed")]);
    const form = await call(base, "POST", "/connectors", {
      raw: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect([form.status, form.json]).toEqual([415, err(415, "HTTP 415 Unsupported Media Type")]);
    const bad = await call(base, "POST", "/connectors", {
      raw: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(bad.status).toBe(500);
  });

  it("the internal task-config endpoint skips auth and demands the session signature", async () => {
    const c = await start({ workers: 1, auth: { users: { admin: "pw" } } });
    const base = c.endpoints[0]!;
    const res = await call(base, "POST", "/connectors/x/tasks", { body: [] });
    expect([res.status, res.json]).toEqual([400, err(400, "Internal request missing required signature")]);
    const signed = await call(base, "POST", "/connectors/x/tasks", {
      body: [],
      headers: { "x-connect-authorization": "x" },
    });
    expect([signed.status, signed.json]).toEqual([
      403,
      err(403, "Internal request contained invalid signature."),
    ]);
    // The GET on the same path is a user request.
    expect((await call(base, "GET", "/connectors/x/tasks")).status).toBe(401);
  });
});
