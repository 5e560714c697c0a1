/**
 * Bounds on what a worker (or anything on its port) can make the client hold: answer bodies are capped by
 * `maxResponseBytes`, worker messages by length, and the client's own credentials never leave in its texts.
 */
import { spawnSync } from "node:child_process";
import type http from "node:http";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { credentialForms } from "../../lib/kafka-connect/credentials.js";
import { boundText, MAX_ERROR_TEXT } from "../../lib/kafka-connect/errors.js";
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  isKafkaConnectError,
  KafkaConnectClient,
  type KafkaConnectClientOptions,
  type KafkaConnectError,
  type LogEvent,
  type ResponseEvent,
} from "../../lib/kafka-connect/index.js";
import { CONFIG, CONNECTOR, SERVER_INFO } from "./support/fixtures.js";
import { failure } from "./support/msw-client.js";
import { closeAll, type Handler, sendJson, startHttp } from "./support/servers.js";

const MiB = 2 ** 20;

const clients: KafkaConnectClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await closeAll();
});

function connect(endpoints: string | string[], options: Partial<KafkaConnectClientOptions> = {}) {
  const logs: LogEvent[] = [];
  const events: ResponseEvent[] = [];
  const client = new KafkaConnectClient({
    endpoints,
    logger: (e) => logs.push(e),
    onResponse: (e) => events.push(e),
    timeoutMs: 60_000,
    ...options,
  });
  clients.push(client);
  return { client, logs, events };
}

/**
 * A 200 whose JSON-looking body goes on and on (chunked, no content-length), written with backpressure so the
 * server itself holds little. It stops at `total` bytes so that a client which buffers everything (as this
 * one once did) fails this test instead of taking the machine down.
 */
function endlessBody(total: number): Handler {
  const chunk = Buffer.alloc(64 * 1024, "a");
  return (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"x":"');
    let sent = 0;
    const pump = () => {
      while (sent < total && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      if (!res.destroyed) res.end('"}');
    };
    pump();
  };
}

/** The peak RSS growth while `fn` runs, sampled every 10 ms: an upper bound check only, never a timing. */
async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growth: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

describe("maxResponseBytes", () => {
  it("an endless body fails as response-too-large at the default 32 MiB, without buffering the rest", async () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(32 * MiB);
    const server = await startHttp(endlessBody(512 * MiB));
    const { client, events } = connect(server.url);
    const { result: error, growth } = await peakRssGrowth(() => failure(client.listConnectors()));
    expect(error.kind).toBe("response-too-large");
    expect(error.status).toBe(200);
    expect(error.message).toBe(
      `the answer to GET /connectors from ${server.url} is larger than the client's limit of 32 MiB (maxResponseBytes)`,
    );
    expect(error.detail).toMatch(/^stopped reading at \d+ bytes; the connection was closed$/);
    expect(error.attempts).toBe(1);
    // Far above the cap, far below the 512 MiB (and its string copy) a whole read would hold.
    expect(growth).toBeLessThan(200 * MiB);
    expect(events.map((e) => [e.status, e.errorKind])).toEqual([[200, "response-too-large"]]);
  });

  it("a content-length over the limit is refused before reading; the client goes on working", async () => {
    let hanging: http.ServerResponse | undefined;
    const server = await startHttp((req, res) => {
      if (req.url === "/") return sendJson(res, 200, SERVER_INFO);
      // Promises a terabyte, sends nothing: only the header can end this call before the timeout.
      res.writeHead(200, { "content-type": "application/json", "content-length": String(2 ** 40) });
      res.flushHeaders();
      hanging = res;
    });
    const { client } = connect(server.url, { maxResponseBytes: 1024, timeoutMs: 30_000 });
    const error = await failure(client.listConnectors());
    expect(hanging).toBeDefined();
    expect(error.kind).toBe("response-too-large");
    expect(error.message).toContain("limit of 1 KiB");
    expect(error.detail).toBe(`its content-length is ${2 ** 40}; not read; the connection was closed`);
    expect(await client.serverInfo()).toEqual(SERVER_INFO);
  });

  it("reads a body of exactly the limit; one byte more is refused, error answers included, with no failover", async () => {
    const body = JSON.stringify(SERVER_INFO);
    const exact = Buffer.byteLength(body);
    const ok = await startHttp((_req, res) => sendJson(res, 200, SERVER_INFO));
    expect(await connect(ok.url, { maxResponseBytes: exact }).client.serverInfo()).toEqual(SERVER_INFO);
    const over = await failure(connect(ok.url, { maxResponseBytes: exact - 1 }).client.serverInfo());
    expect(over.kind).toBe("response-too-large");

    // A proxy's huge error page on the first endpoint: reported as too large, the second is not asked.
    const page = `<html>${"x".repeat(4096)}</html>`;
    const proxy = await startHttp((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end(page);
    });
    const error = await failure(connect([proxy.url, ok.url], { maxResponseBytes: 1024 }).client.serverInfo());
    expect(error.kind).toBe("response-too-large");
    expect(error.status).toBe(502);
    expect(ok.requests).toBe(2);
  });

  it("refuses a limit that is not a positive integer", () => {
    for (const bad of [0, -1, 1.5, Number.POSITIVE_INFINITY, "1024"]) {
      let error: unknown;
      try {
        new KafkaConnectClient({ endpoints: "http://127.0.0.1:1", maxResponseBytes: bad as number });
      } catch (e) {
        error = e;
      }
      expect(isKafkaConnectError(error, "invalid-argument")).toBe(true);
    }
  });
});

