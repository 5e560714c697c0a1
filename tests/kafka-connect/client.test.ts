import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import {
  ALREADY_EXISTS,
  CONFIG,
  CONFIG_INFOS_INVALID,
  CONNECTOR,
  configKeyInfo,
  connectorInfo,
  connectorStatus,
  errorBody,
  INVALID_CONFIG,
  INVALID_CONFIG_ERRORS,
  NOT_FOUND,
  NOT_STOPPED,
  REBALANCING,
  REQUEST_TIMED_OUT,
  restartingStatus,
  SERVER_INFO,
  SINK_OFFSETS,
  TOPIC_RESET_DISABLED,
  UNAUTHORIZED_TEXT,
  UNKNOWN_CLASS,
} from "./support/fixtures.js";
import { failure, KC, KC2, mswClient } from "./support/msw-client.js";

const C = `${KC}/connectors/${CONNECTOR}`;
const err = (status: number, message: string) => HttpResponse.json(errorBody(status, message), { status });
const empty = (status: number) => new HttpResponse(null, { status });
/** A config provider reference, which the worker returns unresolved. */
const PROVIDER_REF = ["$", "{file:/etc/secrets:pw}"].join("");

describe("one method per endpoint", () => {
  it("GET / → ServerInfo", async () => {
    const { client, dispatcher } = mswClient([http.get(`${KC}/`, () => HttpResponse.json(SERVER_INFO))]);
    expect(await client.serverInfo()).toEqual(SERVER_INFO);
    expect(dispatcher.sent[0]).toMatchObject({
      method: "GET",
      path: "/",
      headers: { accept: "application/json" },
    });
    expect(dispatcher.sent[0]!.headers["authorization"]).toBeUndefined();
  });

  it("GET /connectors → names; expand builds repeated expand params", async () => {
    const expanded = { [CONNECTOR]: { status: connectorStatus(), info: connectorInfo() } };
    const { client, dispatcher } = mswClient([
      http.get(`${KC}/connectors`, ({ request }) =>
        new URL(request.url).searchParams.has("expand")
          ? HttpResponse.json(expanded)
          : HttpResponse.json([CONNECTOR]),
      ),
    ]);
    expect(await client.listConnectors()).toEqual([CONNECTOR]);
    expect(await client.listConnectors({ expand: ["status", "info", "status"] })).toEqual(expanded);
    expect(await client.listConnectors({ expand: ["info"] })).toEqual(expanded);
    expect(dispatcher.sent.map((r) => r.path)).toEqual([
      "/connectors",
      "/connectors?expand=status&expand=info",
      "/connectors?expand=info",
    ]);
  });

  it("expand on a pre-2.3 worker (plain list back) is unsupported", async () => {
    const { client } = mswClient([http.get(`${KC}/connectors`, () => HttpResponse.json([CONNECTOR]))]);
    const error = await failure(client.listConnectors({ expand: ["status"] }));
    expect(error).toMatchObject({ kind: "unsupported", since: "2.3", status: 200 });
  });

  it("POST /connectors sends {name, config, initial_state} and returns the ConnectorInfo", async () => {
    const { client, dispatcher } = mswClient([
      http.get(`${KC}/`, () => HttpResponse.json(SERVER_INFO)),
      http.post(`${KC}/connectors`, () => HttpResponse.json(connectorInfo(), { status: 201 })),
    ]);
    expect(await client.createConnector(CONNECTOR, CONFIG, { initialState: "STOPPED" })).toEqual(
      connectorInfo(),
    );
    expect(await client.createConnector(CONNECTOR, CONFIG)).toEqual(connectorInfo());
    expect(await client.createConnector(CONNECTOR, CONFIG, { initialState: "PAUSED" })).toEqual(
      connectorInfo(),
    );
    // The worker's version is read once, before the first request that needs it.
    expect(dispatcher.sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /",
      "POST /connectors",
      "POST /connectors",
      "POST /connectors",
    ]);
    expect(dispatcher.sent.slice(1).map((r) => JSON.parse(r.body!))).toEqual([
      { name: CONNECTOR, config: CONFIG, initial_state: "STOPPED" },
      { name: CONNECTOR, config: CONFIG },
      { name: CONNECTOR, config: CONFIG, initial_state: "PAUSED" },
    ]);
    expect(dispatcher.sent[1]!.headers["content-type"]).toBe("application/json");
  });

  it("initialState on a pre-3.7 worker is refused as unsupported before anything is sent", async () => {
    const { client, dispatcher } = mswClient([
      http.get(`${KC}/`, () => HttpResponse.json({ ...SERVER_INFO, version: "3.6.2" })),
      http.post(`${KC}/connectors`, () => HttpResponse.json(connectorInfo(), { status: 201 })),
    ]);
    const error = await failure(client.createConnector(CONNECTOR, CONFIG, { initialState: "STOPPED" }));
    expect(error).toMatchObject({ kind: "unsupported", since: "3.7", endpoint: KC, attempts: 1 });
    expect(error.message).toBe(
      "initial_state in POST /connectors needs Kafka Connect 3.7 or later; this worker runs 3.6.2",
    );
    expect(dispatcher.sent.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /"]);
    // Without initialState the same worker is asked directly.
    await client.createConnector(CONNECTOR, CONFIG);
    expect(dispatcher.sent.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /", "POST /connectors"]);
  });

  it("an unreadable version does not block; the pre-3.7 worker's own 500 is then reported as unsupported", async () => {
    const unrecognized =
      'Unrecognized field "initial_state" (class org.apache.kafka.connect.runtime.rest.entities.' +
      'CreateConnectorRequest), not marked as ignorable (2 known properties: "name", "config"])';
    const { client, dispatcher } = mswClient([
      http.get(`${KC}/`, () => HttpResponse.json({ ...SERVER_INFO, version: "vendor-build" })),
      http.post(`${KC}/connectors`, () => err(500, unrecognized)),
    ]);
    const error = await failure(client.createConnector(CONNECTOR, CONFIG, { initialState: "PAUSED" }));
    expect(error).toMatchObject({ kind: "unsupported", since: "3.7", status: 500, message: unrecognized });
    expect(dispatcher.sent.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /", "POST /connectors"]);
  });

  it("the version is read per endpoint: a failover to another worker checks that one", async () => {
    const { client, dispatcher } = mswClient(
      [
        http.get(`${KC}/`, () => HttpResponse.error()),
        http.get(`${KC2}/`, () => HttpResponse.json({ ...SERVER_INFO, version: "3.1.0" })),
        http.get(`${KC2}/connector-plugins`, () => HttpResponse.json([])),
      ],
      { endpoints: [KC, KC2] },
    );
    const error = await failure(client.plugins({ connectorsOnly: false }));
    expect(error).toMatchObject({ kind: "unsupported", since: "3.2", endpoint: KC2, attempts: 2 });
    expect(dispatcher.sent.map((r) => `${r.origin}${r.path}`)).toEqual([`${KC}/`, `${KC2}/`]);
    // connectorsOnly=true is what every version does: no version check.
    expect(await client.plugins({ connectorsOnly: true })).toEqual([]);
    expect(dispatcher.sent.at(-1)!.path).toBe("/connector-plugins?connectorsOnly=true");
  });

  it("GET connector, config, tasks, status, task status", async () => {
    const tasks = [{ id: { connector: CONNECTOR, task: 0 }, config: { "task.class": "X" } }];
    const { client, dispatcher } = mswClient([
      http.get(C, () => HttpResponse.json(connectorInfo())),
      http.get(`${C}/config`, () => HttpResponse.json({ ...CONFIG, password: PROVIDER_REF })),
      http.get(`${C}/tasks`, () => HttpResponse.json(tasks)),
      http.get(`${C}/status`, () => HttpResponse.json(connectorStatus())),
      http.get(`${C}/tasks/1/status`, () => HttpResponse.json(connectorStatus().tasks[1])),
    ]);
    expect(await client.getConnector(CONNECTOR)).toEqual(connectorInfo());
    expect(await client.getConfig(CONNECTOR)).toEqual({ ...CONFIG, password: PROVIDER_REF });
    expect(await client.tasks(CONNECTOR)).toEqual(tasks);
    expect(await client.status(CONNECTOR)).toEqual(connectorStatus());
    expect(await client.taskStatus(CONNECTOR, 1)).toEqual(connectorStatus().tasks[1]);
    expect(dispatcher.sent.every((r) => r.method === "GET")).toBe(true);
  });

  it("PUT config tells created (201) from updated (200)", async () => {
    let exists = false;
    const { client } = mswClient([
      http.put(`${C}/config`, () => {
        const status = exists ? 200 : 201;
        exists = true;
        return HttpResponse.json(connectorInfo(), { status });
      }),
    ]);
    expect(await client.putConfig(CONNECTOR, CONFIG)).toEqual({ created: true, info: connectorInfo() });
    expect(await client.putConfig(CONNECTOR, CONFIG)).toEqual({ created: false, info: connectorInfo() });
  });

  it("PATCH config sends null to remove a key; a pre-3.8 worker (405) is unsupported", async () => {
    const { client, dispatcher } = mswClient([
      http.patch(`${C}/config`, () => HttpResponse.json(connectorInfo())),
    ]);
    await client.patchConfig(CONNECTOR, { file: null, "tasks.max": "2" });
    expect(dispatcher.sent[0]).toMatchObject({ method: "PATCH", body: '{"file":null,"tasks.max":"2"}' });

    dispatcher.use(http.patch(`${C}/config`, () => err(405, "HTTP 405 Method Not Allowed")));
    const error = await failure(client.patchConfig(CONNECTOR, { file: null }));
    expect(error).toMatchObject({ kind: "unsupported", since: "3.8", status: 405 });
    expect(error.detail).toContain("PATCH /connectors/{c}/config needs Kafka Connect 3.8 or later");
  });

  it("restart: 204 without flags; 202 + status with flags; 204 with flags = not honoured (pre-3.0)", async () => {
    const { client, dispatcher } = mswClient([
      http.post(`${C}/restart`, ({ request }) =>
        new URL(request.url).search === ""
          ? empty(204)
          : HttpResponse.json(restartingStatus(), { status: 202 }),
      ),
    ]);
    expect(await client.restartConnector(CONNECTOR)).toEqual({ honoured: true });
    expect(await client.restartConnector(CONNECTOR, { includeTasks: true, onlyFailed: true })).toEqual({
      honoured: true,
      status: restartingStatus(),
    });
    expect(await client.restartConnector(CONNECTOR, { onlyFailed: true })).toMatchObject({ honoured: true });
    expect(dispatcher.sent.map((r) => r.path)).toEqual([
      `/connectors/${CONNECTOR}/restart`,
      `/connectors/${CONNECTOR}/restart?includeTasks=true&onlyFailed=true`,
      `/connectors/${CONNECTOR}/restart?onlyFailed=true`,
    ]);

    dispatcher.use(http.post(`${C}/restart`, () => empty(204)));
    expect(await client.restartConnector(CONNECTOR, { includeTasks: true })).toEqual({ honoured: false });
  });

  it("restart with flags on a missing status is not-found/connector-status-not-found", async () => {
    const { client } = mswClient([
      http.post(`${C}/restart`, () => err(404, NOT_FOUND.connectorStatusNotFound)),
    ]);
    const error = await failure(client.restartConnector(CONNECTOR, { includeTasks: true }));
    expect(error).toMatchObject({
      kind: "not-found",
      variant: "connector-status-not-found",
      connector: CONNECTOR,
    });
  });

  it("task restart, pause, resume, stop, delete use the right method and accept their statuses", async () => {
    const { client, dispatcher } = mswClient([
      http.post(`${C}/tasks/3/restart`, () => empty(204)),
      http.put(`${C}/pause`, () => empty(202)),
      http.put(`${C}/resume`, () => empty(202)),
      http.put(`${C}/stop`, () => empty(204)),
      http.delete(C, () => empty(204)),
    ]);
    await client.restartTask(CONNECTOR, 3);
    await client.pause(CONNECTOR);
    await client.resume(CONNECTOR);
    await client.stop(CONNECTOR);
    await client.deleteConnector(CONNECTOR);
    expect(dispatcher.sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /connectors/${CONNECTOR}/tasks/3/restart`,
      `PUT /connectors/${CONNECTOR}/pause`,
      `PUT /connectors/${CONNECTOR}/resume`,
      `PUT /connectors/${CONNECTOR}/stop`,
      `DELETE /connectors/${CONNECTOR}`,
    ]);
  });

  it("stop on a pre-3.5 worker is unsupported; on a missing connector it is not-found", async () => {
    const { client, dispatcher } = mswClient([http.put(`${C}/stop`, () => err(404, NOT_FOUND.route))]);
    expect(await failure(client.stop(CONNECTOR))).toMatchObject({ kind: "unsupported", since: "3.5" });
    dispatcher.use(http.put(`${C}/stop`, () => err(404, NOT_FOUND.connectorNotFound)));
    expect(await failure(client.stop(CONNECTOR))).toMatchObject({
      kind: "not-found",
      variant: "connector-not-found",
    });
  });

  it("offsets: get, alter (PATCH body), reset (DELETE); modifying needs STOPPED", async () => {
    const message = { message: "The offsets for this connector have been altered successfully" };
    const { client, dispatcher } = mswClient([
      http.get(`${C}/offsets`, () => HttpResponse.json(SINK_OFFSETS)),
      http.patch(`${C}/offsets`, () => HttpResponse.json(message)),
      http.delete(`${C}/offsets`, () => HttpResponse.json(message)),
    ]);
    expect(await client.getOffsets(CONNECTOR)).toEqual(SINK_OFFSETS);
    expect(await client.alterOffsets(CONNECTOR, SINK_OFFSETS)).toEqual(message);
    expect(await client.resetOffsets(CONNECTOR)).toEqual(message);
    expect(JSON.parse(dispatcher.sent[1]!.body!)).toEqual(SINK_OFFSETS);
    expect(dispatcher.sent.map((r) => r.method)).toEqual(["GET", "PATCH", "DELETE"]);

    dispatcher.use(http.delete(`${C}/offsets`, () => err(400, NOT_STOPPED)));
    expect(await failure(client.resetOffsets(CONNECTOR))).toMatchObject({
      kind: "bad-request",
      variant: "connector-not-stopped",
      message: NOT_STOPPED,
    });
    dispatcher.use(http.patch(`${C}/offsets`, () => err(405, "HTTP 405 Method Not Allowed")));
    expect(await failure(client.alterOffsets(CONNECTOR, SINK_OFFSETS))).toMatchObject({
      kind: "unsupported",
      since: "3.6",
    });
  });

  it("topics: the list for the name; an unknown connector is [] (200); reset 403 is forbidden", async () => {
    const { client, dispatcher } = mswClient([
      http.get(`${KC}/connectors/:name/topics`, ({ params }) =>
        HttpResponse.json({
          [String(params["name"])]: { topics: params["name"] === CONNECTOR ? ["orders"] : [] },
        }),
      ),
      http.put(`${C}/topics/reset`, () => err(403, TOPIC_RESET_DISABLED)),
    ]);
    expect(await client.topics(CONNECTOR)).toEqual(["orders"]);
    expect(await client.topics("nope")).toEqual([]);
    expect(await failure(client.resetTopics(CONNECTOR))).toMatchObject({
      kind: "forbidden",
      status: 403,
      message: TOPIC_RESET_DISABLED,
    });
    dispatcher.use(http.put(`${C}/topics/reset`, () => empty(202)));
    await client.resetTopics(CONNECTOR);
  });

  it("plugins: connectorsOnly goes in the query; plugin config by alias", async () => {
    const plugins = [
      { class: "org.apache.kafka.connect.file.FileStreamSinkConnector", type: "sink", version: "3.9.0" },
      { class: "org.apache.kafka.connect.transforms.Cast$Key", type: "transformation" },
    ];
    const { client, dispatcher } = mswClient([
      http.get(`${KC}/`, () => HttpResponse.json(SERVER_INFO)),
      http.get(`${KC}/connector-plugins`, () => HttpResponse.json(plugins)),
      http.get(`${KC}/connector-plugins/FileStreamSink/config`, () =>
        HttpResponse.json([configKeyInfo("file")]),
      ),
    ]);
    expect(await client.plugins({ connectorsOnly: false })).toEqual(plugins);
    expect(await client.plugins()).toEqual(plugins);
    expect(await client.pluginConfig("FileStreamSink")).toEqual([configKeyInfo("file")]);
    expect(dispatcher.sent.map((r) => r.path)).toEqual([
      "/",
      "/connector-plugins?connectorsOnly=false",
      "/connector-plugins",
      "/connector-plugins/FileStreamSink/config",
    ]);
    dispatcher.use(http.get(`${KC}/connector-plugins/:p/config`, () => err(404, NOT_FOUND.route)));
    expect(await failure(client.pluginConfig("FileStreamSink"))).toMatchObject({
      kind: "unsupported",
      since: "3.2",
    });
  });

  it("validate answers 200 even when invalid: errorCount and per-key errors; throwIfInvalid", async () => {
    const { client, dispatcher } = mswClient([
      http.put(`${KC}/connector-plugins/:p/config/validate`, () => HttpResponse.json(CONFIG_INFOS_INVALID)),
    ]);
    const result = await client.validateConfig("FileStreamSink", CONFIG);
    expect(result).toEqual({
      valid: false,
      errorCount: 2,
      errors: [
        { key: "file", message: INVALID_CONFIG_ERRORS[0] },
        { key: "tasks.max", message: INVALID_CONFIG_ERRORS[1] },
      ],
      infos: CONFIG_INFOS_INVALID,
    });
    expect(dispatcher.sent[0]).toMatchObject({
      method: "PUT",
      path: "/connector-plugins/FileStreamSink/config/validate",
    });
    const error = await failure(client.validateConfig("FileStreamSink", CONFIG, { throwIfInvalid: true }));
    expect(error).toMatchObject({ kind: "invalid-config", status: 200, configErrors: result.errors });
    expect(error.message.split("\n")).toHaveLength(3);
  });

  it("validate: class mismatch 400 is bad-request; unknown class 500 is server-error once every endpoint said it", async () => {
    const mismatch = "Included connector type FileStreamSource does not match request type FileStreamSink";
    const { client, dispatcher } = mswClient(
      [http.put(`${KC}/connector-plugins/:p/config/validate`, () => err(400, mismatch))],
      { endpoints: [KC, KC2] },
    );
    expect(await failure(client.validateConfig("FileStreamSink", CONFIG))).toMatchObject({
      kind: "bad-request",
      message: mismatch,
    });
    const before = dispatcher.sent.length;
    dispatcher.use(
      http.put(`${KC}/connector-plugins/:p/config/validate`, () => err(500, UNKNOWN_CLASS)),
      http.put(`${KC2}/connector-plugins/:p/config/validate`, () => err(500, UNKNOWN_CLASS)),
    );
    const error = await failure(client.validateConfig("Nope", CONFIG));
    // Asked once on each endpoint (a 5xx may be one worker's trouble), then reported verbatim: not retried.
    expect(error).toMatchObject({
      kind: "server-error",
      status: 500,
      message: UNKNOWN_CLASS,
      attempts: 2,
      tried: [KC, KC2],
    });
    expect(dispatcher.sent.slice(before).map((r) => r.origin)).toEqual([KC, KC2]);
  });

  it("loggers: list, get, set per worker (200 + affected) and per cluster (204)", async () => {
    const levels = {
      root: { level: "INFO", last_modified: null },
      "org.apache.kafka": { level: "DEBUG", last_modified: 1 },
    };
    const { client, dispatcher } = mswClient([
      http.get(`${KC}/admin/loggers`, () => HttpResponse.json(levels)),
      http.get(`${KC}/admin/loggers/:l`, () => HttpResponse.json({ level: "DEBUG", last_modified: 1 })),
      http.put(`${KC}/admin/loggers/:l`, ({ request }) =>
        new URL(request.url).searchParams.get("scope") === "cluster"
          ? empty(204)
          : HttpResponse.json(["org.apache.kafka", "org.apache.kafka.connect"]),
      ),
    ]);
    expect(await client.listLoggers()).toEqual(levels);
    expect(await client.getLogger("org.apache.kafka")).toEqual({ level: "DEBUG", last_modified: 1 });
    expect(await client.setLogger("org.apache.kafka", "DEBUG")).toEqual({
      honoured: true,
      affected: ["org.apache.kafka", "org.apache.kafka.connect"],
    });
    expect(await client.setLogger("org.apache.kafka", "DEBUG", { scope: "cluster" })).toEqual({
      honoured: true,
    });
    expect(dispatcher.sent.slice(2).map((r) => [r.path, r.body])).toEqual([
      ["/admin/loggers/org.apache.kafka", '{"level":"DEBUG"}'],
      ["/admin/loggers/org.apache.kafka?scope=cluster", '{"level":"DEBUG"}'],
    ]);
  });

  it("loggers: a pre-3.7 worker ignores scope=cluster (200) → not honoured; level and logger errors", async () => {
    const { client, dispatcher } = mswClient([
      http.put(`${KC}/admin/loggers/:l`, () => HttpResponse.json(["root"])),
    ]);
    expect(await client.setLogger("root", "WARN", { scope: "cluster" })).toEqual({
      honoured: false,
      affected: ["root"],
    });
    dispatcher.use(
      http.put(`${KC}/admin/loggers/:l`, () => err(404, NOT_FOUND.invalidLevel)),
      http.get(`${KC}/admin/loggers/:l`, () => err(404, NOT_FOUND.logger)),
    );
    expect(await failure(client.setLogger("root", "LOUD"))).toMatchObject({
      kind: "bad-request",
      variant: "invalid-log-level",
      status: 404,
    });
    expect(await failure(client.getLogger("org.apache.kafka.connect.nope"))).toMatchObject({
      kind: "not-found",
      variant: "logger-not-found",
    });
  });

  it("health: 200, 503 starting and 500 unhealthy are reports; a pre-3.9 worker is unsupported", async () => {
    const bodies = {
      200: { status: "healthy", message: "Worker has completed startup and is ready to handle requests." },
      503: { status: "starting", message: "Worker is still starting up." },
      500: {
        status: "unhealthy",
        message: "Worker was unable to handle this request and may be unable to handle other requests.",
      },
    };
    let status: 200 | 503 | 500 = 200;
    const { client, dispatcher } = mswClient([
      http.get(`${KC}/health`, () => HttpResponse.json(bodies[status], { status })),
    ]);
    for (const s of [200, 503, 500] as const) {
      status = s;
      expect(await client.health()).toEqual({ ...bodies[s], httpStatus: s, endpoint: KC });
    }
    dispatcher.use(http.get(`${KC}/health`, () => err(404, NOT_FOUND.route)));
    expect(await failure(client.health())).toMatchObject({ kind: "unsupported", since: "3.9" });
    dispatcher.use(http.get(`${KC}/health`, () => new HttpResponse("<html>busy</html>", { status: 503 })));
    expect(await failure(client.health())).toMatchObject({ kind: "unavailable", status: 503 });
  });
});

describe("names in paths", () => {
  const names = [
    ["space", "my connector", "my%20connector"],
    ["slash", "team/orders", "team%2Forders"],
    ["unicode", "données-☃", "donn%C3%A9es-%E2%98%83"],
    ["reserved", "a?b#c%d&e=f+g", "a%3Fb%23c%25d%26e%3Df%2Bg"],
  ] as const;

  it.each(names)("%s: every segment is URL-encoded (%s)", async (_what, name, encoded) => {
    const { client, dispatcher } = mswClient([
      http.all(`${KC}/*`, ({ request }) => {
        const path = new URL(request.url).pathname;
        if (path.endsWith("/status")) return HttpResponse.json(connectorStatus(name));
        if (path.endsWith("/topics")) return HttpResponse.json({ [name]: { topics: [] } });
        return empty(204);
      }),
    ]);
    await client.status(name);
    await client.restartTask(name, 0);
    await client.deleteConnector(name);
    await client.topics(name);
    expect(dispatcher.sent.map((r) => r.path)).toEqual([
      `/connectors/${encoded}/status`,
      `/connectors/${encoded}/tasks/0/restart`,
      `/connectors/${encoded}`,
      `/connectors/${encoded}/topics`,
    ]);
  });

  it("msw sees the original name as the path parameter", async () => {
    const seen: string[] = [];
    const { client } = mswClient([
      http.get(`${KC}/connectors/:name/status`, ({ params }) => {
        seen.push(String(params["name"]));
        return HttpResponse.json(connectorStatus());
      }),
    ]);
    for (const [, name] of names) await client.status(name);
    expect(seen).toEqual(names.map(([, name]) => name));
  });

  it("the internal forward parameter is never sent, by any method", async () => {
    const { client, dispatcher } = mswClient([
      http.all(`${KC}/*`, ({ request }) => {
        const path = new URL(request.url).pathname;
        if (request.method === "POST" && path === "/connectors")
          return HttpResponse.json(connectorInfo(), { status: 201 });
        if (request.method === "PUT" && path.endsWith("/config")) return HttpResponse.json(connectorInfo());
        if (request.method === "PATCH" && path.endsWith("/config")) return HttpResponse.json(connectorInfo());
        return empty(204);
      }),
    ]);
    await client.createConnector(CONNECTOR, CONFIG);
    await client.putConfig(CONNECTOR, CONFIG);
    await client.patchConfig(CONNECTOR, { file: null });
    await client.restartConnector(CONNECTOR);
    await client.restartTask(CONNECTOR, 0);
    await client.pause(CONNECTOR);
    await client.resume(CONNECTOR);
    await client.stop(CONNECTOR);
    await client.resetTopics(CONNECTOR);
    await client.deleteConnector(CONNECTOR);
    expect(dispatcher.sent).toHaveLength(10);
    for (const request of dispatcher.sent) expect(request.path).not.toMatch(/forward/i);
  });
});

describe("error model through the client", () => {
  const cases = [
    [404, NOT_FOUND.noConnectorStatus, "not-found", "no-connector-status"],
    [404, NOT_FOUND.unknownConnector, "not-found", "unknown-connector"],
    [404, NOT_FOUND.unknownConnectorColon, "not-found", "unknown-connector"],
    [404, NOT_FOUND.connectorNotFound, "not-found", "connector-not-found"],
    [404, NOT_FOUND.route, "not-found", "route"],
    [400, INVALID_CONFIG, "invalid-config", undefined],
    [409, ALREADY_EXISTS, "already-exists", undefined],
    [500, REQUEST_TIMED_OUT, "timeout", undefined],
    [500, UNKNOWN_CLASS, "server-error", undefined],
  ] as const;

  it.each(cases)("%i %s → %s", async (status, message, kind, variant) => {
    const { client } = mswClient([http.get(`${C}/status`, () => err(status, message))]);
    const error = await failure(client.status(CONNECTOR));
    expect(error).toMatchObject({
      kind,
      status,
      errorCode: status,
      message,
      endpoint: KC,
      method: "GET",
      path: `/connectors/${CONNECTOR}/status`,
      attempts: 1,
    });
    expect(error.variant).toBe(variant);
  });

  it("the plain-text 401 is unauthorized with its text verbatim", async () => {
    const { client } = mswClient([
      http.get(`${KC}/connectors`, () => HttpResponse.text(UNAUTHORIZED_TEXT, { status: 401 })),
    ]);
    const error = await failure(client.listConnectors());
    expect(error).toMatchObject({
      kind: "unauthorized",
      status: 401,
      message: UNAUTHORIZED_TEXT,
      attempts: 1,
    });
    expect(error.errorCode).toBeUndefined();
  });

  it("200 with a body that is not JSON, of the wrong shape, or empty is malformed-response", async () => {
    const { client, dispatcher } = mswClient([http.get(`${C}/status`, () => HttpResponse.text("{not json"))]);
    const notJson = await failure(client.status(CONNECTOR));
    expect(notJson).toMatchObject({ kind: "malformed-response", status: 200, endpoint: KC, attempts: 1 });
    expect(notJson.message).toBe("HTTP 200 with a body that is not JSON");

    dispatcher.use(
      http.get(`${C}/status`, () => HttpResponse.json({ name: CONNECTOR, connector: { state: 7 } })),
    );
    const shape = await failure(client.status(CONNECTOR));
    expect(shape.kind).toBe("malformed-response");
    expect(shape.message).toMatch(/^HTTP 200 with an unexpected body \(.*connector\.state/);

    dispatcher.use(http.get(`${C}/status`, () => new HttpResponse(null, { status: 200 })));
    expect(await failure(client.status(CONNECTOR))).toMatchObject({
      kind: "malformed-response",
      message: "HTTP 200 with an empty body, JSON expected",
    });
  });

  it("a malformed config body never repeats the values (they may be secrets)", async () => {
    const { client } = mswClient([
      http.get(`${C}/config`, () =>
        HttpResponse.json({ "connection.password": "p4ss-w0rd", "tasks.max": 1 }),
      ),
    ]);
    const error = await failure(client.getConfig(CONNECTOR));
    expect(error.kind).toBe("malformed-response");
    expect(error.message).toContain("tasks.max");
    expect(`${error.message}${error.detail ?? ""}`).not.toContain("p4ss-w0rd");
  });

  it("an HTML 502 from a proxy is unavailable and fails over to the next endpoint", async () => {
    const page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    const { client, dispatcher, logs } = mswClient(
      [
        http.get(
          `${KC}/connectors`,
          () => new HttpResponse(page, { status: 502, headers: { "content-type": "text/html" } }),
        ),
        http.get(`${KC2}/connectors`, () => HttpResponse.json([CONNECTOR])),
      ],
      { endpoints: [KC, KC2] },
    );
    expect(await client.listConnectors()).toEqual([CONNECTOR]);
    expect(dispatcher.sent.map((r) => r.origin)).toEqual([KC, KC2]);
    expect(client.preferredEndpoint).toBe(KC2);
    expect(
      logs.some(
        (l) => l.level === "warn" && l.endpoint === KC && l.message.includes("trying the next endpoint"),
      ),
    ).toBe(true);

    const single = mswClient([http.get(`${KC}/connectors`, () => new HttpResponse(page, { status: 502 }))]);
    expect(await failure(single.client.listConnectors())).toMatchObject({
      kind: "unavailable",
      status: 502,
      message: page,
    });
  });

  it("a POST is not failed over on a 502 (the proxy may have passed it on)", async () => {
    const { client, dispatcher } = mswClient(
      [http.post(`${KC}/connectors`, () => new HttpResponse("bad gateway", { status: 502 }))],
      { endpoints: [KC, KC2] },
    );
    expect(await failure(client.createConnector(CONNECTOR, CONFIG))).toMatchObject({
      kind: "unavailable",
      attempts: 1,
    });
    expect(dispatcher.sent.map((r) => r.origin)).toEqual([KC]);
  });

  it("a connection reset is unavailable; every endpoint failing lists them all", async () => {
    const { client } = mswClient(
      [http.get(`${KC}/`, () => HttpResponse.error()), http.get(`${KC2}/`, () => HttpResponse.error())],
      {
        endpoints: [KC, KC2],
      },
    );
    const error = await failure(client.serverInfo());
    expect(error).toMatchObject({ kind: "unavailable", attempts: 2, tried: [KC, KC2], endpoint: KC2 });
    expect(error.message).toBe(
      `no Kafka Connect endpoint answered (${KC}: socket hang up; ${KC2}: socket hang up)`,
    );
  });
});

describe("failover on 5xx and concurrent calls", () => {
  const KC3 = "http://kc-2.test:8083";
  const FORWARD_FAILED =
    "IO Error trying to forward REST request: java.net.ConnectException: Connection refused";

  it("a worker's own JSON 500 is failed over for a GET, not for a POST", async () => {
    for (const message of [REQUEST_TIMED_OUT, FORWARD_FAILED, "Unexpected exception"]) {
      const { client, dispatcher } = mswClient(
        [
          http.get(`${KC}/connectors`, () => err(500, message)),
          http.get(`${KC2}/connectors`, () => HttpResponse.json([CONNECTOR])),
          http.post(`${KC}/connectors`, () => err(500, message)),
        ],
        { endpoints: [KC, KC2] },
      );
      expect(await client.listConnectors()).toEqual([CONNECTOR]);
      expect(dispatcher.sent.map((r) => r.origin)).toEqual([KC, KC2]);
      expect(client.preferredEndpoint).toBe(KC2);
      // A fresh client starts at KC again: a POST stays there, whatever the 500 says.
      const post = mswClient([http.post(`${KC}/connectors`, () => err(500, message))], {
        endpoints: [KC, KC2],
      });
      expect(await failure(post.client.createConnector(CONNECTOR, CONFIG))).toMatchObject({
        status: 500,
        message,
        attempts: 1,
      });
      expect(post.dispatcher.sent.map((r) => r.origin)).toEqual([KC]);
    }
  });

  it("the forward IO error is transient: every method but POST is retried with backoff until it clears", async () => {
    let calls = 0;
    const { client, dispatcher, sleeps } = mswClient(
      [
        http.put(`${C}/config`, () =>
          ++calls <= 4 ? err(500, FORWARD_FAILED) : HttpResponse.json(connectorInfo()),
        ),
        http.put(`${KC2}/connectors/${CONNECTOR}/config`, () =>
          ++calls <= 4 ? err(500, FORWARD_FAILED) : HttpResponse.json(connectorInfo()),
        ),
      ],
      { endpoints: [KC, KC2] },
    );
    expect(await client.putConfig(CONNECTOR, CONFIG)).toEqual({ created: false, info: connectorInfo() });
    // Both workers failed to reach the leader twice: two rounds of two, then the fifth attempt succeeded.
    expect(dispatcher.sent.map((r) => r.origin)).toEqual([KC, KC2, KC, KC2, KC]);
    expect(sleeps).toEqual([200, 400]);

    const gone = mswClient([http.put(`${C}/config`, () => err(500, FORWARD_FAILED))], {
      retry: { attempts: 3 },
    });
    expect(await failure(gone.client.putConfig(CONNECTOR, CONFIG))).toMatchObject({
      kind: "unavailable",
      variant: "forward-failed",
      message: FORWARD_FAILED,
      attempts: 3,
      deadlineReached: false,
    });
    const post = mswClient([http.post(`${KC}/connectors`, () => err(500, FORWARD_FAILED))]);
    expect(await failure(post.client.createConnector(CONNECTOR, CONFIG))).toMatchObject({
      kind: "unavailable",
      variant: "forward-failed",
      attempts: 1,
    });
    expect(post.sleeps).toEqual([]);
  });

  it("a concurrent call moving the preferred endpoint does not make a round skip one", async () => {
    // KC resets, KC2 is slow (held by the test), KC3 answers.
    const held: ((response: Response) => void)[] = [];
    const { client, dispatcher } = mswClient(
      [
        http.get(`${KC}/`, () => HttpResponse.error()),
        http.get(`${KC2}/`, () =>
          held.length < 2
            ? new Promise<Response>((resolve) => held.push(resolve))
            : new HttpResponse("busy", { status: 502 }),
        ),
        http.get(`${KC3}/`, () => HttpResponse.json(SERVER_INFO)),
      ],
      { endpoints: [KC, KC2, KC3] },
    );
    const first = client.serverInfo();
    await vi.waitFor(() => expect(held).toHaveLength(1));
    const second = client.serverInfo();
    await vi.waitFor(() => expect(held).toHaveLength(2));
    // The first call moves on to KC3, which answers: the preferred endpoint is now KC3.
    held[0]!(new HttpResponse("busy", { status: 502 }));
    expect(await first).toEqual(SERVER_INFO);
    expect(client.preferredEndpoint).toBe(KC3);
    // The second call's round started at KC: after KC2 it must still go on to KC3, not back to KC2.
    held[1]!(new HttpResponse("busy", { status: 502 }));
    expect(await second).toEqual(SERVER_INFO);
    expect(dispatcher.sent.map((r) => r.origin)).toEqual([KC, KC2, KC, KC2, KC3, KC3]);
  });
});

describe("the retry deadline bounds the call", () => {
  it("after a 409 backoff, the next attempt's timeout is capped by the time left", async () => {
    let calls = 0;
    const { client, dispatcher, sleeps } = mswClient(
      [
        // The first answer is a rebalance 409; every later request hangs until the client gives up on it.
        http.get(`${KC}/connectors`, () =>
          ++calls === 1 ? err(409, REBALANCING[2]) : new Promise<Response>(() => {}),
        ),
      ],
      { timeoutMs: 2_000, retry: { deadlineMs: 250, baseDelayMs: 200 } },
    );
    const error = await failure(client.listConnectors());
    // On the fake clock 200 ms went to the backoff: 50 ms were left for the second attempt, not 2 000.
    expect(sleeps).toEqual([200]);
    expect(error).toMatchObject({
      kind: "timeout",
      message: "no answer within 50 ms",
      attempts: 2,
      deadlineReached: true,
    });
    expect(error.detail).toBe(
      "gave up after 2 attempt(s): the retry deadline of 250 ms was reached during the last attempt",
    );
    expect(dispatcher.sent).toHaveLength(2);
  });

  it("once the deadline has passed, a retrying call does not fail over to another endpoint", async () => {
    let calls = 0;
    const setup = mswClient(
      [
        http.get(`${KC}/connectors`, () => {
          if (++calls === 1) return err(409, REBALANCING[0]);
          setup.clock.now += 100; // the reset takes the call past its deadline
          return HttpResponse.error();
        }),
        http.get(`${KC2}/connectors`, () => HttpResponse.json([CONNECTOR])),
      ],
      { endpoints: [KC, KC2], retry: { deadlineMs: 250, baseDelayMs: 200 } },
    );
    const error = await failure(setup.client.listConnectors());
    expect(setup.dispatcher.sent.map((r) => r.origin)).toEqual([KC, KC]);
    expect(error).toMatchObject({ kind: "unavailable", endpoint: KC, attempts: 2, deadlineReached: true });
    expect(error.detail).toBe(
      "gave up after 2 attempt(s): the retry deadline of 250 ms was reached before another endpoint could be tried",
    );
  });

  it("the first round is not bounded by the deadline: it has the whole attempt timeout", async () => {
    const setup = mswClient(
      [
        http.get(`${KC}/connectors`, () => {
          setup.clock.now += 500; // slower than the whole retry deadline, still answered
          return HttpResponse.json([CONNECTOR]);
        }),
      ],
      { retry: { deadlineMs: 100 } },
    );
    expect(await setup.client.listConnectors()).toEqual([CONNECTOR]);
  });
});

describe("409 rebalancing: backoff 200 ms × 2^n", () => {
  it.each(REBALANCING)("retries %s with exact sleeps until the attempt limit", async (message) => {
    const { client, dispatcher, sleeps } = mswClient([http.get(`${C}/status`, () => err(409, message))]);
    const error = await failure(client.status(CONNECTOR));
    expect(sleeps).toEqual([200, 400, 800, 1600, 3200]);
    expect(dispatcher.sent).toHaveLength(6);
    expect(error).toMatchObject({
      kind: "rebalancing",
      status: 409,
      message,
      attempts: 6,
      deadlineReached: false,
    });
    expect(error.detail).toBe("gave up after 6 attempt(s): the retry limit of 6 was reached");
  });

  it("succeeds when the rebalance ends; POSTs are retried too (the 409 means nothing was done)", async () => {
    let calls = 0;
    const { client, sleeps } = mswClient([
      http.post(`${KC}/connectors`, () =>
        ++calls < 3 ? err(409, REBALANCING[0]) : HttpResponse.json(connectorInfo(), { status: 201 }),
      ),
    ]);
    expect(await client.createConnector(CONNECTOR, CONFIG)).toEqual(connectorInfo());
    expect(sleeps).toEqual([200, 400]);
  });

  it("already-exists is a 409 that is never retried", async () => {
    const { client, sleeps } = mswClient([http.post(`${KC}/connectors`, () => err(409, ALREADY_EXISTS))]);
    expect(await failure(client.createConnector(CONNECTOR, CONFIG))).toMatchObject({
      kind: "already-exists",
      attempts: 1,
      connector: CONNECTOR,
    });
    expect(sleeps).toEqual([]);
  });

  it("honours custom attempts and base delay", async () => {
    const { client, sleeps } = mswClient([http.get(`${C}/status`, () => err(409, REBALANCING[2]))], {
      retry: { attempts: 3, baseDelayMs: 50 },
    });
    expect(await failure(client.status(CONNECTOR))).toMatchObject({ attempts: 3 });
    expect(sleeps).toEqual([50, 100]);
  });

  it("stops before a sleep that would cross the deadline (injected clock) and says so", async () => {
    const { client, sleeps, clock } = mswClient([http.get(`${C}/status`, () => err(409, REBALANCING[1]))], {
      retry: { deadlineMs: 1000 },
    });
    const start = clock.now;
    const error = await failure(client.status(CONNECTOR));
    expect(sleeps).toEqual([200, 400]);
    expect(clock.now - start).toBe(600);
    expect(error).toMatchObject({
      kind: "rebalancing",
      attempts: 3,
      deadlineReached: true,
      message: REBALANCING[1],
    });
    expect(error.detail).toBe(
      "gave up after 3 attempt(s): the retry deadline of 1000 ms was reached (600 ms elapsed, next wait 800 ms)",
    );
  });

  it("time spent answering counts toward the deadline", async () => {
    const setup = mswClient(
      [
        http.get(`${C}/status`, () => {
          setup.clock.now += 300;
          return err(409, REBALANCING[0]);
        }),
      ],
      { retry: { deadlineMs: 1000 } },
    );
    const error = await failure(setup.client.status(CONNECTOR));
    // 300 answer + 200 sleep + 300 answer = 800; the next 400 ms sleep would end at 1200.
    expect(setup.sleeps).toEqual([200]);
    expect(error).toMatchObject({ attempts: 2, deadlineReached: true });
  });

  it("an abort during a backoff sleep ends the call at once, with no further attempt", async () => {
    const controller = new AbortController();
    const reason = new Error("operator cancelled");
    const { client, dispatcher } = mswClient([http.get(`${C}/status`, () => err(409, REBALANCING[0]))], {
      sleep: () => {
        controller.abort(reason);
        return new Promise<void>(() => {});
      },
    });
    const error = await failure(client.status(CONNECTOR, { signal: controller.signal }));
    expect(error).toMatchObject({ kind: "aborted", attempts: 1, endpoint: KC });
    expect(error.cause).toBe(reason);
    expect(dispatcher.sent).toHaveLength(1);
  });

  it("the default sleep is cut short by an abort too", async () => {
    const controller = new AbortController();
    // A 10-minute backoff with the real sleep: only the abort can end this call within the test timeout.
    const { client } = mswClient(
      [
        http.get(`${C}/status`, () => {
          setTimeout(() => controller.abort(), 10);
          return err(409, REBALANCING[0]);
        }),
      ],
      { sleep: undefined, retry: { baseDelayMs: 600_000, deadlineMs: 6_000_000 } },
    );
    const error = await failure(client.status(CONNECTOR, { signal: controller.signal }));
    expect(error).toMatchObject({ kind: "aborted", attempts: 1 });
  });

  it("an already aborted signal (per call or client-wide) sends nothing", async () => {
    const controller = new AbortController();
    controller.abort();
    const perCall = mswClient([http.get(`${KC}/`, () => HttpResponse.json(SERVER_INFO))]);
    expect(await failure(perCall.client.serverInfo({ signal: controller.signal }))).toMatchObject({
      kind: "aborted",
      attempts: 0,
    });
    const clientWide = mswClient([http.get(`${KC}/`, () => HttpResponse.json(SERVER_INFO))], {
      signal: controller.signal,
    });
    expect(await failure(clientWide.client.serverInfo())).toMatchObject({ kind: "aborted" });
    expect([...perCall.dispatcher.sent, ...clientWide.dispatcher.sent]).toEqual([]);
  });
});

describe("logging", () => {
  it("one debug line per attempt with method, path, status, duration and endpoint; never headers", async () => {
    const password = "Pa55-w0rd-never-logged";
    let calls = 0;
    const { client, logs } = mswClient(
      [
        http.get(`${C}/status`, () =>
          ++calls < 2 ? err(409, REBALANCING[0]) : HttpResponse.json(connectorStatus()),
        ),
      ],
      { auth: { username: "connect", password } },
    );
    await client.status(CONNECTOR);
    const debug = logs.filter((l) => l.level === "debug");
    expect(debug).toHaveLength(2);
    for (const line of debug) expect(line.endpoint).toBe(KC);
    expect(debug[0]!.message).toBe(`GET /connectors/${CONNECTOR}/status → 409 in 0 ms`);
    expect(debug[1]!.message).toBe(`GET /connectors/${CONNECTOR}/status → 200 in 0 ms`);
    expect(logs.some((l) => l.level === "warn" && l.message.includes("retrying in 200 ms"))).toBe(true);
    const all = JSON.stringify(logs);
    const header = Buffer.from(`connect:${password}`).toString("base64");
    expect(all).not.toContain(password);
    expect(all).not.toContain(header);
    expect(all.toLowerCase()).not.toContain("authorization");
  });

  it("sends basic auth on every request", async () => {
    const { client, dispatcher } = mswClient([http.get(`${KC}/`, () => HttpResponse.json(SERVER_INFO))], {
      auth: { username: "connect", password: "pw" },
    });
    await client.serverInfo();
    expect(dispatcher.sent[0]!.headers["authorization"]).toBe(
      `Basic ${Buffer.from("connect:pw").toString("base64")}`,
    );
  });
});
