import { readdirSync, renameSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DownloadOutcome } from "../../../charm/workload/metrics.js";
import {
  BufferPool,
  etagMatches,
  FALLBACK_CHUNK_BYTES,
  PluginServer,
  type PluginServerLimits,
  parseRange,
} from "../../../charm/workload/plugin-server.js";
import { eventually } from "../../support/eventually.js";
import { captureLog, http, sha512, tempDir, trickleUntilClosed, writePlugin } from "./helpers.js";

const PLUGIN = "/api/v1/plugin";
let dir: ReturnType<typeof tempDir>;
let server: PluginServer;
let downloads: { outcome: DownloadOutcome; bytes: number }[];
let changes: number;

async function start(limits: Partial<PluginServerLimits> = {}) {
  server = new PluginServer({
    log: captureLog(),
    limits: { timeoutCheckMs: 50, ...limits },
    metricsText: async () => ({ contentType: "text/plain; version=0.0.4", body: "m_total 1\n" }),
    onDownload: (outcome, bytes) => downloads.push({ outcome, bytes }),
    onChange: () => changes++,
  });
  await server.listen("127.0.0.1", 0);
  return server.state().port;
}

async function serve(bytes = 3 * 1024 * 1024 + 17, limits: Partial<PluginServerLimits> = {}) {
  const port = await start(limits);
  const plugin = writePlugin(dir.dir, bytes);
  await server.setPlugin({ mode: "serve", path: plugin.path, sha512: plugin.sha512, size: plugin.size });
  await server.settled();
  return { port, ...plugin };
}

const openFds = () => readdirSync("/proc/self/fd").length;

beforeEach(() => {
  dir = tempDir("kci-plugin-");
  downloads = [];
  changes = 0;
});
afterEach(async () => {
  await server?.close();
  dir.cleanup();
});

