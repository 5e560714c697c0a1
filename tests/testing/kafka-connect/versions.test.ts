import { describe, expect, it } from "vitest";
import { call, createRunning, err, mirrorConfig, useClusters } from "./support.js";

const start = useClusters();

const NOT_FOUND = err(404, "HTTP 404 Not Found");
const NOT_ALLOWED = err(405, "HTTP 405 Method Not Allowed");

async function statusAndBody(base: string, method: string, path: string, body?: unknown) {
  const res = await call(base, method, path, body === undefined ? {} : { body });
  return [res.status, res.json];
}

describe("Kafka 2.8 workers", () => {
  it("report 2.8.0 and lack /health, stop, offsets, PATCH config and plugin config", async () => {
    const c = await start({ workers: 1, version: "2.8" });
    const base = c.endpoints[0]!;
    expect((await call(base, "GET", "/")).json).toMatchObject({ version: "2.8.0" });
    await createRunning(base, "old", 1);
    expect(await statusAndBody(base, "GET", "/health")).toEqual([404, NOT_FOUND]);
    expect(await statusAndBody(base, "PUT", "/connectors/old/stop")).toEqual([404, NOT_FOUND]);
    expect(await statusAndBody(base, "GET", "/connectors/old/offsets")).toEqual([404, NOT_FOUND]);
    expect(await statusAndBody(base, "DELETE", "/connectors/old/offsets")).toEqual([404, NOT_FOUND]);
    expect(await statusAndBody(base, "PATCH", "/connectors/old/config", { "tasks.max": "2" })).toEqual([
      405,
      NOT_ALLOWED,
    ]);
    expect(await statusAndBody(base, "GET", "/connector-plugins/MirrorSource/config")).toEqual([
      404,
      NOT_FOUND,
    ]);
    expect(await statusAndBody(base, "PUT", "/connectors/old/fence")).toEqual([404, NOT_FOUND]);
  });

  it("ignore the restart flags (204, no RESTARTING) and connectorsOnly; refuse initial_state with a 500", async () => {
    const c = await start({ workers: 1, version: "2.8" });
    const base = c.endpoints[0]!;
    await createRunning(base, "r", 2);
    const restart = await call(base, "POST", "/connectors/r/restart?includeTasks=true&onlyFailed=true");
    expect([restart.status, restart.text]).toEqual([204, ""]);
    expect(c.connector("r")).toMatchObject({ restarts: 1, taskRestarts: { 0: 0, 1: 0 } });
    const plugins = (await call(base, "GET", "/connector-plugins?connectorsOnly=false")).json as {
      type: string;
    }[];
    expect(new Set(plugins.map((p) => p.type))).toEqual(new Set(["source"]));
    // Jackson (a plain JacksonJsonProvider) fails on the unknown property; Kafka's mapper answers 500.
    const raw = JSON.stringify({ name: "p", config: mirrorConfig(), initial_state: "PAUSED" });
    const create = await call(base, "POST", "/connectors", {
      raw,
      headers: { "content-type": "application/json" },
    });
    const entity = "org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest";
    expect([create.status, create.json]).toEqual([
      500,
      err(
        500,
        `Unrecognized field "initial_state" (class ${entity}), not marked as ignorable ` +
          '(2 known properties: "name", "config"])\n at [Source: ' +
          "(org.glassfish.jersey.message.internal.ReaderInterceptorExecutor$UnCloseableInputStream); " +
          `line: 1, column: ${raw.length + 1}] (through reference chain: ${entity}["initial_state"])`,
      ),
    ]);
    expect(c.connector("p")).toBeUndefined();
  });

  it("have expand, topics and loggers (level only, scope ignored)", async () => {
    const c = await start({ workers: 2, version: "2.8" });
    const [a, b] = c.endpoints as [string, string];
    await createRunning(a, "e", 1);
    expect(Object.keys((await call(a, "GET", "/connectors?expand=status")).json as object)).toEqual(["e"]);
    expect((await call(a, "GET", "/connectors/e/topics")).status).toBe(200);
    expect((await call(a, "GET", "/admin/loggers/root")).json).toEqual({ level: "INFO" });
    const set = await call(a, "PUT", "/admin/loggers/org.reflections?scope=cluster", {
      body: { level: "DEBUG" },
    });
    expect([set.status, set.json]).toEqual([200, ["org.reflections"]]);
    expect((await call(b, "GET", "/admin/loggers/org.reflections")).json).toEqual({ level: "ERROR" });
  });
});

