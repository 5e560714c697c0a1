import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DesiredState } from "../charm/common/desired-state.js";
import { DESIRED_FILE } from "../charm/common/files.js";
import { connectorName } from "../charm/common/names.js";
import { reconcile } from "../charm/workload/reconciler/index.js";
import { startWorkload } from "../charm/workload/service.js";
import { startKafkaConnectCluster } from "../lib/testing/index.js";
import { freeLoopbackPort } from "../lib/testing/net.js";
import type { Result } from "./juju-hooks.js";
import { median } from "./stats.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const CLIENTS = 4;
const RUNS = 5;
const ROOT = join(import.meta.dirname, "..");

/**
 * One client process: GETs `url` over a raw socket, reading into one reusable 1 MiB buffer (node:http's
 * client allocates per 64 KiB read and parses in JS: measured at ~1 CPU s per GiB, it was the bottleneck of
 * 4 downloads in one process). Counts the body against Content-Length; with "sha512" also hashes it. Prints
 * {bytes, t0, t1, cpuMs, sha512?} with wall-clock times, so the rounds can take first start → last end.
 */
const CLIENT_SCRIPT = `
const { connect } = require("node:net");
const { createHash } = require("node:crypto");
const url = new URL(process.argv[1]);
const hash = process.argv[2] === "sha512" ? createHash("sha512") : undefined;
const now = () => performance.timeOrigin + performance.now();
const fail = (m) => { console.error(m); process.exit(1); };
const t0 = now();
let head = Buffer.alloc(0), length = -1, got = 0;
const sock = connect({ host: url.hostname, port: Number(url.port), onread: { buffer: Buffer.allocUnsafe(1 << 20), callback(n, buf) {
  let body = buf.subarray(0, n);
  if (length < 0) {
    head = Buffer.concat([head, body]);
    const i = head.indexOf("\\r\\n\\r\\n");
    if (i < 0) return head.length > 65536 ? fail("head too long") : undefined;
    const text = head.subarray(0, i).toString("latin1");
    if (!/^HTTP\\/1\\.[01] 200 /.test(text)) fail(text.split("\\r\\n")[0]);
    const m = /\\r\\ncontent-length: *(\\d+)/i.exec(text);
    if (!m) fail("no Content-Length");
    length = Number(m[1]);
    body = head.subarray(i + 4);
  }
  got += body.length;
  hash?.update(body);
  if (got > length) fail("more bytes than Content-Length");
  if (got === length) {
    const t1 = now();
    const { user, system } = process.cpuUsage();
    console.log(JSON.stringify({ bytes: got, t0, t1, cpuMs: (user + system) / 1000, sha512: hash?.digest("hex") }));
    sock.destroy();
  }
} } });
sock.on("connect", () => sock.write("GET " + url.pathname + " HTTP/1.1\\r\\nHost: " + url.host + "\\r\\nConnection: close\\r\\n\\r\\n"));
sock.on("end", () => { if (got < length || length < 0) fail("closed after " + got + " of " + length + " bytes"); });
sock.on("error", (e) => fail(e.message));`;

interface ClientResult {
  bytes: number;
  t0: number;
  t1: number;
  cpuMs: number;
  sha512?: string;
}

const download = async (url: string, mode = "count") =>
  JSON.parse(await run(process.execPath, ["-e", CLIENT_SCRIPT, url, mode])) as ClientResult;

async function procStatusKiB(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  if (!m) throw new Error(`no ${field} for ${pid}`);
  return Number(m[1]);
}

/** CPU seconds (user + system) the process has used: a figure the machine's load hardly changes. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function waitFor(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url, { method: "HEAD" });
      if (r.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Round {
  gibps: number;
  rssGrowthMiB: number;
  serverCpuPerGiB: number;
  clientCpuPerGiB: number;
}

/**
 * One round against a server process: CLIENTS client processes at once; aggregate GiB/s from the first start
 * to the last end; the server's peak RSS growth, exactly: its VmHWM is reset (clear_refs 5) before the round
 * and read after, against its VmRSS before; the CPU the server and the clients spent per GiB.
 */
