import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_TIMING,
  type KafkaConnectCluster,
  type KafkaConnectClusterOptions,
  type RebalanceOptions,
} from "./api.js";
import { type Credentials, formatCredentials, parseProperties } from "./auth.js";
import { ConnectEngine } from "./engine.js";
import type { FaultSpec } from "./faults.js";
import { Gateway } from "./gateway.js";
import { builtInPlugins, extractPluginTarball, scanPluginPath } from "./plugins.js";
import type { RequestRecord } from "./record.js";
import type { ConnectorOffset } from "./state.js";
import type { TestTls } from "./tls.js";
import { parseVersion } from "./versions.js";
import { freshLoggers, newWorker, type WorkerRuntime } from "./worker.js";
import { listenWorker, shutdownServer } from "./worker-app.js";

export type {
  ConnectorSnapshot,
  KafkaConnectCluster,
  KafkaConnectClusterOptions,
  RebalanceOptions,
  Timing,
} from "./api.js";
export { DEFAULT_TIMING } from "./api.js";

/**
 * N workers in one process sharing one config/status store, each an express app on its own port: the engine
 * (state machine, no I/O), the gateway (records, latency, faults, forwarding) in front of the REST routes, and
 * here the I/O around them: servers, the credentials file, the plugin path, temp dirs.
 */
class Cluster implements KafkaConnectCluster {
  readonly endpoints: string[] = [];
  credentialsFile: string | undefined;
  private readonly gateway: Gateway;

  private constructor(
    private readonly engine: ConnectEngine,
    readonly pluginPath: string,
    private readonly ownedDirs: string[],
    private readonly tls: TestTls | undefined,
    recordLimit: number,
  ) {
    this.gateway = new Gateway(engine, recordLimit);
  }

