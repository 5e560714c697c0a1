import { once } from "node:events";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  KafkaConnectClient,
  type KafkaConnectClientOptions,
  type KafkaConnectError,
  type LogEvent,
} from "../../lib/kafka-connect/index.js";
import {
  CONFIG,
  CONNECTOR,
  connectorInfo,
  connectorStatus,
  SERVER_INFO,
  UNAUTHORIZED_TEXT,
} from "./support/fixtures.js";
import { failure } from "./support/msw-client.js";
import { closeAll, type Handler, readBody, refusedUrl, sendJson, startHttp } from "./support/servers.js";

const USER = "connect-admin";
const PASSWORD = "Sup3r-S3cret-pa55word";
const AUTH_HEADER = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;

const clients: KafkaConnectClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await closeAll();
});

function connect(endpoints: string[], options: Partial<KafkaConnectClientOptions> = {}) {
  const logs: LogEvent[] = [];
  const client = new KafkaConnectClient({
    endpoints,
    logger: (e) => logs.push(e),
    timeoutMs: 2_000,
    ...options,
  });
  clients.push(client);
  return { client, logs };
}

/** A worker that answers the few routes these tests use. */
const worker: Handler = (req, res) => {
  void readBody(req).then(() => {
    if (req.url === "/") return sendJson(res, 200, SERVER_INFO);
    if (req.method === "POST" && req.url === "/connectors") return sendJson(res, 201, connectorInfo());
    if (req.url?.endsWith("/status")) return sendJson(res, 200, connectorStatus());
    if (req.method === "POST" && req.url?.endsWith("/restart")) {
      res.writeHead(204);
      return res.end();
    }
    sendJson(res, 404, { error_code: 404, message: "HTTP 404 Not Found" });
  });
};

/** Answers 200 headers promising a long body, sends a bit of it, then cuts the connection. */
const cutMidBody: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
  res.write('{"name":"my-sink","conn');
  setTimeout(() => res.socket?.destroy(), 5);
};

/** Never answers (a stuck worker); closeAll() destroys the socket. */
const hang: Handler = () => {};

const badGatewayOnce = (): Handler => {
  let first = true;
  return (req, res, server) => {
    if (first) {
      first = false;
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html>502 Bad Gateway</html>");
    }
    worker(req, res, server);
  };
};