describe("worker texts are bounded", () => {
  it("boundText keeps short texts, cuts long ones to the bound with a marker, and is idempotent", () => {
    expect(boundText("short")).toBe("short");
    const long = "x".repeat(50_000);
    const cut = boundText(long);
    expect(cut.length).toBeLessThanOrEqual(MAX_ERROR_TEXT);
    expect(cut).toMatch(/^x+… \[cut: 50000 characters in all\]$/);
    expect(boundText(cut)).toBe(cut);
    // A surrogate pair is never split.
    const emoji = boundText(`${"a".repeat(10)}${"😀".repeat(100)}`, 41);
    expect(emoji).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it("a 50 MB worker message becomes a 2 KiB error message, config errors and log lines bounded too", async () => {
    const huge = `Failed to find any class that implements Connector ${"y".repeat(50 * 10 ** 6)}`;
    const lines = Array.from({ length: 3_000 }, (_, i) => `key.${i}: ${"z".repeat(5_000)}`);
    const invalid = `Connector configuration is invalid and contains the following 3000 error(s):\n${lines.join("\n")}`;
    const server = await startHttp((req, res) => {
      if (req.method === "POST") return sendJson(res, 400, { error_code: 400, message: invalid });
      sendJson(res, 500, { error_code: 500, message: huge });
    });
    const { client, logs } = connect(server.url, { maxResponseBytes: 64 * MiB });
    const error = await failure(client.getConnector(CONNECTOR));
    expect(error.kind).toBe("server-error");
    expect(error.message.length).toBeLessThanOrEqual(MAX_ERROR_TEXT);
    expect(error.message).toMatch(
      /^Failed to find any class that implements Connector y+… \[cut: \d+ characters in all\]$/,
    );
    expect(error.describe().length).toBeLessThan(MAX_ERROR_TEXT + 200);
    const config = await failure(client.createConnector(CONNECTOR, CONFIG));
    expect(config.kind).toBe("invalid-config");
    expect(config.message.length).toBeLessThanOrEqual(MAX_ERROR_TEXT);
    expect(config.configErrors).toHaveLength(1_000);
    expect(config.configErrors!.every((p) => p.message.length <= MAX_ERROR_TEXT)).toBe(true);
    expect(config.configErrors![0]!.message).toMatch(/^key\.0: z+… \[cut: 5007 characters in all\]$/);
    expect(logs.every((l) => l.message.length <= MAX_ERROR_TEXT)).toBe(true);
  }, 60_000); // 50 MB through a loopback socket and JSON.parse: seconds on a loaded machine

  it("a message repeating the config-echo opening is classified in linear time (was quadratic)", () => {
    // In a child bounded by a timeout: a quadratic scan blocks the event loop, which no test timeout can stop.
    // 1.8 MB: the old regex took ~54 s on 576 KB, so minutes here; the index search takes milliseconds.
    const code = [
      'const { classifyResponse } = await import("./lib/kafka-connect/errors.ts");',
      'const message = "Connector config {".repeat(100000) + "x} contains no connector type";',
      "const r = classifyResponse(400, JSON.stringify({ error_code: 400, message }));",
      "process.stdout.write(JSON.stringify({ kind: r.kind, message: r.message }));",
    ].join("\n");
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      cwd: process.cwd(),
      timeout: 20_000,
      encoding: "utf8",
    });
    expect(child.signal).toBeNull();
    expect(JSON.parse(child.stdout)).toEqual({
      kind: "bad-request",
      message: "Connector config {…} contains no connector type",
    });
  });
});