  static async start(opts: KafkaConnectClusterOptions = {}): Promise<Cluster> {
    const count = opts.workers ?? 3;
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`workers must be a positive integer, got ${count}`);
    const limit = opts.recordLimit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0) && limit !== Number.POSITIVE_INFINITY)
      throw new RangeError(`recordLimit must be a positive integer, got ${limit}`);
    parseVersion(opts.version ?? "3.9"); // fail before creating anything
    const owned: string[] = [];
    const pluginPath = opts.pluginPath ?? (await mkdtemp(join(tmpdir(), "kc-emulator-plugins-")));
    if (!opts.pluginPath) owned.push(pluginPath);
    const tls = opts.tls ? await (await import("./tls.js")).generateTestTls() : undefined;
    const engine = new ConnectEngine({
      version: opts.version ?? "3.9",
      timing: { ...DEFAULT_TIMING, ...opts.timing },
      topicTracking: opts.topicTracking ?? true,
      topicTrackingReset: opts.topicTrackingReset ?? true,
    });
    const cluster = new Cluster(engine, pluginPath, owned, tls, limit ?? Number.POSITIVE_INFINITY);
    try {
      if (typeof opts.auth === "string") cluster.credentialsFile = opts.auth;
      else if (opts.auth) await cluster.setCredentials(opts.auth.users);
      for (let i = 0; i < count; i++) {
        const worker = newWorker(i, opts.basePort === undefined ? 0 : opts.basePort + i);
        engine.workers.push(worker);
        await cluster.boot(worker);
        cluster.endpoints.push(`${tls ? "https" : "http"}://127.0.0.1:${worker.port}`);
      }
      return cluster;
    } catch (e) {
      await cluster.close();
      throw e;
    }
  }

  get caPem(): string | undefined {
    return this.tls?.caPem;
  }

  get version(): string {
    return this.engine.version;
  }

  get leader(): number | null {
    return this.engine.leader;
  }

  get requests(): readonly RequestRecord[] {
    return this.gateway.requests;
  }

  // ---- workers ---------------------------------------------------------------------------------------

  /** Starts a worker's JVM, as it were: scans plugins, reads credentials, fresh loggers, listens. */
  private async boot(w: WorkerRuntime): Promise<void> {
    const scanned = await scanPluginPath(this.pluginPath);
    w.plugins = [...builtInPlugins(this.engine.version), ...scanned.plugins];
    w.pluginProblems = scanned.problems;
    w.credentials = await this.readCredentials();
    w.loggers = freshLoggers();
    w.generation++;
    await listenWorker(w, this.tls, (incoming) => this.gateway.serve(w.index, incoming));
    if (this.engine.closed) {
      // close() ran while this worker was booting: it must not outlive the cluster.
      await shutdownServer(w);
      return;
    }
    w.running = true;
  }

  private async readCredentials(): Promise<Credentials | "unreadable" | null> {
    if (this.credentialsFile === undefined) return null;
    try {
      return parseProperties(await readFile(this.credentialsFile, "latin1"));
    } catch {
      return "unreadable";
    }
  }

  async stopWorker(i: number): Promise<void> {
    const w = this.engine.worker(i);
    if (!w.running) return;
    this.engine.leave(i);
    this.gateway.latency.wake(i);
    await shutdownServer(w);
    await Promise.all(w.inFlight);
    this.engine.beginRebalance(this.engine.timing.rebalanceMs);
  }

  async startWorker(i: number): Promise<void> {
    const w = this.engine.worker(i);
    if (w.running || this.engine.closed) return;
    await this.boot(w);
    this.engine.join(i);
  }

  async restartWorker(i: number): Promise<void> {
    await this.stopWorker(i);
    await this.startWorker(i);
  }

  async rollingRestart(): Promise<void> {
    for (const w of this.engine.workers) {
      if (!w.running) continue;
      await this.restartWorker(w.index);
      await this.engine.rebalanceSettled();
    }
  }

  async installPlugin(tarball: Buffer | string): Promise<string> {
    return extractPluginTarball(this.pluginPath, tarball);
  }

  async setCredentials(users: Record<string, string>): Promise<void> {
    if (this.credentialsFile === undefined) {
      const dir = await mkdtemp(join(tmpdir(), "kc-emulator-auth-"));
      this.ownedDirs.push(dir);
      this.credentialsFile = join(dir, "connect.password");
    }
    await writeFile(this.credentialsFile, formatCredentials(users), { encoding: "latin1", mode: 0o600 });
  }

  // ---- the engine's controls -------------------------------------------------------------------------

  rebalance(opts?: RebalanceOptions): void {
    this.engine.rebalance(opts);
  }

  failTask(connector: string, task: number, trace: string): void {
    this.engine.failTask(connector, task, trace);
  }

  failConnector(connector: string, trace: string): void {
    this.engine.failConnector(connector, trace);
  }

  setActiveTopics(connector: string, topics: readonly string[]): void {
    this.engine.setActiveTopics(connector, topics);
  }

  setOffsets(connector: string, offsets: readonly ConnectorOffset[]): void {
    this.engine.setOffsets(connector, offsets);
  }

  connector(name: string) {
    return this.engine.connector(name);
  }

  idle(): Promise<void> {
    return this.engine.idle();
  }

  rebalanceSettled(): Promise<void> {
    return this.engine.rebalanceSettled();
  }

  // ---- faults ----------------------------------------------------------------------------------------

  injectFault(fault: FaultSpec): void {
    this.gateway.faults.add(fault);
  }

  clearFaults(): void {
    this.gateway.faults.clear();
  }

  latency(ms: number): void {
    this.gateway.latency.set(ms);
  }

  async close(): Promise<void> {
    if (this.engine.closed) return;
    this.engine.close();
    this.gateway.latency.close();
    const workers = this.engine.workers;
    await Promise.all(workers.map((w) => shutdownServer(w)));
    // Requests woken from their latency are dropped; wait for that, so none is served after close().
    await Promise.all(workers.flatMap((w) => [...w.inFlight]));
    this.engine.release();
    await Promise.all(this.ownedDirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** Starts N emulated Kafka Connect workers on 127.0.0.1; always `close()` it. */
export async function startKafkaConnectCluster(
  opts: KafkaConnectClusterOptions = {},
): Promise<KafkaConnectCluster> {
  return Cluster.start(opts);
}