describe("failover", () => {
  it("moves from a refused endpoint to a live one, then sticks to the live one", async () => {
    const dead = await refusedUrl();
    const live = await startHttp(worker);
    const { client, logs } = connect([dead, live.url]);
    expect(await client.serverInfo()).toEqual(SERVER_INFO);
    expect(client.preferredEndpoint).toBe(live.url);
    expect(
      logs.some((l) => l.level === "warn" && l.endpoint === dead && /ECONNREFUSED/.test(l.message)),
    ).toBe(true);

    logs.length = 0;
    await client.serverInfo();
    expect(logs.map((l) => l.endpoint)).toEqual([live.url]);
  });

  it("sticks to the endpoint that answered last", async () => {
    const a = await startHttp(badGatewayOnce());
    const b = await startHttp(worker);
    const { client } = connect([a.url, b.url]);
    await client.serverInfo();
    await client.serverInfo();
    await client.status(CONNECTOR);
    expect([a.requests, b.requests]).toEqual([1, 3]);
  });

  it("a POST fails over only when it was certainly not sent (connection refused)", async () => {
    const dead = await refusedUrl();
    const live = await startHttp(worker);
    const { client } = connect([dead, live.url]);
    expect(await client.createConnector(CONNECTOR, CONFIG)).toEqual(connectorInfo());
    expect(live.requests).toBe(1);
  });

  it("a connection cut mid-body: a GET fails over, a POST does not (it may have been applied)", async () => {
    const cut = await startHttp(cutMidBody);
    const live = await startHttp(worker);
    const { client } = connect([cut.url, live.url]);

    const error = await failure(client.restartConnector(CONNECTOR));
    expect(error).toMatchObject({ kind: "unavailable", endpoint: cut.url, method: "POST", attempts: 1 });
    expect(live.requests).toBe(0);

    expect(await client.status(CONNECTOR)).toEqual(connectorStatus());
    expect([cut.requests, live.requests]).toEqual([2, 1]);
  });

  it("an attempt timeout moves a GET to the next endpoint", async () => {
    const stuck = await startHttp(hang);
    const live = await startHttp(worker);
    // Long enough for the live worker on a loaded machine (100 ms flaked), short enough for the stuck one.
    const { client, logs } = connect([stuck.url, live.url], { timeoutMs: 1_000 });
    expect(await client.status(CONNECTOR)).toEqual(connectorStatus());
    expect(logs.some((l) => l.endpoint === stuck.url && l.message.includes("no answer within 1000 ms"))).toBe(
      true,
    );
  });

  it("an attempt timeout on a POST is surfaced, not repeated elsewhere", async () => {
    const stuck = await startHttp(hang);
    const live = await startHttp(worker);
    const { client } = connect([stuck.url, live.url], { timeoutMs: 100 });
    const error = await failure(client.createConnector(CONNECTOR, CONFIG));
    expect(error).toMatchObject({ kind: "timeout", message: "no answer within 100 ms", endpoint: stuck.url });
    expect(live.requests).toBe(0);
  });

  it("per-call timeoutMs overrides the client's; a lone stuck endpoint is a timeout", async () => {
    const stuck = await startHttp(hang);
    const { client } = connect([stuck.url], { timeoutMs: 60_000 });
    const error = await failure(client.serverInfo({ timeoutMs: 50 }));
    expect(error).toMatchObject({ kind: "timeout", attempts: 1, message: "no answer within 50 ms" });
  });

  it("every endpoint timing out is a timeout; down and stuck together is unavailable", async () => {
    const s1 = await startHttp(hang);
    const s2 = await startHttp(hang);
    const dead = await refusedUrl();
    const both = connect([s1.url, s2.url], { timeoutMs: 50 });
    expect(await failure(both.client.serverInfo())).toMatchObject({
      kind: "timeout",
      tried: [s1.url, s2.url],
    });
    const mixed = connect([dead, s1.url], { timeoutMs: 50 });
    const error = await failure(mixed.client.serverInfo());
    expect(error).toMatchObject({ kind: "unavailable", attempts: 2, tried: [dead, s1.url] });
    expect(error.message).toContain(`${s1.url}: no answer within 50 ms`);
  });

  it("an abort while a request is in flight ends the call without failing over", async () => {
    const stuck = await startHttp(hang);
    const live = await startHttp(worker);
    const { client } = connect([stuck.url, live.url]);
    const controller = new AbortController();
    const pending = client.serverInfo({ signal: controller.signal });
    while (stuck.requests === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect(await failure(pending)).toMatchObject({ kind: "aborted", endpoint: stuck.url, attempts: 1 });
    expect(live.requests).toBe(0);
  });
});

describe("keep-alive", () => {
  it("reuses pooled connections across calls and releases them on close()", async () => {
    const live = await startHttp(worker);
    const { client } = connect([live.url]);
    for (let i = 0; i < 10; i++) await client.status(CONNECTOR);
    expect(live.requests).toBe(10);
    // undici frees a connection one tick after the body ends, so back-to-back calls may alternate between
    // two pooled sockets; without keep-alive there would be ten.
    expect(live.connections).toBeLessThanOrEqual(2);
    expect(live.open.size).toBe(live.connections);
    const closed = [...live.open].map((socket) => once(socket, "close"));
    await client.close();
    await Promise.all(closed);
    expect(live.open.size).toBe(0);
  });
});

describe("basic auth", () => {
  const guarded: Handler = (req, res, server) => {
    if (req.headers.authorization !== AUTH_HEADER) {
      res.writeHead(401, { "content-type": "text/plain" });
      return res.end(UNAUTHORIZED_TEXT);
    }
    worker(req, res, server);
  };
  const rejectsAll: Handler = (_req, res) => {
    res.writeHead(401);
    res.end(UNAUTHORIZED_TEXT);
  };

  it("sends the Basic header the worker expects", async () => {
    const live = await startHttp(guarded);
    const { client } = connect([live.url], { auth: { username: USER, password: PASSWORD } });
    expect(await client.serverInfo()).toEqual(SERVER_INFO);
  });

  it("a 401 from one worker (still on old credentials) is retried once on the others", async () => {
    const stale = await startHttp(rejectsAll);
    const fresh = await startHttp(guarded);
    const { client } = connect([stale.url, fresh.url], { auth: { username: USER, password: PASSWORD } });
    expect(await client.createConnector(CONNECTOR, CONFIG)).toEqual(connectorInfo());
    expect(client.preferredEndpoint).toBe(fresh.url);
    await client.serverInfo();
    expect([stale.requests, fresh.requests]).toEqual([1, 2]);
  });

  it("when every worker says 401, it is unauthorized, after one try each", async () => {
    const a = await startHttp(rejectsAll);
    const b = await startHttp(rejectsAll);
    const { client } = connect([a.url, b.url], { auth: { username: USER, password: PASSWORD } });
    const error = await failure(client.serverInfo());
    expect(error).toMatchObject({
      kind: "unauthorized",
      status: 401,
      message: UNAUTHORIZED_TEXT,
      attempts: 2,
      tried: [a.url, b.url],
    });
    expect([a.requests, b.requests]).toEqual([1, 1]);
  });

  it("the password never appears in any error or log line", async () => {
    const dead = await refusedUrl();
    const stuck = await startHttp(hang);
    const rejecting = await startHttp(rejectsAll);
    const broken = await startHttp((_req, res) => sendJson(res, 200, { config: "nope" }));
    const serverError = await startHttp((_req, res) =>
      sendJson(res, 500, { error_code: 500, message: "boom" }),
    );
    const cut = await startHttp(cutMidBody);
    const auth = { username: USER, password: PASSWORD };
    const errors: KafkaConnectError[] = [];
    const logs: LogEvent[] = [];
    for (const endpoints of [
      [dead],
      [stuck.url],
      [rejecting.url],
      [broken.url],
      [serverError.url],
      [cut.url],
    ]) {
      // Only the stuck worker needs a short timeout; 50 ms for all flaked on a loaded machine.
      const setup = connect(endpoints, { auth, timeoutMs: endpoints[0] === stuck.url ? 50 : 5_000 });
      errors.push(await failure(setup.client.getConnector(CONNECTOR)));
      logs.push(...setup.logs);
    }
    errors.push(
      await failure(connect([dead, rejecting.url], { auth }).client.createConnector(CONNECTOR, CONFIG)),
    );
    expect(errors.map((e) => e.kind)).toEqual([
      "unavailable",
      "timeout",
      "unauthorized",
      "malformed-response",
      "server-error",
      "unavailable",
      "unauthorized",
    ]);
    const everything = [
      ...errors.flatMap((e) => [
        e.message,
        e.describe(),
        e.stack ?? "",
        inspect(e, { depth: Infinity }),
        JSON.stringify(e),
      ]),
      JSON.stringify(logs),
    ].join("\n");
    const encoded = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(encoded);
  });
});
