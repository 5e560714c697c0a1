import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { KafkaConnectClient, type ResponseEvent, routeTemplate } from "../../lib/kafka-connect/index.js";
import { CONNECTOR, connectorStatus, errorBody, NOT_FOUND, SERVER_INFO } from "./support/fixtures.js";
import { failure, KC, KC2, mswClient } from "./support/msw-client.js";
import { closeAll, type Handler, refusedUrl, sendJson, startHttp } from "./support/servers.js";

const clients: KafkaConnectClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await closeAll();
});

describe("routeTemplate", () => {
  it("replaces names with placeholders and drops the query", () => {
    expect(routeTemplate("/")).toBe("/");
    expect(routeTemplate("/connectors?expand=status&expand=info")).toBe("/connectors");
    expect(routeTemplate("/connectors/my%20sink")).toBe("/connectors/:name");
    expect(routeTemplate("/connectors/a%2Fb/tasks/12/status")).toBe("/connectors/:name/tasks/:task/status");
    expect(routeTemplate("/connectors/x/restart?includeTasks=true")).toBe("/connectors/:name/restart");
    expect(routeTemplate("/connectors/x/tasks")).toBe("/connectors/:name/tasks");
    expect(routeTemplate("/connectors/x/topics/reset")).toBe("/connectors/:name/topics/reset");
    expect(routeTemplate("/connector-plugins?connectorsOnly=false")).toBe("/connector-plugins");
    expect(routeTemplate("/connector-plugins/FileStreamSink/config/validate")).toBe(
      "/connector-plugins/:plugin/config/validate",
    );
    expect(routeTemplate("/admin/loggers/org.apache.kafka?scope=cluster")).toBe("/admin/loggers/:logger");
    expect(routeTemplate("/admin/loggers")).toBe("/admin/loggers");
  });
});

describe("onResponse", () => {
  it("reports every attempt: a probe, a failed-over 502, a 404, with status, kind and route template", async () => {
    const events: ResponseEvent[] = [];
    const { client } = mswClient(
      [
        http.get(`${KC}/`, () => HttpResponse.json({ ...SERVER_INFO, version: "3.9.0" })),
        http.get(`${KC}/connector-plugins`, () => HttpResponse.json([])),
        http.get(
          `${KC}/connectors/:c/status`,
          () => new HttpResponse("<html>bad gateway</html>", { status: 502 }),
        ),
        http.get(`${KC2}/connectors/:c/status`, () => HttpResponse.json(connectorStatus())),
        http.get(`${KC}/connectors/:c`, () =>
          HttpResponse.json(errorBody(404, NOT_FOUND.connectorNotFound), { status: 404 }),
        ),
      ],
      { endpoints: [KC, KC2], onResponse: (e) => events.push(e) },
    );
    await client.plugins({ connectorsOnly: false });
    await client.status(CONNECTOR);
    // KC2 answered last, so it is asked first; it has no handler (msw: a network error), then KC's 404.
    expect((await failure(client.getConnector("other one"))).kind).toBe("not-found");
    const shape = events.map(({ durationMs, ...rest }) => {
      expect(durationMs).toBeGreaterThanOrEqual(0);
      return rest;
    });
    expect(shape.slice(0, 4)).toEqual([
      { method: "GET", path: "/", endpoint: KC, status: 200 },
      { method: "GET", path: "/connector-plugins", endpoint: KC, status: 200 },
      {
        method: "GET",
        path: "/connectors/:name/status",
        endpoint: KC,
        status: 502,
        errorKind: "unavailable",
      },
      { method: "GET", path: "/connectors/:name/status", endpoint: KC2, status: 200 },
    ]);
    expect(shape.slice(4)).toEqual([
      { method: "GET", path: "/connectors/:name", endpoint: KC2, errorKind: "unavailable" },
      { method: "GET", path: "/connectors/:name", endpoint: KC, status: 404, errorKind: "not-found" },
    ]);
    // Only these keys, ever: no headers, no bodies, no raw names.
    for (const event of events) {
      for (const key of Object.keys(event)) {
        expect(["method", "path", "endpoint", "status", "durationMs", "errorKind"]).toContain(key);
      }
      expect(JSON.stringify(event)).not.toContain("other");
    }
  });

  it("reports a refused connection without a status, and an abort in flight as aborted", async () => {
    const events: ResponseEvent[] = [];
    const hang: Handler = () => {};
    const worker: Handler = (_req, res) => sendJson(res, 200, SERVER_INFO);
    const refused = await refusedUrl();
    const live = await startHttp(worker);
    const stuck = await startHttp(hang);
    const client = new KafkaConnectClient({
      endpoints: [refused, live.url],
      timeoutMs: 5_000,
      onResponse: (e) => events.push(e),
    });
    clients.push(client);
    await client.serverInfo();
    expect(events.map(({ durationMs: _, ...rest }) => rest)).toEqual([
      { method: "GET", path: "/", endpoint: refused, errorKind: "unavailable" },
      { method: "GET", path: "/", endpoint: live.url, status: 200 },
    ]);

    events.length = 0;
    const slow = new KafkaConnectClient({ endpoints: stuck.url, onResponse: (e) => events.push(e) });
    clients.push(slow);
    const controller = new AbortController();
    const pending = failure(slow.serverInfo({ signal: controller.signal }));
    // Bounded polling: abort once the request reached the stuck server.
    for (let i = 0; i < 200 && stuck.requests === 0; i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    expect((await pending).kind).toBe("aborted");
    expect(events.map(({ durationMs: _, ...rest }) => rest)).toEqual([
      { method: "GET", path: "/", endpoint: stuck.url, errorKind: "aborted" },
    ]);
  });

  it("an observer that throws does not fail the call; a non-function is refused", async () => {
    const { client, logs } = mswClient([http.get(`${KC}/`, () => HttpResponse.json(SERVER_INFO))], {
      onResponse: () => {
        throw new Error("metrics broke");
      },
    });
    expect(await client.serverInfo()).toEqual(SERVER_INFO);
    expect(logs.some((l) => l.level === "warn" && l.message.includes("onResponse observer threw"))).toBe(
      true,
    );
    expect(() => new KafkaConnectClient({ endpoints: KC, onResponse: 42 as never })).toThrow(
      "onResponse must be a function",
    );
  });
});
