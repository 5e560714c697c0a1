/**
 * Bounds on what a worker (or anything on its port) can make the client hold: answer bodies are capped by
 * `maxResponseBytes`, worker messages by length, and the client's own credentials never leave in its texts.
 */
import type http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  isKafkaConnectError,
  KafkaConnectClient,
  type KafkaConnectClientOptions,
  type LogEvent,
  type ResponseEvent,
} from "../../lib/kafka-connect/index.js";
import { SERVER_INFO } from "./support/fixtures.js";
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
