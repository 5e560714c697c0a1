import { execFileSync } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import {
  type KafkaConnectCluster,
  type KafkaConnectWorkerControl,
  startWorkerControl,
} from "../../../lib/testing/kafka-connect/index.js";
import {
  listenerScheme,
  MAX_WORKER_CONFIG_BYTES,
  WorkerConfigError,
} from "../../../lib/testing/kafka-connect/worker-config.js";
import { call, useClusters } from "./support.js";

const start = useClusters();
const controls: KafkaConnectWorkerControl[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(controls.splice(0).map((c) => c.close()));
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

/** An undici Agent that trusts only the cluster's test CA (verification stays on). */
function trusting(c: KafkaConnectCluster): Agent {
  const agent = new Agent({ connect: { ca: c.caPem! } });
  agents.push(agent);
  return agent;
}

const portOf = (endpoint: string) => new URL(endpoint).port;
const configFileOf = (c: KafkaConnectCluster, i: number) => c.workerFiles(i).configFile!;

describe("listenerScheme (Kafka's listeners rules)", () => {
  const scheme = (value: string | undefined, fallback: "http" | "https" = "http") =>
    listenerScheme(new Map(value === undefined ? [] : [["listeners", value]]), fallback);

  it("gives the fallback without listeners, else the first listener's protocol, case-insensitive", () => {
    expect(scheme(undefined)).toBe("http");
    expect(scheme(undefined, "https")).toBe("https");
    expect(scheme("https://:8083")).toBe("https");
    expect(scheme("HTTPS://myhost:8443", "http")).toBe("https");
    expect(scheme(" http://127.0.0.1:8083 , https://[::1]:8443 ", "https")).toBe("http");
    expect(listenerScheme(new Map([["group.id", "x"]]), "http")).toBe("http"); // unknown keys: ignored
  });

  it.each([
    ["", "at least one URL is expected"],
    ["http://:1,,https://:2", "Empty URL found when parsing listeners list."],
    ["localhost:8083", "Listener doesn't have the right format (protocol://hostname:port)."],
    ["http://:port", "Listener doesn't have the right format"],
    ["http://host/path:1", "Listener doesn't have the right format"],
    ["ftp://:21", 'Listener protocol must be either "http" or "https".'],
    ["http://:1,gopher://:2", 'Listener protocol must be either "http" or "https".'],
    ["http://:70000", "Listener port 70000 is out of range."],
    [`http://${"a".repeat(5000)}:1`, "Listener longer than 1024 characters"],
  ])("refuses %j as Kafka would", (value, message) => {
    expect(() => scheme(value)).toThrow(WorkerConfigError);
    expect(() => scheme(value)).toThrow(message);
  });
});

describe("each worker's config file (perWorkerFiles)", () => {
  it("starts empty: http endpoints, a CA made at start; each worker's own file", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    expect(c.caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const files = [0, 1].map((i) => configFileOf(c, i));
    expect(new Set(files).size).toBe(2);
    for (const f of files) expect(await readFile(f, "latin1")).toBe("");
    for (const e of c.endpoints) expect(e).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(c.workerFiles(0).configFile).toBeDefined();
  });

  it("listeners=https switches that worker's listener at its restart, same port; the endpoint follows; and back", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    const before = c.endpoints[1]!;
    const port = portOf(before);
    await writeFile(
      configFileOf(c, 1),
      `# written by the provider\nlisteners=https://:${port}\ngroup.id=x\n`,
    );
    // Read at start only: nothing changes until the restart.
    expect((await call(before, "GET", "/")).status).toBe(200);
    await c.restartWorker(1);
    await c.rebalanceSettled();
    const after = c.endpoints[1]!;
    expect(after).toBe(`https://127.0.0.1:${port}`);
    expect((await call(after, "GET", "/", { dispatcher: trusting(c) })).status).toBe(200);
    // Verification is on: without the CA the certificate is refused; plain http gets no HTTP answer.
    await expect(call(after, "GET", "/")).rejects.toThrow();
    await expect(call(before, "GET", "/")).rejects.toThrow();
    // Worker 0 read its own (empty) file: still http.
    expect(c.endpoints[0]).toMatch(/^http:/);
    expect((await call(c.endpoints[0]!, "GET", "/")).status).toBe(200);

    await writeFile(configFileOf(c, 1), `listeners=http://:${port}\n`);
    await c.restartWorker(1);
    expect(c.endpoints[1]).toBe(before);
    expect((await call(before, "GET", "/")).status).toBe(200);
  });

  it("the worker control gives configFile and caFile, and its endpoint follows the scheme after a restart", async () => {
    const c = await start({ workers: 1, perWorkerFiles: true });
    const ctl = await startWorkerControl(c);
    controls.push(ctl);
    const info = (await call(ctl.url, "GET", "/workers/0")).json as Record<string, unknown>;
    expect(info.configFile).toBe(configFileOf(c, 0));
    expect(await readFile(info.caFile as string, "utf8")).toBe(c.caPem);
    await writeFile(configFileOf(c, 0), `listeners=https://:${portOf(c.endpoints[0]!)}\n`);
    expect((await call(ctl.url, "POST", "/workers/0/restart")).status).toBe(204);
    const now = (await call(ctl.url, "GET", "/workers/0")).json as Record<string, unknown>;
    expect(now).toMatchObject({ running: true, endpoint: c.endpoints[0] });
    expect(now.endpoint).toMatch(/^https:/);
  });

  it("a bad listeners value keeps the worker down: the restart answers the error, a fixed file starts it", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true });
    const ctl = await startWorkerControl(c);
    controls.push(ctl);
    const endpoint = c.endpoints[1]!;
    await writeFile(configFileOf(c, 1), "listeners=ftp://:21\n");
    const res = await call(ctl.url, "POST", "/workers/1/restart");
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      error: 'worker 1 stopped: Listener protocol must be either "http" or "https".',
    });
    expect(c.workerRunning(1)).toBe(false);
    expect(((await call(ctl.url, "GET", "/workers/1")).json as { running: boolean }).running).toBe(false);
    await expect(call(endpoint, "GET", "/")).rejects.toThrow(); // nothing listens
    expect((await call(c.endpoints[0]!, "GET", "/")).status).toBe(200); // the other worker is untouched

    await writeFile(configFileOf(c, 1), "");
    expect((await call(ctl.url, "POST", "/workers/1/start")).status).toBe(204);
    expect(c.workerRunning(1)).toBe(true);
    expect((await call(c.endpoints[1]!, "GET", "/")).status).toBe(200);
  });

  it("a config file that is too big, a directory or a FIFO fails the start without stalling; absent = http", async () => {
    const c = await start({ workers: 1, perWorkerFiles: true });
    const file = configFileOf(c, 0);
    await writeFile(file, `# ${"x".repeat(MAX_WORKER_CONFIG_BYTES)}\nlisteners=https://:1\n`);
    await expect(c.restartWorker(0)).rejects.toThrow(`larger than ${MAX_WORKER_CONFIG_BYTES} bytes`);
    expect(c.workerRunning(0)).toBe(false);

    await rm(file);
    await mkdir(file);
    await expect(c.startWorker(0)).rejects.toThrow("is not a regular file");
    await rm(file, { recursive: true });
    execFileSync("mkfifo", [file]);
    await expect(c.startWorker(0)).rejects.toThrow("is not a regular file");
    expect(c.workerRunning(0)).toBe(false);

    await rm(file);
    await c.startWorker(0);
    expect(c.endpoints[0]).toMatch(/^http:/);
    expect((await call(c.endpoints[0]!, "GET", "/")).status).toBe(200);
  });

  it("with tls: true, a worker whose file sets no listeners serves https; one that says http serves http", async () => {
    const c = await start({ workers: 2, perWorkerFiles: true, tls: true });
    expect(c.endpoints.every((e) => e.startsWith("https:"))).toBe(true);
    await writeFile(configFileOf(c, 0), `listeners=http://:${portOf(c.endpoints[0]!)}\n`);
    await c.restartWorker(0);
    expect(c.endpoints[0]).toMatch(/^http:/);
    expect((await call(c.endpoints[0]!, "GET", "/")).status).toBe(200);
    expect((await call(c.endpoints[1]!, "GET", "/", { dispatcher: trusting(c) })).status).toBe(200);
  });
});
