import { access, readFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_WAITING_OPERATIONS } from "../../../lib/testing/kafka-connect/control.js";
import {
  type KafkaConnectCluster,
  type KafkaConnectWorkerControl,
  type KafkaConnectWorkerControlOptions,
  startWorkerControl,
} from "../../../lib/testing/kafka-connect/index.js";
import { call, eventually, useClusters } from "./support.js";

const start = useClusters();

const controls: KafkaConnectWorkerControl[] = [];
afterEach(async () => {
  await Promise.all(controls.splice(0).map((c) => c.close()));
});

async function control(
  cluster: KafkaConnectCluster,
  opts?: KafkaConnectWorkerControlOptions,
): Promise<KafkaConnectWorkerControl> {
  const ctl = await startWorkerControl(cluster, opts);
  controls.push(ctl);
  return ctl;
}

/** A raw request with node:http, for bodies fetch will not send (chunked, oversized, GET with a body). */
function raw(
  url: string,
  method: string,
  path: string,
  body?: { bytes: Buffer; chunked?: boolean },
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body?.chunked
      ? { "transfer-encoding": "chunked" }
      : { "content-length": String(body?.bytes.length ?? 0) };
    const req = http.request(`${url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString(), headers: res.headers }),
      );
      res.on("error", reject);
    });
    // The server may cut the connection once it has answered a body over its bound.
    req.on("error", (e: NodeJS.ErrnoException) =>
      e.code === "EPIPE" || e.code === "ECONNRESET" ? undefined : reject(e),
    );
    if (body?.chunked) {
      for (let i = 0; i < body.bytes.length; i += 256) req.write(body.bytes.subarray(i, i + 256));
      req.end();
    } else req.end(body?.bytes);
  });
}

/** Whether anything accepts a TCP connection on the port now. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

const portOf = (url: string) => Number(new URL(url).port);

describe("worker control", () => {
  it("GET /workers/<i> describes the worker: endpoint, running, its files, the CA (perWorkerFiles makes one)", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    const ctl = await control(c);
    expect(ctl.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await call(ctl.url, "GET", "/workers/1");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.json).toEqual({
      index: 1,
      endpoint: c.endpoints[1],
      running: true,
      pluginPath: c.workerFiles(1).pluginPath,
      credentialsFile: c.workerFiles(1).credentialsFile,
      configFile: c.workerFiles(1).configFile,
      caFile: expect.stringMatching(/\/ca\.pem$/),
    });
    expect(await readFile((res.json as { caFile: string }).caFile, "utf8")).toBe(c.caPem);
  });

  it("a cluster with shared files and no TLS has no config file and no CA", async () => {
    const c = await start({ workers: 1, auth: { users: {} } });
    const ctl = await control(c);
    const res = await call(ctl.url, "GET", "/workers/0");
    expect(res.json).toMatchObject({ configFile: null, caFile: null });
  });

  it("never answers credentials, only the file's path", async () => {
    const c = await start({ workers: 1, perWorkerFiles: true });
    await c.setCredentials({ admin: "hunter2-secret" });
    const ctl = await control(c);
    const res = await call(ctl.url, "GET", "/workers/0");
    expect(res.status).toBe(200);
    expect(res.text).not.toContain("hunter2-secret");
    expect(res.text).not.toContain("admin");
  });

  it("with TLS, writes the cluster's CA to a file it owns and removes it on close", async () => {
    const c = await start({ workers: 1, perWorkerFiles: true, tls: true });
    const ctl = await control(c);
    const { caFile, endpoint } = (await call(ctl.url, "GET", "/workers/0")).json as {
      caFile: string;
      endpoint: string;
    };
    expect(endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await readFile(caFile, "utf8")).toBe(c.caPem);
    await ctl.close();
    await expect(access(caFile)).rejects.toThrow();
  });

  it("POST restart answers 204 once the worker is back, has re-read its files and its rebalance is over", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    const ctl = await control(c);
    const b = c.endpoints[1]!;
    await c.setCredentials({ admin: "pw" }, { worker: 1 });
    expect((await call(b, "GET", "/")).status).toBe(200); // the empty file it started with
    const res = await call(ctl.url, "POST", "/workers/1/restart");
    expect([res.status, res.text]).toEqual([204, ""]);
    // Right after the 204: the new credentials hold, and the worker is no longer starting (rebalance over).
    expect((await call(b, "GET", "/")).status).toBe(401);
    const health = await call(b, "GET", "/health", { auth: ["admin", "pw"] });
    expect([health.status, (health.json as { status: string }).status]).toEqual([200, "healthy"]);
    expect(((await call(ctl.url, "GET", "/workers/1")).json as { running: boolean }).running).toBe(true);
  });

  it("POST stop and start: the worker goes away and comes back on the same endpoint", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    const ctl = await control(c);
    const b = c.endpoints[1]!;
    expect((await call(ctl.url, "POST", "/workers/1/stop")).status).toBe(204);
    expect(((await call(ctl.url, "GET", "/workers/1")).json as { running: boolean }).running).toBe(false);
    expect(await listening(portOf(b))).toBe(false);
    expect((await call(ctl.url, "POST", "/workers/1/start")).status).toBe(204);
    expect(((await call(ctl.url, "GET", "/workers/1")).json as { running: boolean }).running).toBe(true);
    const health = await call(b, "GET", "/health");
    expect([health.status, (health.json as { status: string }).status]).toEqual([200, "healthy"]);
  });

  it("answers 404 for an unknown worker and for anything that is not exactly a route", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    const ctl = await control(c);
    for (const [method, path] of [
      ["GET", "/workers/2"],
      ["POST", "/workers/7/restart"],
    ] as const) {
      const res = await call(ctl.url, method, path);
      expect([res.status, res.json]).toEqual([404, { error: `no worker ${path.split("/")[2]}` }]);
    }
    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/workers"],
      ["GET", "/workers/"],
      ["GET", "/workers/0/"],
      ["GET", "/workers/01"],
      ["GET", "/workers/-1"],
      ["GET", "/workers/x"],
      ["GET", "/workers/0?x=1"],
      ["GET", "/workers/0/restart"],
      ["POST", "/workers/0"],
      ["PUT", "/workers/0/restart"],
      ["DELETE", "/workers/0"],
      ["POST", "/workers/0/reboot"],
      ["GET", "/workers/99999999999999999999"],
    ] as const) {
      const res = await call(ctl.url, method, path);
      expect([method, path, res.status, res.json]).toEqual([method, path, 404, { error: "not found" }]);
    }
    // None of those restarted anything.
    expect(c.requests).toEqual([]);
    expect(c.workerRunning(0) && c.workerRunning(1)).toBe(true);
  });

  it("ignores a body up to 1 KiB and refuses a bigger one (declared or chunked) with 413, doing nothing", async () => {
    const c = await start({ workers: 1, perWorkerFiles: true });
    const ctl = await control(c);
    const base = c.endpoints[0]!;
    await c.setCredentials({ admin: "pw" });

    for (const chunked of [false, true]) {
      const big = await raw(ctl.url, "POST", "/workers/0/restart", {
        bytes: Buffer.alloc(1025, 0x61),
        chunked,
      });
      expect(big.status).toBe(413);
      expect(JSON.parse(big.text)).toEqual({ error: "request body larger than 1024 bytes" });
      expect(big.headers.connection).toBe("close");
      expect((await call(base, "GET", "/")).status).toBe(200); // not restarted: still the empty file
    }
    const fits = await raw(ctl.url, "POST", "/workers/0/restart", { bytes: Buffer.alloc(1024, 0x61) });
    expect(fits.status).toBe(204);
    expect((await call(base, "GET", "/")).status).toBe(401); // restarted: the new file holds
  });

  it("closes a connection that does not finish its headers in time", async () => {
    const c = await start({ workers: 1, perWorkerFiles: true });
    const ctl = await control(c, { headersTimeoutMs: 100 });
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(portOf(ctl.url), "127.0.0.1", () =>
        socket.write("GET /workers/0 HTTP/1.1\r\n"),
      );
      let text = "";
      socket.on("data", (d: Buffer) => {
        text += d.toString();
      });
      socket.on("close", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("close() leaves nothing listening and cuts idle keep-alive connections; it can be called twice", async () => {
    const c = await start({ workers: 1, perWorkerFiles: true });
    const ctl = await control(c);
    const port = portOf(ctl.url);
    const agent = new http.Agent({ keepAlive: true });
    const kept = await new Promise<net.Socket>((resolve, reject) => {
      const req = http.get(`${ctl.url}/workers/0`, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(req.socket!));
      });
      req.on("error", reject);
    });
    expect(kept.destroyed).toBe(false); // kept alive, idle
    const cut = new Promise<void>((resolve) => kept.once("close", () => resolve()));
    await Promise.all([ctl.close(), ctl.close()]);
    await cut;
    agent.destroy();
    expect(await listening(port)).toBe(false);
  });

  it("a restart under way when close() is called still gets its answer", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true, timing: { rebalanceMs: 300 } });
    const ctl = await control(c);
    const restarting = call(ctl.url, "POST", "/workers/1/restart");
    // Close while the restart waits for its rebalance: the worker is back but still starting.
    await eventually(
      () => call(c.endpoints[1]!, "GET", "/health").catch(() => ({ status: 0 })),
      (r) => r.status === 503,
    );
    await ctl.close();
    expect((await restarting).status).toBe(204);
  });

  it("two control servers on one cluster restart a worker one at a time", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true, timing: { rebalanceMs: 50 } });
    const [a, b] = [await control(c), await control(c)];
    const results = await Promise.all([
      call(a.url, "POST", "/workers/0/restart"),
      call(b.url, "POST", "/workers/0/restart"),
      call(a.url, "POST", "/workers/0/restart"),
      call(b.url, "POST", "/workers/0/stop"),
      call(a.url, "POST", "/workers/0/start"),
    ]);
    expect(results.map((r) => r.status)).toEqual([204, 204, 204, 204, 204]);
    expect(c.workerRunning(0)).toBe(true);
    expect((await call(c.endpoints[0]!, "GET", "/")).status).toBe(200);
  });

  it(`answers pipelined restarts in order, refusing those past ${MAX_WAITING_OPERATIONS} waiting with 503`, async () => {
    const c = await start({ workers: 1, perWorkerFiles: true, timing: { rebalanceMs: 50 } });
    const ctl = await control(c);
    const extra = 3;
    const n = 1 + MAX_WAITING_OPERATIONS + extra;
    const socket = net.connect(portOf(ctl.url), "127.0.0.1");
    let text = "";
    socket.on("data", (b: Buffer) => {
      text += b.toString("latin1");
    });
    socket.write("POST /workers/0/restart HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".repeat(n));
    const statuses = () => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
    await eventually(
      async () => statuses(),
      (s) => s.length === n,
    );
    socket.destroy();
    const s = statuses();
    expect(s.filter((x) => x === 503)).toHaveLength(extra);
    expect(s.filter((x) => x === 204)).toHaveLength(n - extra);
    expect(c.workerRunning(0)).toBe(true);
  });
});
