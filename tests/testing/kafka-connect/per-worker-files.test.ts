import { access, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildPluginTarball,
  type KafkaConnectCluster,
  type PluginManifest,
} from "../../../lib/testing/kafka-connect/index.js";
import { call, eventually, until, useClusters, useTempDirs } from "./support.js";

const start = useClusters();
const tempDir = useTempDirs();

const FOO: PluginManifest = {
  plugins: [{ class: "com.example.FooSinkConnector", type: "sink", version: "1.2.0", maxTasks: 2 }],
};
const fooConfig = { "connector.class": "FooSink", topics: "in", "tasks.max": "2" };

const listed = async (base: string) =>
  ((await call(base, "GET", "/connector-plugins")).json as { class: string }[]).map((p) => p.class);

const statusOf = async (base: string, path = "/") => (await call(base, "GET", path)).status;

type Status = {
  connector: { state: string; worker_id: string; trace?: string };
  tasks: { id: number; state: string; worker_id: string; trace?: string }[];
};

/** The status once the connector and `tasks` tasks have left UNASSIGNED (settled on their workers). */
async function settled(base: string, name: string, tasks: number): Promise<Status> {
  const res = await eventually(
    () => call(base, "GET", `/connectors/${name}/status`),
    (r) => {
      const s = r.json as Status | undefined;
      return (
        r.status === 200 &&
        s !== undefined &&
        s.connector.state !== "UNASSIGNED" &&
        s.tasks.length === tasks &&
        s.tasks.every((t) => t.state !== "UNASSIGNED")
      );
    },
  );
  return res.json as Status;
}

const workerIdOf = (c: KafkaConnectCluster, i: number) => c.endpoints[i]!.replace(/^https?:\/\//, "");

describe("perWorkerFiles", () => {
  it("gives each worker its own plugin path and credentials file, empty and 0600, removed on close", async () => {
    const c = await start({ workers: 3, perWorkerFiles: true });
    const files = [0, 1, 2].map((i) => c.workerFiles(i));
    expect(new Set(files.map((f) => f.pluginPath)).size).toBe(3);
    expect(new Set(files.map((f) => f.credentialsFile)).size).toBe(3);
    for (const f of files) {
      expect(await readFile(f.credentialsFile, "latin1")).toBe("");
      expect((await stat(f.credentialsFile)).mode & 0o777).toBe(0o600);
      expect((await stat(f.pluginPath)).isDirectory()).toBe(true);
    }
    expect([c.pluginPath, c.credentialsFile]).toEqual([files[0]!.pluginPath, files[0]!.credentialsFile]);
    expect(() => c.workerFiles(3)).toThrow(RangeError);
    await c.close();
    for (const f of files) await expect(access(dirname(f.credentialsFile))).rejects.toThrow();
  });

  it("a fresh install has auth on with empty files: every worker admits everyone", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    for (const base of c.endpoints) {
      expect(await statusOf(base, "/connectors")).toBe(200);
      expect((await call(base, "GET", "/", { auth: ["anyone", "anything"] })).status).toBe(200);
    }
  });

  it("refuses pluginPath or auth next to it; shared mode answers the shared files, or throws without auth", async () => {
    await expect(start({ perWorkerFiles: true, pluginPath: await tempDir() })).rejects.toThrow(TypeError);
    await expect(start({ perWorkerFiles: true, auth: { users: {} } })).rejects.toThrow(TypeError);
    const open = await start({ workers: 1 });
    expect(() => open.workerFiles(0)).toThrow("basic auth is off");
    const shared = await start({ workers: 2, auth: { users: { admin: "pw" } } });
    expect(shared.workerFiles(1)).toEqual({
      pluginPath: shared.pluginPath,
      credentialsFile: shared.credentialsFile,
    });
  });

  it("a plugin installed in worker 1's path only is listed by worker 1 after its restart, never by worker 0", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    const [a, b] = c.endpoints as [string, string];
    const dir = await c.installPlugin(await buildPluginTarball(FOO), { worker: 1 });
    expect(dir.startsWith(c.workerFiles(1).pluginPath)).toBe(true);
    expect(await listed(b)).not.toContain("com.example.FooSinkConnector");
    await c.restartWorker(1);
    await c.rebalanceSettled();
    expect(await listed(b)).toContain("com.example.FooSinkConnector");
    await c.restartWorker(0);
    await c.rebalanceSettled();
    expect(await listed(a)).not.toContain("com.example.FooSinkConnector");
  });

  it("installPlugin without a worker installs into every worker's path", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    await c.installPlugin(await buildPluginTarball(FOO));
    await c.rollingRestart();
    for (const base of c.endpoints) expect(await listed(base)).toContain("com.example.FooSinkConnector");
  });

  it("each worker reads its own credentials file, only when it restarts", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    const [a, b] = c.endpoints as [string, string];
    await c.setCredentials({ admin: "s3cret" }, { worker: 1 });
    expect(await readFile(c.workerFiles(1).credentialsFile, "latin1")).toBe("admin=s3cret\n");
    expect(await readFile(c.workerFiles(0).credentialsFile, "latin1")).toBe("");
    expect(await statusOf(b)).toBe(200); // still the empty file it read at start
    await c.restartWorker(1);
    expect(await statusOf(b)).toBe(401);
    expect((await call(b, "GET", "/", { auth: ["admin", "s3cret"] })).status).toBe(200);
    expect(await statusOf(a)).toBe(200);

    // Worker 1 keeps what it read, whatever the file says now, until it restarts again.
    await c.setCredentials({ admin: "other" }, { worker: 1 });
    expect((await call(b, "GET", "/", { auth: ["admin", "s3cret"] })).status).toBe(200);
    await c.setCredentials({}, { worker: 1 });
    await c.restartWorker(1);
    expect(await statusOf(b)).toBe(200); // emptied again: admits everyone
  });

  it("a missing credentials file refuses everyone; each request reads it again until one can, then it is kept", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    const b = c.endpoints[1]!;
    const file = c.workerFiles(1).credentialsFile;
    await rm(file);
    await c.restartWorker(1);
    expect(await statusOf(b)).toBe(401);
    expect((await call(b, "GET", "/", { auth: ["admin", "pw"] })).status).toBe(401);
    expect(await statusOf(c.endpoints[0]!)).toBe(200); // worker 0's file is its own

    await writeFile(file, "admin=pw\n");
    expect((await call(b, "GET", "/", { auth: ["admin", "pw"] })).status).toBe(200); // no restart needed
    expect(await statusOf(b)).toBe(401);
    await writeFile(file, "admin=new\n");
    expect((await call(b, "GET", "/", { auth: ["admin", "pw"] })).status).toBe(200); // kept until a restart
  });

  it("a credentials path that is a directory counts as unreadable: 401", async () => {
    const c = await start({ workers: 1, perWorkerFiles: true });
    const file = c.workerFiles(0).credentialsFile;
    await rm(file);
    await (await import("node:fs/promises")).mkdir(file);
    await c.restartWorker(0);
    expect(await statusOf(c.endpoints[0]!)).toBe(401);
  });
});

