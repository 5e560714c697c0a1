import { truncateSync } from "node:fs";
import { type IncomingMessage, request } from "node:http";
import { connect } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PluginServer, type PluginServerLimits, parseRange } from "../../../charm/workload/plugin-server.js";
import { eventually } from "../../support/eventually.js";
import { captureLog, http, tempDir, trickleUntilClosed, writePlugin } from "./helpers.js";

/** The plugin server against clients that misbehave on purpose, and a file that changes under it. */

const PLUGIN = "/api/v1/plugin";
let dir: ReturnType<typeof tempDir>;
let server: PluginServer;

async function serve(bytes: number, limits: Partial<PluginServerLimits> = {}) {
  server = new PluginServer({ log: captureLog(), limits: { timeoutCheckMs: 50, ...limits } });
  await server.listen("127.0.0.1", 0);
  const plugin = writePlugin(dir.dir, bytes);
  await server.setPlugin({ mode: "serve", path: plugin.path, sha512: plugin.sha512, size: plugin.size });
  await server.settled();
  return { port: server.state().port, ...plugin };
}

/** Raw bytes over a socket, answer collected until the server closes (or `ms` passes). */
function raw(port: number, text: string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    let got = "";
    const t = setTimeout(() => s.destroy(), ms);
    s.on("data", (d) => {
      got += d.toString("latin1");
    });
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(t);
      resolve(got);
    });
    s.on("connect", () => s.write(text));
  });
}

beforeEach(() => {
  dir = tempDir("kci-plugin-adv-");
});
afterEach(async () => {
  await server?.close();
  dir.cleanup();
});

describe("a file that changes while served", () => {
  it("cuts the connection at once when the tarball is truncated mid-download, instead of leaving it open", async () => {
    const p = await serve(8 * 1024 * 1024, { idleTimeoutMs: 60_000 });
    let res: IncomingMessage | undefined;
    let ended = false;
    let closed = false;
    let received = 0;
    const req = request({ host: "127.0.0.1", port: p.port, path: PLUGIN, agent: false }, (r) => {
      res = r;
      r.pause();
      r.on("data", (c: Buffer) => {
        received += c.length;
      });
      r.on("end", () => {
        ended = true;
      });
      r.on("close", () => {
        closed = true;
      });
      r.on("error", () => undefined);
    });
    req.on("error", () => undefined);
    req.end();
    await eventually(
      async () => res !== undefined,
      (ok) => ok,
    );
    truncateSync(p.path, 1024);
    res!.resume();
    try {
      // Well within the idle timeout (60 s): without the fix the socket stays open, Content-Length unmet.
      await eventually(
        async () => closed,
        (c) => c,
        5000,
      );
    } finally {
      req.destroy();
    }
    expect(ended).toBe(false);
    expect(received).toBeLessThan(p.size);
    await eventually(
      async () => server.state().activeDownloads,
      (n) => n === 0,
    );
  });
});

describe("clients that read slowly or never finish", () => {
  it("frees the download slot of a client that stops reading, once the idle timeout passes", async () => {
    const p = await serve(32 * 1024 * 1024, { maxDownloads: 1, idleTimeoutMs: 300 });
    const req = request({ host: "127.0.0.1", port: p.port, path: PLUGIN, agent: false }, (r) => {
      r.pause(); // reads nothing more: as good as 1 byte a second against a 256 KiB write
      r.on("error", () => undefined);
    });
    req.on("error", () => undefined);
    req.end();
    try {
      await eventually(
        async () => server.state().activeDownloads,
        (n) => n === 1,
      );
      // The client cannot see the close while it reads nothing; the server's slot is what matters.
      await eventually(
        async () => server.state().activeDownloads,
        (n) => n === 0,
        5000,
      );
    } finally {
      req.destroy();
    }
    expect((await http(p.port, PLUGIN, { method: "HEAD" })).status).toBe(200);
  });

  it("closes a connection whose request body trickles in (slowloris on the body)", async () => {
    const p = await serve(1024, { headersTimeoutMs: 200, requestTimeoutMs: 300 });
    const socket = connect(p.port, "127.0.0.1");
    socket.on("error", () => undefined);
    socket.on("data", () => undefined);
    await new Promise((r) => socket.once("connect", r));
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
    await trickleUntilClosed(socket, "x");
  });
});

describe("request targets and ranges a hostile client sends", () => {
  it("answers only the exact routes: no decoding, no normalising, no absolute form", async () => {
    const p = await serve(1024);
    for (const target of [
      "//api/v1/plugin",
      "/api/v1//plugin",
      "/api/v1/plugin%2f",
      "/api%2fv1%2fplugin",
      "/api/v1/plugin/..",
      "/api/v1/plugin/../plugin",
      "/api/v1/plugin/%2e%2e/%2e%2e/etc/passwd",
      "/api/v1/plugin;x",
      "/api/v1/plugin%00",
      "/API/V1/PLUGIN",
    ]) {
      expect([target, (await http(p.port, target)).status]).toEqual([target, 404]);
    }
    expect((await http(p.port, `${PLUGIN}?x=../../etc/passwd`)).status).toBe(200);
    const absolute = await raw(
      p.port,
      `GET http://127.0.0.1:${p.port}${PLUGIN} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(absolute).toMatch(/^HTTP\/1.1 404 /);
    const nul = await raw(p.port, `GET ${PLUGIN}\0 HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(nul).toMatch(/^HTTP\/1.1 400 /);
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"]) {
      const a = await http(p.port, PLUGIN, { method });
      expect([method, a.status, a.headers.allow]).toEqual([method, 405, "GET, HEAD"]);
    }
  });

  it("serves the edge cases of Range as RFC 9110 says", async () => {
    const p = await serve(1000);
    const get = (range: string, extra: Record<string, string> = {}) =>
      http(p.port, PLUGIN, { headers: { range, ...extra } });
    const first = await get("bytes=0-0");
    expect([first.status, first.headers["content-range"], first.body.length]).toEqual([
      206,
      "bytes 0-0/1000",
      1,
    ]);
    expect(first.body[0]).toBe(p.data[0]);
    expect((await get("bytes=-0")).status).toBe(416);
    const suffix = await get("bytes=-5000");
    expect([suffix.status, suffix.headers["content-range"]]).toEqual([206, "bytes 0-999/1000"]);
    const huge = await get("bytes=10-99999999999999999999999");
    expect([huge.status, huge.headers["content-range"]]).toEqual([206, "bytes 10-999/1000"]);
    expect((await get("bytes=99999999999999999999999-")).status).toBe(200);
    expect((await get("bytes=0-10,5-20,0-999")).status).toBe(200);
    expect((await get(`bytes=${"0".repeat(300)}-1`)).status).toBe(200);
    const etag = (await http(p.port, PLUGIN, { method: "HEAD" })).headers.etag as string;
    // A weak validator never matches If-Range: the whole body.
    const weak = await get("bytes=0-9", { "if-range": `W/${etag}` });
    expect([weak.status, weak.body.length]).toEqual([200, 1000]);
    const strong = await get("bytes=0-9", { "if-range": etag });
    expect([strong.status, strong.body.length]).toEqual([206, 10]);
    const head = await http(p.port, PLUGIN, { method: "HEAD", headers: { range: "bytes=5000-" } });
    expect([head.status, head.body.length]).toEqual([416, 0]);
    expect(parseRange("bytes=0-0", 0)).toBe("unsatisfiable");
  });
});