describe("Kafka 3.4 workers", () => {
  it("honour the restart flags but lack stop and offsets; PATCH config is 405", async () => {
    const c = await start({ workers: 2, version: "3.4" });
    const base = c.endpoints[1]!;
    await createRunning(base, "f", 1);
    const restart = await call(base, "POST", "/connectors/f/restart?includeTasks=true");
    expect(restart.status).toBe(202);
    expect(restart.json).toMatchObject({
      connector: { state: "RESTARTING" },
      tasks: [{ id: 0, state: "RESTARTING" }],
    });
    expect(await statusAndBody(base, "PUT", "/connectors/f/stop")).toEqual([404, NOT_FOUND]);
    expect(await statusAndBody(base, "GET", "/connectors/f/offsets")).toEqual([404, NOT_FOUND]);
    expect(await statusAndBody(base, "PATCH", "/connectors/f/config", {})).toEqual([405, NOT_ALLOWED]);
    expect(await statusAndBody(base, "GET", "/health")).toEqual([404, NOT_FOUND]);
  });

  it("list every plugin with connectorsOnly=false and give a plugin's own config keys only", async () => {
    const c = await start({ workers: 1, version: "3.4" });
    const base = c.endpoints[0]!;
    const all = (await call(base, "GET", "/connector-plugins?connectorsOnly=false")).json as {
      type: string;
    }[];
    expect(all.some((p) => p.type === "converter")).toBe(true);
    const keys = (await call(base, "GET", "/connector-plugins/MirrorHeartbeat/config")).json as {
      name: string;
    }[];
    expect(keys.map((k) => k.name)).toEqual([
      "source.cluster.alias",
      "target.cluster.alias",
      "emit.heartbeats.interval.seconds",
    ]);
  });

  it("let the internal fencing endpoint skip basic auth (3.3+)", async () => {
    const c = await start({ workers: 1, version: "3.4", auth: { users: { u: "p" } } });
    const res = await call(c.endpoints[0]!, "PUT", "/connectors/x/fence");
    expect([res.status, res.json]).toEqual([400, err(400, "Internal request missing required signature")]);
  });
});

describe("other gates", () => {
  it("3.5 has stop and GET offsets; PATCH and DELETE offsets are 405 until 3.6", async () => {
    const c = await start({ workers: 1, version: "3.5" });
    const base = c.endpoints[0]!;
    await createRunning(base, "s", 1);
    expect((await call(base, "PUT", "/connectors/s/stop")).status).toBe(204);
    expect((await call(base, "GET", "/connectors/s/offsets")).json).toEqual({ offsets: [] });
    expect(await statusAndBody(base, "DELETE", "/connectors/s/offsets")).toEqual([405, NOT_ALLOWED]);
    expect(await statusAndBody(base, "PATCH", "/connectors/s/offsets", { offsets: [] })).toEqual([
      405,
      NOT_ALLOWED,
    ]);
  });

  it("2.2 ignores expand, lacks topics and loggers, and points the 400 at /{connectorType}/config/validate", async () => {
    const c = await start({ workers: 1, version: "2.2" });
    const base = c.endpoints[0]!;
    await createRunning(base, "a", 1);
    expect((await call(base, "GET", "/connectors?expand=status")).json).toEqual(["a"]);
    expect(await statusAndBody(base, "GET", "/connectors/a/topics")).toEqual([404, NOT_FOUND]);
    expect(await statusAndBody(base, "GET", "/admin/loggers")).toEqual([404, NOT_FOUND]);
    const invalid = await call(base, "POST", "/connectors", {
      body: { name: "b", config: { "connector.class": "MirrorSource" } },
    });
    expect((invalid.json as { message: string }).message).toMatch(
      /\nYou can also find the above list of errors at the endpoint `\/\{connectorType\}\/config\/validate`$/,
    );
  });

  it("GET /connectors/{c}/tasks-config exists from 2.8 until 4.0", async () => {
    for (const [version, status] of [
      ["2.7", 404],
      ["2.8", 200],
      ["3.9", 200],
      ["4.0", 404],
    ] as const) {
      const c = await start({ workers: 1, version });
      const base = c.endpoints[0]!;
      await createRunning(base, "tc", 1);
      const res = await call(base, "GET", "/connectors/tc/tasks-config");
      expect([version, res.status]).toEqual([version, status]);
      if (status === 404) expect(res.json).toEqual(NOT_FOUND);
    }
  });

  it("rejects a version that is not X.Y", async () => {
    await expect(start({ version: "three" })).rejects.toThrow('not a Kafka version (want X.Y): "three"');
  });
});