describe("plugin route", () => {
  it("serves the verified tarball with its digest, ETag and download headers, with or without a slash", async () => {
    const p = await serve();
    const b64 = Buffer.from(p.sha512, "hex").toString("base64");
    for (const path of [PLUGIN, `${PLUGIN}/`, `${PLUGIN}?x=1`]) {
      const a = await http(p.port, path);
      expect(a.status).toBe(200);
      expect(sha512(a.body)).toBe(p.sha512);
      expect(a.headers["content-length"]).toBe(String(p.size));
      expect(a.headers["repr-digest"]).toBe(`sha-512=:${b64}:`);
      expect(a.headers.digest).toBe(`SHA-512=${b64}`);
      expect(a.headers.etag).toMatch(/^"sha512-[A-Za-z0-9_-]{86}"$/);
      expect(a.headers["content-type"]).toBe("application/x-tar");
      expect(a.headers["content-disposition"]).toBe('attachment; filename="plugin.tar"');
      expect(a.headers["accept-ranges"]).toBe("bytes");
    }
    expect(server.state()).toMatchObject({ sha512: p.sha512, downloads: 3, bytesServed: 3 * p.size });
    expect(downloads.map((d) => d.outcome)).toEqual(["complete", "complete", "complete"]);
  });

  it("says gzip when the bytes are gzip", async () => {
    const port = await start();
    const data = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 1)]);
    const path = `${dir.dir}/plugin.tar`;
    writeFileSync(path, data);
    await server.setPlugin({ mode: "serve", path, sha512: sha512(data), size: data.length });
    await server.settled();
    expect((await http(port, PLUGIN)).headers["content-type"]).toBe("application/gzip");
  });

  it("answers HEAD with the headers and no body", async () => {
    const p = await serve();
    const a = await http(p.port, PLUGIN, { method: "HEAD" });
    expect(a.status).toBe(200);
    expect(a.body.length).toBe(0);
    expect(a.headers["content-length"]).toBe(String(p.size));
    expect(a.headers["repr-digest"]).toBeDefined();
    expect(server.state().downloads).toBe(0);
  });

  it("serves one range (206), a suffix and an open range; 416 when unsatisfiable; several ranges → 200", async () => {
    const p = await serve();
    const r1 = await http(p.port, PLUGIN, { headers: { range: "bytes=10-99" } });
    expect(r1.status).toBe(206);
    expect(r1.headers["content-range"]).toBe(`bytes 10-99/${p.size}`);
    expect(r1.body.equals(p.data.subarray(10, 100))).toBe(true);
    const r2 = await http(p.port, PLUGIN, { headers: { range: "bytes=-100" } });
    expect(r2.body.equals(p.data.subarray(p.size - 100))).toBe(true);
    const r3 = await http(p.port, PLUGIN, { headers: { range: `bytes=${p.size - 5}-` } });
    expect(r3.body.equals(p.data.subarray(p.size - 5))).toBe(true);
    const r4 = await http(p.port, PLUGIN, { headers: { range: `bytes=${p.size}-` } });
    expect(r4.status).toBe(416);
    expect(r4.headers["content-range"]).toBe(`bytes */${p.size}`);
    const r5 = await http(p.port, PLUGIN, { headers: { range: "bytes=0-1,5-6" } });
    expect(r5.status).toBe(200);
    expect(r5.body.length).toBe(p.size);
    expect(downloads.map((d) => d.outcome)).toEqual(["range", "range", "range", "complete"]);
  });

  it("answers 304 to a matching If-None-Match, and ignores Range under a stale If-Range", async () => {
    const p = await serve();
    const etag = (await http(p.port, PLUGIN, { method: "HEAD" })).headers.etag as string;
    const a = await http(p.port, PLUGIN, { headers: { "if-none-match": `"other", ${etag}` } });
    expect(a.status).toBe(304);
    expect(a.body.length).toBe(0);
    expect((await http(p.port, PLUGIN, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
    const b = await http(p.port, PLUGIN, { headers: { range: "bytes=0-9", "if-range": '"old"' } });
    expect(b.status).toBe(200);
    const c = await http(p.port, PLUGIN, { headers: { range: "bytes=0-9", "if-range": etag } });
    expect(c.status).toBe(206);
  });

  it("answers 503 with Retry-After while the bytes do not match the declared sha512, and says why", async () => {
    const port = await start();
    const p = writePlugin(dir.dir, 4096);
    await server.setPlugin({ mode: "serve", path: p.path, sha512: "0".repeat(128), size: p.size });
    await server.settled();
    const a = await http(port, PLUGIN);
    expect(a.status).toBe(503);
    expect(a.headers["retry-after"]).toBe("5");
    expect(server.state().sha512).toBeUndefined();
    expect(server.state().error).toMatch(/sha512 .* declared/);
    // A wrong size is refused before hashing.
    await server.setPlugin({ mode: "serve", path: p.path, sha512: p.sha512, size: p.size + 1 });
    await server.settled();
    expect(server.state().error).toMatch(/4096 bytes, 4097 declared/);
    // The right declaration: served.
    await server.setPlugin({ mode: "serve", path: p.path, sha512: p.sha512, size: p.size });
    await server.settled();
    expect((await http(port, PLUGIN)).status).toBe(200);
  });

  it("answers 404 with a reason when no plugin is required or none is attached", async () => {
    const port = await start();
    await server.setPlugin({ mode: "not-required" });
    const a = await http(port, PLUGIN);
    expect(a.status).toBe(404);
    expect(JSON.parse(a.body.toString()).error).toMatch(/not-required/);
    await server.setPlugin({ mode: "missing" });
    const b = await http(port, PLUGIN);
    expect(b.status).toBe(404);
    expect(JSON.parse(b.body.toString()).error).toMatch(/not attached/);
  });

  it("keeps serving the bytes it verified when the file is replaced, and re-verifies on the next setPlugin", async () => {
    const p = await serve(64 * 1024);
    const other = Buffer.alloc(p.size, 7);
    writeFileSync(`${dir.dir}/new.tar`, other);
    renameSync(`${dir.dir}/new.tar`, p.path);
    const a = await http(p.port, PLUGIN);
    expect(sha512(a.body)).toBe(p.sha512); // the handle it hashed, not the new file
    await server.setPlugin({ mode: "serve", path: p.path, sha512: p.sha512, size: p.size });
    await server.settled();
    expect((await http(p.port, PLUGIN)).status).toBe(503);
    expect(server.state().error).toMatch(/sha512/);
  });

  it("stops serving a file modified in place, and verifies it again", async () => {
    const p = await serve(64 * 1024);
    const tampered = Buffer.from(p.data);
    tampered[0] = (tampered[0]! + 1) % 256;
    await new Promise((r) => setTimeout(r, 20)); // a later mtime
    writeFileSync(p.path, tampered);
    expect((await http(p.port, PLUGIN)).status).toBe(503);
    await server.settled();
    expect(server.state().sha512).toBeUndefined();
    expect(server.state().error).toMatch(/sha512/);
  });
});

describe("nothing else is reachable", () => {
  it.each([
    "/api/v1/plugin/../../etc/passwd",
    "/api/v1/plugin/%2e%2e/%2e%2e/etc/passwd",
    "/api/v1/plugin%2f..%2f..%2fetc%2fpasswd",
    "/api/v1/%2e%2e/plugin",
    "/api/v1/plugin/plugin.tar",
    "/api/v1/plugin//",
    "/../../etc/passwd",
    "//etc/passwd",
    "/API/V1/PLUGIN",
    "/",
  ])("%s → 404", async (path) => {
    const p = await serve(1024);
    const a = await http(p.port, path);
    expect(a.status).toBe(404);
    expect(a.body.includes(p.data.subarray(0, 64))).toBe(false);
  });

  it("refuses other methods with 405 and Allow", async () => {
    const p = await serve(1024);
    for (const method of ["POST", "PUT", "DELETE"]) {
      const a = await http(p.port, PLUGIN, { method });
      expect(a.status).toBe(405);
      expect(a.headers.allow).toBe("GET, HEAD");
    }
  });

  it("answers health on both liveness routes, and serves /metrics", async () => {
    const p = await serve(1024);
    for (const path of ["/healthz", "/api/v1/healthcheck/liveness"]) {
      const a = await http(p.port, path);
      expect(a.status).toBe(200);
      expect(JSON.parse(a.body.toString())).toEqual({ status: "ok", plugin: "verified", verified: true });
    }
    const m = await http(p.port, "/metrics");
    expect(m.status).toBe(200);
    expect(m.body.toString()).toBe("m_total 1\n");
  });
});

describe("limits", () => {
  it("serves concurrent downloads, each complete and correct", async () => {
    const p = await serve(5 * 1024 * 1024 + 3);
    const answers = await Promise.all(Array.from({ length: 8 }, () => http(p.port, PLUGIN)));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(sha512(a.body)).toBe(p.sha512);
    }
    expect(server.state()).toMatchObject({ downloads: 8, activeDownloads: 0, bytesServed: 8 * p.size });
  });

  it("answers 503 beyond the download limit, and frees the slots when clients go away", async () => {
    const p = await serve(32 * 1024 * 1024, { maxDownloads: 2 });
    // Two clients that stop reading: the server blocks on backpressure and keeps their slots.
    const stalled = [0, 1].map(
      () =>
        new Promise<ReturnType<typeof request>>((resolve) => {
          const req = request({ host: "127.0.0.1", port: p.port, path: PLUGIN, agent: false }, (res) => {
            res.pause();
            resolve(req);
          });
          req.end();
        }),
    );
    const reqs = await Promise.all(stalled);
    await eventually(
      async () => server.state().activeDownloads,
      (n) => n === 2,
    );
    const busy = await http(p.port, PLUGIN);
    expect(busy.status).toBe(503);
    expect(busy.headers["retry-after"]).toBe("5");
    expect(JSON.parse(busy.body.toString()).error).toMatch(/2 downloads/);
    expect((await http(p.port, PLUGIN, { method: "HEAD" })).status).toBe(200); // HEAD takes no slot
    for (const r of reqs) r.destroy();
    await eventually(
      async () => server.state().activeDownloads,
      (n) => n === 0,
    );
    expect(downloads.filter((d) => d.outcome === "aborted")).toHaveLength(2);
  });

  it("keeps serving correct bytes when clients that stopped reading hold every pooled buffer", async () => {
    // One pooled pair of 256 KiB: the stalled client takes it, the others stream through their own small pairs.
    const p = await serve(8 * 1024 * 1024 + 5, { chunkBytes: 256 * 1024, bufferPoolBytes: 512 * 1024 });
    const stalled = await new Promise<ReturnType<typeof request>>((resolve) => {
      const req = request({ host: "127.0.0.1", port: p.port, path: PLUGIN, agent: false }, (res) => {
        res.pause();
        resolve(req);
      });
      req.end();
    });
    await eventually(
      async () => server.state().activeDownloads,
      (n) => n === 1,
    );
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, () => http(p.port, PLUGIN)),
      http(p.port, PLUGIN, { headers: { range: "bytes=1000-3000000" } }),
    ]);
    for (const a of answers.slice(0, 4)) expect(sha512(a.body)).toBe(p.sha512);
    expect(answers[4]!.status).toBe(206);
    expect(answers[4]!.body.equals(p.data.subarray(1000, 3000001))).toBe(true);
    stalled.destroy();
    await eventually(
      async () => server.state().activeDownloads,
      (n) => n === 0,
    );
    // Its pair went back to the pool once its socket closed; downloads go on being served whole.
    expect(sha512((await http(p.port, PLUGIN)).body)).toBe(p.sha512);
  });

  it("handles client aborts without leaking file handles or sockets", async () => {
    const p = await serve(16 * 1024 * 1024);
    await http(p.port, PLUGIN, { method: "HEAD" }); // warm up
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const req = request({ host: "127.0.0.1", port: p.port, path: PLUGIN, agent: false }, (res) => {
          res.once("data", () => {
            req.destroy();
            resolve();
          });
        });
        req.on("error", () => undefined);
        req.end();
      });
    }
    await eventually(
      async () => ({ active: server.state().activeDownloads, fds: openFds() }),
      (s) => s.active === 0 && s.fds <= before,
    );
    expect(downloads.filter((d) => d.outcome === "aborted")).toHaveLength(20);
    expect(downloads.every((d) => d.bytes < p.size)).toBe(true);
    // And it still serves.
    expect(sha512((await http(p.port, PLUGIN)).body)).toBe(p.sha512);
  });

  it("closes a connection whose request head trickles in (slowloris)", async () => {
    const p = await serve(1024, { headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const socket = connect(p.port, "127.0.0.1");
    let received = "";
    socket.on("data", (d) => {
      received += d.toString();
    });
    socket.on("error", () => undefined);
    await new Promise((r) => socket.once("connect", r));
    socket.write(`GET ${PLUGIN} HTTP/1.1\r\nHost: x\r\n`);
    await trickleUntilClosed(socket, "X-Slow: 1\r\n");
    expect(received).toMatch(/^HTTP\/1.1 408 /);
  });

  it("refuses an oversized request head", async () => {
    const p = await serve(1024, { maxHeaderBytes: 1024 });
    const a = await http(p.port, PLUGIN, { headers: { "x-big": "a".repeat(4096) } });
    expect(a.status).toBe(431);
  });
});