describe("a worker that lacks a connector's plugin", () => {
  it("fails the connector placed on it with Plugins' ConnectException; a restart there once it has it runs it", async () => {
    const c = await start({ workers: 3, perWorkerFiles: true });
    const a = c.endpoints[0]!;
    await c.installPlugin(await buildPluginTarball(FOO), { worker: 0 });
    await c.restartWorker(0);
    await c.rebalanceSettled();
    // A one-task heartbeat connector first: its connector on worker 0 and its task on worker 1, so that the
    // next connector goes to the least-loaded worker, 2, which lacks FooSink.
    const hb = { "connector.class": "MirrorHeartbeat", "source.cluster.alias": "x" };
    expect((await call(a, "PUT", "/connectors/hb/config", { body: hb })).status).toBe(201);
    await until(a, "hb", "RUNNING", 1);
    expect((await call(a, "PUT", "/connectors/foo/config", { body: fooConfig })).status).toBe(201);

    const failed = await settled(a, "foo", 0);
    expect(failed.connector.state).toBe("FAILED");
    expect(failed.connector.worker_id).toBe(workerIdOf(c, 2));
    expect(failed.connector.trace).toMatch(
      /^org\.apache\.kafka\.connect\.errors\.ConnectException: Failed to find any class that implements Connector and which name matches FooSink, available connectors are: /,
    );
    expect(failed.connector.trace).toContain(
      "\n\tat org.apache.kafka.connect.runtime.Worker.startConnector(",
    );

    await c.installPlugin(await buildPluginTarball(FOO), { worker: 2 });
    await c.restartWorker(2);
    await c.rebalanceSettled();
    const running = await settled(a, "foo", 2);
    expect(running.connector.state).toBe("RUNNING");
  });

  it("fails each task placed on a worker without it with TaskConfig's ConfigException; the others run", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    const a = c.endpoints[0]!;
    await c.installPlugin(await buildPluginTarball(FOO), { worker: 0 });
    await c.restartWorker(0);
    await c.rebalanceSettled();
    expect((await call(a, "PUT", "/connectors/foo/config", { body: fooConfig })).status).toBe(201);
    const status = await settled(a, "foo", 2);
    expect(status.connector).toEqual({ state: "RUNNING", worker_id: workerIdOf(c, 0) });
    const owners = c.connector("foo")!.taskOwners;
    expect(new Set(Object.values(owners))).toEqual(new Set([0, 1])); // spread over both workers
    for (const task of status.tasks) {
      if (owners[task.id] === 0) {
        expect(task.state).toBe("RUNNING");
        continue;
      }
      expect(task.state).toBe("FAILED");
      expect(task.trace).toMatch(
        /^org\.apache\.kafka\.common\.config\.ConfigException: Invalid value com\.example\.FooSinkTask for configuration task\.class: Class com\.example\.FooSinkTask could not be found\.\n\tat /,
      );
    }
  });
});
