import { describe, expect, it } from "vitest";
import {
  eventually,
  failure,
  MIRROR_SOURCE,
  mirrorConfig,
  SINK_CLASS,
  sent,
  settled,
  sinkConfig,
  useContract,
  useSinkPluginPath,
} from "./support.js";

// Every endpoint of the client, answered by the emulator: the typed result and what the cluster then holds.

const contract = useContract();
const pluginPath = useSinkPluginPath();
const sinkCluster = (workers = 3) => contract.cluster({ workers, pluginPath: pluginPath() });
const workerId = (endpoint: string) => endpoint.replace(/^https?:\/\//, "");

describe("server info and health", () => {
  it("GET / gives the worker's version, commit and Kafka cluster id", async () => {
    const cluster = await contract.cluster({ workers: 1, version: "3.8" });
    const info = await contract.client(cluster).serverInfo();
    expect(info).toEqual({
      version: "3.8.0",
      commit: expect.stringMatching(/^[0-9a-f]+$/),
      kafka_cluster_id: expect.any(String),
    });
  });

  it("GET /health reports 200 healthy, and 503 starting on a worker still joining (not thrown)", async () => {
    const cluster = await contract.cluster({ workers: 2, timing: { rebalanceMs: 200 } });
    const client = contract.client(cluster);
    expect(await client.health()).toEqual({
      status: "healthy",
      message: "Worker has completed startup and is ready to handle requests.",
      httpStatus: 200,
      endpoint: cluster.endpoints[0],
    });
    await cluster.stopWorker(1);
    await cluster.rebalanceSettled();
    await cluster.startWorker(1);
    const joining = contract.client([cluster.endpoints[1]!]);
    expect(await joining.health()).toEqual({
      status: "starting",
      message: "Worker is still starting up.",
      httpStatus: 503,
      endpoint: cluster.endpoints[1],
    });
    await cluster.rebalanceSettled();
    expect((await joining.health()).httpStatus).toBe(200);
  });
});

describe("connectors", () => {
  it("lists the names, and with expand=status and expand=info each connector's status and info", async () => {
    const cluster = await sinkCluster();
    const client = contract.client(cluster);
    expect(await client.listConnectors()).toEqual([]);
    await client.createConnector("b-sink", sinkConfig());
    await client.createConnector("a-source", mirrorConfig());
    await settled(client, "b-sink", "RUNNING", 1);
    await settled(client, "a-source", "RUNNING", 1);
    expect(await client.listConnectors()).toEqual(["a-source", "b-sink"]);

    const expanded = await client.listConnectors({ expand: ["status", "info"] });
    expect(Object.keys(expanded).sort()).toEqual(["a-source", "b-sink"]);
    expect(expanded["b-sink"]).toEqual({
      status: await client.status("b-sink"),
      info: await client.getConnector("b-sink"),
    });
    const statusOnly = await client.listConnectors({ expand: ["status"] });
    expect(statusOnly["a-source"]).toEqual({ status: await client.status("a-source") });
    const infoOnly = await client.listConnectors({ expand: ["info"] });
    expect(infoOnly["a-source"]).toEqual({ info: await client.getConnector("a-source") });
    expect(sent(cluster, "GET", "/connectors").map((r) => r.query)).toEqual([
      "",
      "",
      "expand=status&expand=info",
      "expand=status",
      "expand=info",
    ]);
  });

  it("creates a connector (201, no tasks yet) and reads back its info, raw config and tasks", async () => {
    const cluster = await sinkCluster();
    const client = contract.client(cluster);
    // A config provider reference, `${file:…}`, as the worker stores it.
    const reference = ["$", "{file:/etc/secrets:pw}"].join("");
    const config = sinkConfig({ "tasks.max": "3", "file.password": reference });
    const created = await client.createConnector("orders sink é", config);
    expect(created).toEqual({
      name: "orders sink é",
      config: { ...config, name: "orders sink é" },
      tasks: [],
      type: "sink",
    });
    expect(sent(cluster, "POST", "/connectors")).toHaveLength(1);
    // The plugin allows 2 tasks, whatever tasks.max says.
    await settled(client, "orders sink é", "RUNNING", 2);
    const info = await client.getConnector("orders sink é");
    expect(info.tasks).toEqual([
      { connector: "orders sink é", task: 0 },
      { connector: "orders sink é", task: 1 },
    ]);
    // Config provider references come back unresolved.
    expect(await client.getConfig("orders sink é")).toEqual({ ...config, name: "orders sink é" });
    const tasks = await client.tasks("orders sink é");
    expect(tasks.map((t) => t.id)).toEqual(info.tasks);
    expect(tasks[0]!.config).toMatchObject({ ...config, "task.class": "com.example.contract.FileSinkTask" });
    // The name is one encoded path segment.
    expect(cluster.requests.some((r) => r.path === "/connectors/orders%20sink%20%C3%A9/status")).toBe(true);
  });

  it("creates connectors in the initial_state asked for: PAUSED, STOPPED or RUNNING", async () => {
    const cluster = await contract.cluster();
    const client = contract.client(cluster);
    await client.createConnector("paused", mirrorConfig(), { initialState: "PAUSED" });
    await client.createConnector("stopped", mirrorConfig(), { initialState: "STOPPED" });
    await client.createConnector("running", mirrorConfig(), { initialState: "RUNNING" });
    // A connector created PAUSED never started, so it has generated no tasks yet.
    await settled(client, "paused", "PAUSED", 0);
    await settled(client, "stopped", "STOPPED", 0);
    await settled(client, "running", "RUNNING", 1);
    expect(cluster.connector("paused")?.target).toBe("PAUSED");
    expect(cluster.connector("stopped")?.target).toBe("STOPPED");
    expect(cluster.connector("running")?.target).toBe("STARTED");
    await client.resume("paused");
    await settled(client, "paused", "RUNNING", 1);
  });

  it("PUT config creates (201) then updates (200); an identical PUT is still written and restarts", async () => {
    const cluster = await sinkCluster();
    const client = contract.client(cluster);
    const first = await client.putConfig("s", sinkConfig());
    expect(first).toEqual({
      created: true,
      info: { name: "s", config: { ...sinkConfig(), name: "s" }, tasks: [], type: "sink" },
    });
    await settled(client, "s", "RUNNING", 1);
    const updated = await client.putConfig("s", sinkConfig({ file: "/tmp/other.txt" }));
    expect(updated.created).toBe(false);
    expect(updated.info.config.file).toBe("/tmp/other.txt");
    expect(updated.info.tasks).toEqual([{ connector: "s", task: 0 }]);
    await settled(client, "s", "RUNNING", 1);
    const before = cluster.connector("s")!;
    await client.putConfig("s", sinkConfig({ file: "/tmp/other.txt" }));
    const after = cluster.connector("s")!;
    expect(after.configWrites).toBe(before.configWrites + 1);
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.taskRestarts[0]).toBe(before.taskRestarts[0]! + 1);
  });

  it("PATCH config merges, removes the keys patched to null, and restarts", async () => {
    const cluster = await sinkCluster();
    const client = contract.client(cluster);
    await client.createConnector("s", sinkConfig({ "errors.tolerance": "all" }));
    await settled(client, "s", "RUNNING", 1);
    const patched = await client.patchConfig("s", { file: "/tmp/new.txt", "errors.tolerance": null });
    expect(patched.config).toEqual({ ...sinkConfig({ file: "/tmp/new.txt" }), name: "s" });
    expect(await client.getConfig("s")).toEqual(patched.config);
    expect(cluster.connector("s")!.restarts).toBe(1);
  });

  it("status, tasks and task status of a sink whose units are spread over the workers", async () => {
    const cluster = await sinkCluster();
    const client = contract.client(cluster);
    await client.createConnector("s", sinkConfig({ "tasks.max": "2" }));
    const status = await settled(client, "s", "RUNNING", 2);
    expect(status).toEqual({
      name: "s",
      type: "sink",
      connector: { state: "RUNNING", worker_id: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
      tasks: [
        { id: 0, state: "RUNNING", worker_id: expect.any(String) },
        { id: 1, state: "RUNNING", worker_id: expect.any(String) },
      ],
    });
    const ids = new Set([status.connector.worker_id, ...status.tasks.map((t) => t.worker_id)]);
    expect(ids).toEqual(new Set(cluster.endpoints.map(workerId)));
    expect(await client.taskStatus("s", 1)).toEqual(status.tasks[1]);
    cluster.failTask("s", 1, "org.apache.kafka.connect.errors.ConnectException: disk full");
    expect(await client.taskStatus("s", 1)).toEqual({
      ...status.tasks[1],
      state: "FAILED",
      trace: "org.apache.kafka.connect.errors.ConnectException: disk full",
    });
  });
});

describe("restarts", () => {
  it("without flags: 204, honoured; the connector goes UNASSIGNED and comes back", async () => {
    const cluster = await contract.cluster();
    const client = contract.client(cluster);
    await client.createConnector("m", mirrorConfig());
    await settled(client, "m", "RUNNING", 1);
    expect(await client.restartConnector("m")).toEqual({ honoured: true });
    expect(sent(cluster, "POST", "/connectors/m/restart").map((r) => [r.query, r.status])).toEqual([
      ["", 204],
    ]);
    expect(cluster.connector("m")!.restarts).toBe(1);
    await settled(client, "m", "RUNNING", 1);
  });

  it("includeTasks: 202 and the status with RESTARTING marks; onlyFailed restarts only what FAILED", async () => {
    const cluster = await contract.cluster();
    const client = contract.client(cluster);
    await client.createConnector("m", mirrorConfig({ "tasks.max": "2" }));
    await settled(client, "m", "RUNNING", 2);

    const all = await client.restartConnector("m", { includeTasks: true });
    expect(all.honoured).toBe(true);
    expect(all.status?.connector.state).toBe("RESTARTING");
    expect(all.status?.tasks.map((t) => [t.id, t.state]).sort()).toEqual([
      [0, "RESTARTING"],
      [1, "RESTARTING"],
    ]);
    await settled(client, "m", "RUNNING", 2);

    cluster.failTask("m", 1, "java.lang.OutOfMemoryError");
    const before = cluster.connector("m")!;
    const failed = await client.restartConnector("m", { includeTasks: true, onlyFailed: true });
    expect(failed.honoured).toBe(true);
    expect(failed.status?.connector.state).toBe("RUNNING");
    expect(failed.status?.tasks.map((t) => [t.id, t.state]).sort()).toEqual([
      [0, "RUNNING"],
      [1, "RESTARTING"],
    ]);
    const after = cluster.connector("m")!;
    expect([after.restarts, after.taskRestarts[0], after.taskRestarts[1]]).toEqual([
      before.restarts,
      before.taskRestarts[0],
      before.taskRestarts[1]! + 1,
    ]);
    const settledStatus = await settled(client, "m", "RUNNING", 2);
    expect(settledStatus.tasks[1]!.trace).toBeUndefined();
    expect(sent(cluster, "POST", "/connectors/m/restart").map((r) => [r.query, r.status])).toEqual([
      ["includeTasks=true", 202],
      ["includeTasks=true&onlyFailed=true", 202],
    ]);
  });

  it("a 2.8 worker ignores the flags and answers 204: reported as not honoured", async () => {
    const cluster = await contract.cluster({ version: "2.8" });
    const client = contract.client(cluster);
    await client.createConnector("m", mirrorConfig({ "tasks.max": "2" }));
    await settled(client, "m", "RUNNING", 2);
    expect(await client.restartConnector("m", { includeTasks: true, onlyFailed: true })).toEqual({
      honoured: false,
    });
    // Only the connector instance restarted.
    expect(cluster.connector("m")).toMatchObject({ restarts: 1, taskRestarts: { 0: 0, 1: 0 } });
    expect(await client.restartConnector("m")).toEqual({ honoured: true });
  });

  it("task restart: 204, only that task restarts", async () => {
    const cluster = await contract.cluster();
    const client = contract.client(cluster);
    await client.createConnector("m", mirrorConfig({ "tasks.max": "2" }));
    await settled(client, "m", "RUNNING", 2);
    await client.restartTask("m", 1);
    expect(cluster.connector("m")).toMatchObject({ restarts: 0, taskRestarts: { 0: 0, 1: 1 } });
    expect(sent(cluster, "POST", "/connectors/m/tasks/1/restart").map((r) => r.status)).toEqual([204]);
    await settled(client, "m", "RUNNING", 2);
  });
});

describe("pause, resume, stop and delete", () => {
  it("pause and resume answer 202 at once and settle; stop is 204, idempotent; resume leaves STOPPED", async () => {
    const cluster = await contract.cluster();
    const client = contract.client(cluster);
    await client.createConnector("m", mirrorConfig({ "tasks.max": "2" }));
    await settled(client, "m", "RUNNING", 2);
    await client.pause("m");
    expect(cluster.connector("m")!.target).toBe("PAUSED");
    await settled(client, "m", "PAUSED", 2);
    await client.resume("m");
    await settled(client, "m", "RUNNING", 2);

    await client.stop("m");
    await client.stop("m");
    expect(sent(cluster, "PUT", "/connectors/m/stop").map((r) => r.status)).toEqual([204, 204]);
    await settled(client, "m", "STOPPED", 0);
    expect(await client.tasks("m")).toEqual([]);
    await client.resume("m");
    await settled(client, "m", "RUNNING", 2);
    expect(sent(cluster, "PUT", "/connectors/m/pause").map((r) => r.status)).toEqual([202]);
    expect(sent(cluster, "PUT", "/connectors/m/resume").map((r) => r.status)).toEqual([202, 202]);
  });

  it("delete: 204 and the connector is gone", async () => {
    const cluster = await contract.cluster();
    const client = contract.client(cluster);
    await client.createConnector("m", mirrorConfig());
    await client.deleteConnector("m");
    expect(cluster.connector("m")).toBeUndefined();
    expect(await client.listConnectors()).toEqual([]);
  });
});

describe("offsets and topics", () => {
  const partition = (p: number) => ({ kafka_topic: "orders", kafka_partition: p });

  it("GET offsets anywhere; PATCH and DELETE once the connector is STOPPED", async () => {
    const cluster = await sinkCluster();
    const client = contract.client(cluster);
    await client.createConnector("s", sinkConfig());
    await settled(client, "s", "RUNNING", 1);
    cluster.setOffsets("s", [{ partition: partition(0), offset: { kafka_offset: 42 } }]);
    for (const endpoint of cluster.endpoints) {
      expect(await contract.client([endpoint]).getOffsets("s")).toEqual({
        offsets: [{ partition: partition(0), offset: { kafka_offset: 42 } }],
      });
    }

    await client.stop("s");
    const altered = await client.alterOffsets("s", {
      offsets: [
        { partition: partition(0), offset: { kafka_offset: 7 } },
        { partition: partition(1), offset: { kafka_offset: 3 } },
      ],
    });
    expect(altered.message).toMatch(
      /^The Connect framework-managed offsets for this connector have been altered successfully\./,
    );
    expect(await client.getOffsets("s")).toEqual({
      offsets: [
        { partition: partition(0), offset: { kafka_offset: 7 } },
        { partition: partition(1), offset: { kafka_offset: 3 } },
      ],
    });
    // A null offset removes the partition.
    await client.alterOffsets("s", { offsets: [{ partition: partition(0), offset: null }] });
    expect((await client.getOffsets("s")).offsets).toEqual([
      { partition: partition(1), offset: { kafka_offset: 3 } },
    ]);
    const reset = await client.resetOffsets("s");
    expect(reset.message).toMatch(
      /^The Connect framework-managed offsets for this connector have been reset successfully\./,
    );
    expect(await client.getOffsets("s")).toEqual({ offsets: [] });
  });

  it("topics: what the running tasks used; [] for an unknown connector; reset (202) empties them", async () => {
    const cluster = await sinkCluster();
    const client = contract.client(cluster);
    await client.createConnector("s", sinkConfig({ topics: "orders,refunds" }));
    await settled(client, "s", "RUNNING", 1);
    expect(
      await eventually(
        () => client.topics("s"),
        (t) => t.length === 2,
      ),
    ).toEqual(["orders", "refunds"]);
    expect(await client.topics("nobody")).toEqual([]);
    await client.resetTopics("s");
    expect(sent(cluster, "PUT", "/connectors/s/topics/reset").map((r) => r.status)).toEqual([202]);
    expect(await client.topics("s")).toEqual([]);
    expect(cluster.connector("s")!.topics).toEqual([]);
  });
});

describe("plugins", () => {
  it("lists the connector plugins, and every plugin with connectorsOnly=false", async () => {
    const cluster = await sinkCluster(1);
    const client = contract.client(cluster);
    const connectors = await client.plugins();
    expect(connectors[0]).toEqual({ class: SINK_CLASS, type: "sink", version: "1.4.2" });
    expect(connectors).toContainEqual({ class: MIRROR_SOURCE, type: "source", version: "3.9.0" });
    expect(new Set(connectors.map((p) => p.type))).toEqual(new Set(["sink", "source"]));
    const every = await client.plugins({ connectorsOnly: false });
    expect(new Set(every.map((p) => p.type))).toEqual(
      new Set(["sink", "source", "transformation", "predicate", "converter", "header_converter"]),
    );
    expect(sent(cluster, "GET", "/connector-plugins").map((r) => r.query)).toEqual([
      "",
      "connectorsOnly=false",
    ]);
  });

  it("plugin config by class name or alias: the plugin's keys, then the framework's", async () => {
    const cluster = await sinkCluster(1);
    const client = contract.client(cluster);
    const keys = await client.pluginConfig(SINK_CLASS);
    expect(keys[0]).toEqual({
      name: "file",
      type: "STRING",
      required: true,
      default_value: null,
      importance: "HIGH",
      documentation: "Destination file",
      group: "File",
      order: expect.any(Number),
      width: "NONE",
      display_name: "File",
      dependents: [],
    });
    expect(keys.map((k) => k.name)).toEqual(expect.arrayContaining(["name", "connector.class", "topics"]));
    expect(await client.pluginConfig("FileSink")).toEqual(keys);
    expect(await client.pluginConfig("FileSinkConnector")).toEqual(keys);
  });

  it("validate answers 200 valid or invalid; throwIfInvalid turns the errors into invalid-config", async () => {
    const cluster = await sinkCluster(1);
    const client = contract.client(cluster);
    // The validate endpoint does not take the name from the URL: without one, `name` is missing.
    const nameless = await client.validateConfig("FileSink", sinkConfig());
    expect(nameless.errors).toEqual([
      { key: "name", message: 'Missing required configuration "name" which has no default value.' },
    ]);
    const valid = await client.validateConfig("FileSink", sinkConfig({ name: "s" }));
    expect(valid).toMatchObject({ valid: true, errorCount: 0, errors: [] });
    expect(valid.infos.name).toBe(SINK_CLASS);
    expect(valid.infos.groups).toEqual(expect.arrayContaining(["Common", "File"]));

    const { file: _file, ...withoutFile } = sinkConfig({ name: "s", "tasks.max": "0" });
    const invalid = await client.validateConfig("FileSink", withoutFile);
    expect(invalid).toMatchObject({ valid: false, errorCount: 2 });
    expect(invalid.errors).toEqual(
      expect.arrayContaining([
        { key: "file", message: 'Missing required configuration "file" which has no default value.' },
        {
          key: "tasks.max",
          message: "Invalid value 0 for configuration tasks.max: Value must be at least 1",
        },
      ]),
    );
    expect(invalid.errors).toHaveLength(2);
    const value = invalid.infos.configs.find((c) => c.value?.name === "tasks.max")?.value;
    expect(value).toMatchObject({ value: "0", errors: [expect.any(String)] });

    const thrown = await failure(client.validateConfig("FileSink", withoutFile, { throwIfInvalid: true }));
    expect(thrown).toMatchObject({ kind: "invalid-config", status: 200, configErrors: invalid.errors });
    expect(sent(cluster, "PUT", `/connector-plugins/FileSink/config/validate`).map((r) => r.status)).toEqual([
      200, 200, 200, 200,
    ]);
  });
});

describe("loggers", () => {
  const RUNTIME = "org.apache.kafka.connect.runtime";

  it("lists explicit levels, reads effective ones, sets one worker's or (3.7+) the whole cluster's", async () => {
    const cluster = await contract.cluster({ workers: 2 });
    const [first, second] = cluster.endpoints.map((e) => contract.client([e]));
    expect(await first!.listLoggers()).toMatchObject({
      root: { level: "INFO", last_modified: null },
      "org.reflections": { level: "ERROR", last_modified: null },
    });
    expect(await first!.getLogger(`${RUNTIME}.Worker`)).toEqual({ level: "INFO", last_modified: null });

    const worker = await first!.setLogger(RUNTIME, "debug", { scope: "worker" });
    expect(worker.honoured).toBe(true);
    expect(worker.affected).toEqual(
      expect.arrayContaining([RUNTIME, `${RUNTIME}.Worker`, `${RUNTIME}.rest.RestServer`]),
    );
    expect((await first!.getLogger(`${RUNTIME}.Worker`)).level).toBe("DEBUG");
    expect((await second!.getLogger(`${RUNTIME}.Worker`)).level).toBe("INFO");

    expect(await first!.setLogger(RUNTIME, "WARN", { scope: "cluster" })).toEqual({ honoured: true });
    for (const client of [first!, second!]) {
      const level = await client.getLogger(`${RUNTIME}.Worker`);
      expect(level).toEqual({ level: "WARN", last_modified: expect.any(Number) });
    }
    expect(sent(cluster, "PUT", `/admin/loggers/${RUNTIME}`).map((r) => [r.query, r.status])).toEqual([
      ["scope=worker", 200],
      ["scope=cluster", 204],
    ]);
  });

  it("a 3.6 worker ignores scope=cluster and changes only itself: not honoured", async () => {
    const cluster = await contract.cluster({ workers: 2, version: "3.6" });
    const [first, second] = cluster.endpoints.map((e) => contract.client([e]));
    const result = await first!.setLogger(RUNTIME, "DEBUG", { scope: "cluster" });
    expect(result.honoured).toBe(false);
    expect(result.affected).toContain(RUNTIME);
    expect(await first!.getLogger(RUNTIME)).toEqual({ level: "DEBUG" });
    expect(await second!.getLogger("root")).toEqual({ level: "INFO" });
  });
});