async function round(url: string, serverPid: number): Promise<Round> {
  await writeFile(`/proc/${serverPid}/clear_refs`, "5");
  const rssBefore = await procStatusKiB(serverPid, "VmRSS");
  const cpuBefore = await cpuSeconds(serverPid);
  const results = await Promise.all(Array.from({ length: CLIENTS }, () => download(url)));
  const hwm = await procStatusKiB(serverPid, "VmHWM");
  const cpu = (await cpuSeconds(serverPid)) - cpuBefore;
  const bytes = results.reduce((sum, r) => sum + r.bytes, 0);
  if (bytes !== CLIENTS * GiB) throw new Error(`downloaded ${bytes} bytes, expected ${CLIENTS * GiB}`);
  const seconds = (Math.max(...results.map((r) => r.t1)) - Math.min(...results.map((r) => r.t0))) / 1000;
  return {
    gibps: bytes / GiB / seconds,
    rssGrowthMiB: (hwm - rssBefore) / 1024,
    serverCpuPerGiB: cpu / (bytes / GiB),
    clientCpuPerGiB: results.reduce((sum, r) => sum + r.cpuMs, 0) / 1000 / (bytes / GiB),
  };
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err}`)),
    );
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

async function makeTarball(path: string): Promise<string> {
  // Content does not matter to either server; 16 MiB of random bytes repeated keeps generation quick.
  const block = randomBytes(16 * MiB);
  const fh = await open(path, "w");
  try {
    for (let i = 0; i < GiB / block.length; i++) await fh.write(block);
  } finally {
    await fh.close();
  }
  const hash = createHash("sha512");
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function desired(stateDir: string, overrides: Partial<DesiredState>): DesiredState {
  return {
    version: 1,
    generation: 1,
    writtenAt: new Date().toISOString(),
    unit: "kci/0",
    app: "kci",
    modelUuid: "0b9c2f4e-6a1d-4c3b-9e8f-1a2b3c4d5e6f",
    charmDir: stateDir,
    port: 8080,
    plugin: { mode: "not-required" },
    leader: false,
    connectors: [],
    holds: {},
    restartPolicy: { enabled: true, maxRestarts: 10, backoffUnitMs: 60_000 },
    reconcileIntervalMs: 30_000,
    history: {},
    ...overrides,
  };
}

async function benchPluginServer(): Promise<Result[]> {
  const dir = await mkdtemp(join(tmpdir(), "kci-bench-"));
  const children: ChildProcess[] = [];
  try {
    const tarball = join(dir, "plugin.tar");
    const sha512 = await makeTarball(tarball);
    const port = await freeLoopbackPort();
    await writeFile(
      join(dir, DESIRED_FILE),
      JSON.stringify(desired(dir, { port, plugin: { mode: "serve", path: tarball, sha512, size: GiB } })),
      { mode: 0o600 },
    );
    const workload = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "charm/workload/main.ts"), "--state-dir", dir, "--host", "127.0.0.1"],
      { stdio: "ignore", cwd: ROOT },
    );
    children.push(workload);
    const ours = `http://127.0.0.1:${port}/api/v1/plugin`;
    await waitFor(ours, 60_000); // it hashes the GiB before it serves it

    const pyPort = await freeLoopbackPort();
    const python = spawn(
      "python3",
      ["-m", "http.server", String(pyPort), "--bind", "127.0.0.1", "--directory", dir],
      {
        stdio: "ignore",
      },
    );
    children.push(python);
    const theirs = `http://127.0.0.1:${pyPort}/plugin.tar`;
    await waitFor(theirs, 10_000);

    // Same bytes from both, checked once outside the timed rounds (hashing would slow the client).
    for (const url of [ours, theirs]) {
      const check = await download(url, "sha512");
      if (check.sha512 !== sha512) throw new Error(`${url} served other bytes than the file's`);
    }

    const oursRuns: Round[] = [];
    const theirRuns: Round[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate who goes first, so neither side always meets a warmer cache or a quieter machine.
      if (i % 2 === 0) {
        oursRuns.push(await round(ours, workload.pid!));
        theirRuns.push(await round(theirs, python.pid!));
      } else {
        theirRuns.push(await round(theirs, python.pid!));
        oursRuns.push(await round(ours, workload.pid!));
      }
    }
    const med = (runs: Round[], key: keyof Round) => median(runs.map((r) => r[key]));
    const oursGibps = med(oursRuns, "gibps");
    const theirGibps = med(theirRuns, "gibps");
    const growth = Math.max(...oursRuns.map((r) => r.rssGrowthMiB));
    const theirGrowth = Math.max(...theirRuns.map((r) => r.rssGrowthMiB));
    const hwm = (await procStatusKiB(workload.pid!, "VmHWM")) / 1024;
    return [
      {
        name: `plugin server: ${CLIENTS} clients × 1 GiB on loopback, aggregate (median of ${RUNS})`,
        value: `${oursGibps.toFixed(2)} GiB/s (python3 -m http.server: ${theirGibps.toFixed(2)} GiB/s; each run ${oursRuns.map((r) => r.gibps.toFixed(2)).join(" ")} vs ${theirRuns.map((r) => r.gibps.toFixed(2)).join(" ")})`,
        target: "≥ python3 -m http.server in the same run",
        ok: oursGibps >= theirGibps,
      },
      {
        name: "plugin server: server CPU per GiB served (median)",
        value: `${med(oursRuns, "serverCpuPerGiB").toFixed(2)} s (python3 -m http.server: ${med(theirRuns, "serverCpuPerGiB").toFixed(2)} s; clients ${med(oursRuns, "clientCpuPerGiB").toFixed(2)} s)`,
      },
      {
        name: "plugin server: peak RSS growth while serving (worst run)",
        value: `${growth.toFixed(1)} MiB (each run ${oursRuns.map((r) => r.rssGrowthMiB.toFixed(1)).join(" ")}; python3 -m http.server: ${theirGrowth.toFixed(1)} MiB; our VmHWM after the rounds ${hwm.toFixed(0)} MiB, tsx loader included)`,
        target: "< 64 MiB",
        ok: growth < 64,
      },
    ];
  } finally {
    for (const c of children) await stop(c);
    await rm(dir, { recursive: true, force: true });
  }
}