describe("buffer pool", () => {
  it("lends pairs up to its budget, reuses the ones given back, and lends small unpooled pairs beyond", () => {
    const pool = new BufferPool(256 * 1024, 1024 * 1024); // room for two pairs
    const a = pool.acquire();
    const b = pool.acquire();
    const c = pool.acquire();
    expect([a.pooled, b.pooled, c.pooled]).toEqual([true, true, false]);
    expect(a.pair.map((x) => x.length)).toEqual([256 * 1024, 256 * 1024]);
    expect(c.pair.map((x) => x.length)).toEqual([FALLBACK_CHUNK_BYTES, FALLBACK_CHUNK_BYTES]);
    expect(a.pair[0]).not.toBe(a.pair[1]);
    pool.release(c);
    pool.release(a);
    const d = pool.acquire();
    expect(d.pooled).toBe(true);
    expect(d.pair).toBe(a.pair); // the same memory, not a new allocation
    expect(pool.acquire().pooled).toBe(false); // c was never the pool's to keep
    expect(pool.pairs).toBe(2);
  });

  it("never lends a fallback pair larger than the chunk size, and lends none pooled without a budget", () => {
    const pool = new BufferPool(4096, 0);
    const lent = pool.acquire();
    expect(lent.pooled).toBe(false);
    expect(lent.pair.map((x) => x.length)).toEqual([4096, 4096]);
    expect(pool.pairs).toBe(0);
  });
});

describe("parsers", () => {
  it("parseRange follows RFC 9110 for one range", () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-200", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-500", 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=9-1", 100)).toBeUndefined();
    expect(parseRange("items=0-1", 100)).toBeUndefined();
    expect(parseRange("bytes=0-1,3-4", 100)).toBeUndefined();
    expect(parseRange("bytes=99999999999999999999-", 100)).toBeUndefined();
  });

  it("etagMatches compares weakly and accepts *", () => {
    expect(etagMatches('W/"a", "b"', '"a"')).toBe(true);
    expect(etagMatches("*", '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
    expect(etagMatches(undefined, '"a"')).toBe(false);
  });
});

describe("listening", () => {
  it("reports a port it cannot take, and moves when asked", async () => {
    const port = await start();
    const second = new PluginServer({ log: captureLog() });
    try {
      await second.listen("127.0.0.1", port);
      expect(second.state()).toMatchObject({ listening: false });
      expect(second.state().error).toMatch(/EADDRINUSE/);
      await second.listen("127.0.0.1", 0);
      expect(second.state().listening).toBe(true);
      expect(second.state().error).toBeUndefined();
    } finally {
      await second.close();
    }
    expect(changes).toBeGreaterThan(0);
  });
});