describe("the client's own credentials never leave in its texts", () => {
  // Every character that URL-encoding, form-encoding or JSON-escaping changes.
  const USER = "integrator";
  const PASSWORD = 'p@ss w"rd/ü&x=1+\\end';
  const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");

  it("credentialForms: plain, JSON-escaped, URL- and form-encoded password, base64 user:password", () => {
    const forms = credentialForms({ username: USER, password: PASSWORD });
    expect(forms).toEqual(
      expect.arrayContaining([
        PASSWORD,
        JSON.stringify(PASSWORD).slice(1, -1),
        encodeURIComponent(PASSWORD),
        new URLSearchParams({ p: PASSWORD }).toString().slice(2),
        BASIC.replace(/=+$/, ""),
      ]),
    );
    expect(forms.every((f, i) => i === 0 || forms[i - 1]!.length >= f.length)).toBe(true);
  });

  it("a proxy or worker echoing the request is scrubbed from message, describe(), configErrors and logs", async () => {
    const echo = [
      `Authorization: Basic ${BASIC}`,
      `password=${new URLSearchParams({ p: PASSWORD }).toString().slice(2)}`,
      `url=http://x/?p=${encodeURIComponent(PASSWORD)}`,
      `json={"password":${JSON.stringify(PASSWORD)}}`,
      `raw=${PASSWORD}`,
    ].join("\n");
    const proxy = await startHttp((_req, res) => {
      res.writeHead(502, { "content-type": "text/plain" });
      // The header straddles character 300, where a text body is cut for the message.
      res.end(`${"x".repeat(268)} Authorization: Basic ${BASIC}\n${echo}`);
    });
    const worker = await startHttp((req, res) => {
      if (req.method === "POST") {
        const message = `Connector configuration is invalid and contains the following 1 error(s):\nconnection.password: ${PASSWORD} rejected`;
        return sendJson(res, 400, { error_code: 400, message });
      }
      if (req.url === "/") return sendJson(res, 200, { [PASSWORD]: echo });
      sendJson(res, 401, { error_code: 401, message: echo });
    });
    const auth = { username: USER, password: PASSWORD };
    const errors: KafkaConnectError[] = [];
    const logs: LogEvent[] = [];
    for (const [endpoints, call] of [
      [[proxy.url, worker.url], (c: KafkaConnectClient) => c.getConnector(CONNECTOR)],
      [[proxy.url], (c: KafkaConnectClient) => c.getConnector(CONNECTOR)],
      [[worker.url], (c: KafkaConnectClient) => c.createConnector(CONNECTOR, CONFIG)],
      [[worker.url], (c: KafkaConnectClient) => c.serverInfo()],
    ] as const) {
      const setup = connect([...endpoints], { auth });
      errors.push(await failure(call(setup.client)));
      logs.push(...setup.logs);
    }
    expect(errors.map((e) => e.kind)).toEqual([
      "unauthorized",
      "unavailable",
      "invalid-config",
      "malformed-response",
    ]);
    const everything = [
      ...errors.flatMap((e) => [e.message, e.describe(), inspect(e, { depth: Infinity }), JSON.stringify(e)]),
      JSON.stringify(logs),
    ].join("\n");
    for (const form of credentialForms(auth)) expect(everything).not.toContain(form);
    expect(everything).not.toContain("ss w");
    expect(errors[0]!.message).toContain("Authorization: Basic ***");
    expect(errors[2]!.configErrors).toEqual([{ message: "connection.password: *** rejected" }]);
    // Scrubbed before the 300-character cut of a text body: no half credential either.
    expect(errors[1]!.message).toContain("Basic ***");
    expect(everything).not.toContain(BASIC.slice(0, 8));
  });
});