/** A failed task, seen by the loop and restarted: the time from the failure to the restart request. */
async function benchFailedTaskRestart(): Promise<Result[]> {
  const INTERVAL_MS = 1000;
  const SAMPLES = 5;
  const dir = await mkdtemp(join(tmpdir(), "kci-bench-loop-"));
  const cluster = await startKafkaConnectCluster({
    workers: 1,
    timing: { assignMs: 1, startMs: 1, restartMs: 1, settleMs: 1, rebalanceMs: 20 },
  });
  const owner = { app: "kci", relation: 3, modelUuid: "0b9c2f4e-6a1d-4c3b-9e8f-1a2b3c4d5e6f" };
  const name = connectorName("mirror", owner);
  const config = {
    "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
    "tasks.max": "1",
    "source.cluster.alias": "a",
    name,
  };
  await writeFile(
    join(dir, DESIRED_FILE),
    JSON.stringify(
      desired(dir, {
        leader: true,
        reconcileIntervalMs: INTERVAL_MS,
        // Backoff before restart n is min(n² + n, 60) × unit: 0 for the first; a tiny unit keeps later ones short.
        restartPolicy: { enabled: true, maxRestarts: 0, backoffUnitMs: 1 },
        kafkaConnect: { relation: 3, endpoints: [...cluster.endpoints], username: "u", password: "p" },
        connectors: [
          { declared: "mirror", name, config, state: "running", declarationHash: "h", secretKeys: [] },
        ],
      }),
    ),
    { mode: 0o600 },
  );
  const workload = await startWorkload({
    stateDir: dir,
    reconcile,
    leadership: async () => true,
    dispatchEvent: async () => undefined,
    listen: { host: "127.0.0.1", port: 0 },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    processMetrics: false,
  });
  try {
    const waitUntil = async (cond: () => boolean, ms: number) => {
      const deadline = performance.now() + ms;
      while (!cond()) {
        if (performance.now() > deadline) throw new Error("condition not reached");
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const running = () => workload.snapshot()?.connectors[0]?.tasks[0]?.state === "RUNNING";
    await waitUntil(running, 10_000);
    const delays: number[] = [];
    const cycles: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      await waitUntil(running, 10_000);
      const seen = cluster.requests.length;
      const restarted = () =>
        cluster.requests.slice(seen).some((r) => r.method === "POST" && r.path.includes("/restart"));
      // A failure lands anywhere in the interval: spread the samples over it.
      await new Promise((r) => setTimeout(r, ((i + 0.5) / SAMPLES) * INTERVAL_MS));
      const t0 = performance.now();
      cluster.failTask(name, 0, "java.lang.RuntimeException: bench");
      await waitUntil(restarted, 3 * INTERVAL_MS);
      delays.push(performance.now() - t0);
      cycles.push(workload.snapshot()?.lastReconcile?.durationMs ?? 0);
    }
    const worst = Math.max(...delays);
    // The restart goes out in the first cycle that starts after the failure: at most one interval later,
    // plus that cycle's own time up to the restart request.
    const bound = INTERVAL_MS + Math.max(...cycles);
    return [
      {
        name: `failed task → restart through the loop (interval ${INTERVAL_MS} ms, ${SAMPLES} runs)`,
        value: `median ${median(delays).toFixed(0)} ms, worst ${worst.toFixed(0)} ms (cycle ≤ ${Math.max(...cycles).toFixed(0)} ms)`,
        target: "≤ one reconcile interval + that cycle's own time",
        ok: worst <= bound,
      },
    ];
  } finally {
    await workload.close();
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `node -e 0` in the same run: how loaded the machine is while the figures above were taken. */
async function nodeBaseline(): Promise<Result> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await run(process.execPath, ["-e", "0"]);
    samples.push(performance.now() - t0);
  }
  return {
    name: "baseline: node -e 0 in the same run (median of 5)",
    value: `${median(samples).toFixed(1)} ms`,
  };
}

/** The integrator's workload: plugin server throughput and memory against http.server; restart latency. */
export async function benchIntegratorWorkload(): Promise<Result[]> {
  const baseline = await nodeBaseline();
  return [baseline, ...(await benchPluginServer()), ...(await benchFailedTaskRestart())];
}
