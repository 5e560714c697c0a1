import net from "node:net";
import { describe, expect, it } from "vitest";
import { javaUtf8Decode } from "../../../lib/testing/kafka-connect/uri.js";
import { MAX_REQUEST_BODY_BYTES } from "../../../lib/testing/kafka-connect/worker-app.js";
import { call, err, mirrorConfig, useClusters } from "./support.js";

/** What a raw HTTP/1.1 exchange gave: the response text, and the body bytes the server let us write. */
interface Exchange {
  response: string;
  sent: number;
  closed: boolean;
}

/**
 * Sends `head`, then body chunks as fast as the server takes them (honouring backpressure) until the server
 * answers and closes, `limit` bytes are sent, or `ms` pass. Resolves with what happened, never hangs.
 */
function exchange(port: number, head: string, limit: number, ms = 10_000): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunk = Buffer.alloc(Math.min(64 * 1024, limit), 0x20);
    let response = "";
    let sent = 0;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ response, sent, closed });
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on("data", (d) => {
      response += d.toString("latin1");
    });
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    const pump = () => {
      while (!done && sent < limit) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once("drain", pump);
          return;
        }
      }
    };
    socket.on("connect", () => {
      socket.write(head);
      pump();
    });
  });
}

const head = (port: number, framing: string) =>
  `POST /connectors HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`;

describe("request bodies are bounded", () => {
  const start = useClusters();

  it("refuses a declared 2.1 GiB body with 413 at once, before authentication, without reading it", async () => {
    const c = await start({ workers: 1, auth: { users: { admin: "pw" } } });
    const port = Number(new URL(c.endpoints[0]!).port);
    const declared = Math.floor(2.1 * 2 ** 30);
    // Only 1 KiB follows the headers: a server waiting for the declared body would never answer.
    const res = await exchange(port, head(port, `Content-Length: ${declared}`), 1024);
    expect(res.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(res.response.toLowerCase()).toContain("connection: close");
    const body = JSON.parse(res.response.slice(res.response.indexOf("\r\n\r\n") + 4));
    expect(body).toEqual(err(413, `Request body is too large: ${declared}>${MAX_REQUEST_BODY_BYTES}`));
    expect(res.closed).toBe(true);
    expect(c.requests).toEqual([]); // never reached the REST layer, so never recorded
  });

  it("stops reading a chunked body past the cap: 413, the connection closed, the rest never read", async () => {
    const c = await start({ workers: 1 });
    const port = Number(new URL(c.endpoints[0]!).port);
    // A chunked body with no end: one endless chunk of spaces (valid JSON whitespace) as far as we get.
    const limit = 16 * MAX_REQUEST_BODY_BYTES;
    const res = await exchange(
      port,
      `${head(port, "Transfer-Encoding: chunked")}${limit.toString(16)}\r\n`,
      limit,
    );
    // A client still writing may be reset before it reads the 413 (the worker closes with its body unread).
    if (res.response !== "")
      expect(res.response).toMatch(/^HTTP\/1\.1 413 [\s\S]*Request body is too large: /);
    expect(res.closed).toBe(true);
    // What we could write is the cap plus the socket buffers, far from the 128 MiB we offered.
    expect(res.sent).toBeLessThan(limit / 2);
    // The worker still serves.
    expect((await call(c.endpoints[0]!, "GET", "/connectors")).json).toEqual([]);
  });

  it("serves a body just under the cap", async () => {
    const c = await start({ workers: 1 });
    const padding = " ".repeat(MAX_REQUEST_BODY_BYTES - 200);
    const raw = `{"name":"big","config":${JSON.stringify(mirrorConfig())}${padding}}`;
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(MAX_REQUEST_BODY_BYTES);
    const res = await call(c.endpoints[0]!, "POST", "/connectors", {
      raw,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(201);
  });
});

describe("connector names that are not well-formed Unicode", () => {
  const start = useClusters();

  it("a lone surrogate in a created name: 201, Location encoded as Jersey does (%3F), stored as `?`", async () => {
    const c = await start({ workers: 1 });
    const base = c.endpoints[0]!;
    const res = await call(base, "POST", "/connectors", {
      body: { name: "a\ud800b", config: mirrorConfig() },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`${base}/connectors/a%3Fb`);
    expect((res.json as { name: string }).name).toBe("a\ud800b");
    // StringSerializer turned the config-topic key into `a?b`: that is the connector's name from now on.
    expect((await call(base, "GET", "/connectors")).json).toEqual(["a?b"]);
    expect((await call(base, "GET", "/connectors/a%3Fb/config")).json).toMatchObject({ name: "a\ud800b" });
  });

  it("percent-escapes that are not UTF-8 in a path decode to U+FFFD as Java's decoder does, never a 500", async () => {
    const c = await start({ workers: 1 });
    const base = c.endpoints[0]!;
    const res = await call(base, "PUT", "/connectors/x%ED%A0%80y/config", { body: mirrorConfig() });
    expect(res.status).toBe(201);
    expect((res.json as { name: string }).name).toBe("x\ufffdy");
    expect(res.headers.get("location")).toBe(`${base}/connectors/x%EF%BF%BDy`);
    const created = await call(base, "POST", "/connectors", {
      body: { name: "%41 {b}/\u00e9", config: mirrorConfig() },
    });
    expect(created.headers.get("location")).toBe(`${base}/connectors/%41%20%7Bb%7D/%C3%A9`);
  });

  it("decodes malformed UTF-8 runs as Java's UTF_8 decoder measures them", () => {
    const d = (...bytes: number[]) => javaUtf8Decode(Uint8Array.from(bytes));
    expect(d(0xed, 0xa0, 0x80)).toBe("\ufffd"); // an encoded surrogate is one run (WHATWG: three)
    expect(d(0xe0, 0x80, 0x80)).toBe("\ufffd\ufffd\ufffd"); // overlong: the lead byte alone, then two strays
    expect(d(0xe2, 0x82, 0x41)).toBe("\ufffdA"); // two good bytes of three
    expect(d(0xf0, 0x9f, 0x98)).toBe("\ufffd"); // truncated at the end: one run
    expect(d(0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80, 0xc0)).toBe("\u00e9\u{1f600}\ufffd");
  });
});
