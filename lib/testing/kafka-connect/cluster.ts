import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_TIMING,
  type KafkaConnectCluster,
  type KafkaConnectClusterOptions,
  type RebalanceOptions,
  type WorkerFiles,
} from "./api.js";
import { formatCredentials } from "./auth.js";
import { readCredentialsFile } from "./credentials.js";
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
import { readWorkerScheme, type Scheme, WorkerConfigError } from "./worker-config.js";

export type {
  ConnectorSnapshot,
  KafkaConnectCluster,
  KafkaConnectClusterOptions,
  RebalanceOptions,
  Timing,
  WorkerFiles,
} from "./api.js";
export { DEFAULT_TIMING } from "./api.js";

/**
 * N workers in one process sharing one config/status store, each an express app on its own port: the engine
 * (state machine, no I/O), the gateway (records, latency, faults, forwarding) in front of the REST routes, and
 * here the I/O around them: servers, the credentials files, the plugin paths, temp dirs.
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
    /** The scheme a worker listens with when its config file sets no `listeners` (the `tls` option). */
    private readonly defaultScheme: Scheme,
    recordLimit: number,
    /** Each worker's own files (perWorkerFiles), or undefined: every worker reads the shared ones. */
    private readonly perWorker: readonly WorkerFiles[] | undefined,
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
    if (opts.perWorkerFiles && (opts.pluginPath !== undefined || opts.auth !== undefined))
      throw new TypeError(
        "perWorkerFiles makes each worker's plugin path and credentials file: no pluginPath or auth",
      );
    // With perWorkerFiles any worker may switch to https at a restart (its config file): the CA is made now.
    const tls =
      opts.tls || opts.perWorkerFiles ? await (await import("./tls.js")).generateTestTls() : undefined;
    // The temp dirs last: nothing between here and the cluster (which removes them on close) can fail.
    const owned: string[] = [];
    const perWorker = opts.perWorkerFiles ? await makeWorkerFiles(count, owned) : undefined;
    const pluginPath =
      perWorker?.[0]?.pluginPath ??
      opts.pluginPath ??
      (await mkdtemp(join(tmpdir(), "kc-emulator-plugins-")));
    if (!perWorker && !opts.pluginPath) owned.push(pluginPath);
    const engine = new ConnectEngine({
      version: opts.version ?? "3.9",
      timing: { ...DEFAULT_TIMING, ...opts.timing },
      topicTracking: opts.topicTracking ?? true,
      topicTrackingReset: opts.topicTrackingReset ?? true,
    });
    const scheme: Scheme = opts.tls ? "https" : "http";
    const cluster = new Cluster(
      engine,
      pluginPath,
      owned,
      tls,
      scheme,
      limit ?? Number.POSITIVE_INFINITY,
      perWorker,
    );
    try {
      if (perWorker) cluster.credentialsFile = perWorker[0]!.credentialsFile;
      else if (typeof opts.auth === "string") cluster.credentialsFile = opts.auth;
      else if (opts.auth) await cluster.setCredentials(opts.auth.users);
      for (let i = 0; i < count; i++) {
        const files = perWorker?.[i] ?? { pluginPath, credentialsFile: cluster.credentialsFile };
        const worker = newWorker(i, opts.basePort === undefined ? 0 : opts.basePort + i, files);
        engine.workers.push(worker);
        await cluster.boot(worker);
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

  /**
   * Starts a worker's JVM, as it were: reads its config file (a bad one fails the start, as it stops Kafka's
   * JVM: the worker stays down), scans its plugins, reads its credentials, fresh loggers, listens with the
   * scheme its config gives, and its endpoint follows.
   */
  private async boot(w: WorkerRuntime): Promise<void> {
    let scheme = this.defaultScheme;
    if (w.configFile !== undefined) {
      try {
        scheme = await readWorkerScheme(w.configFile, this.defaultScheme);
      } catch (e) {
        throw new WorkerConfigError(`worker ${w.index} stopped: ${(e as Error).message}`);
      }
    }
    if (!this.perWorker) {
      // The shared files: setCredentials may have made the file since the worker last started.
      w.pluginPath = this.pluginPath;
      w.credentialsFile = this.credentialsFile;
    }
    const scanned = await scanPluginPath(w.pluginPath);
    w.plugins = [...builtInPlugins(this.engine.version), ...scanned.plugins];
    w.pluginProblems = scanned.problems;
    w.credentials = w.credentialsFile === undefined ? null : await readCredentialsFile(w.credentialsFile);
    w.loggers = freshLoggers();
    w.generation++;
    await listenWorker(w, scheme === "https" ? this.tls : undefined, (incoming) =>
      this.gateway.serve(w.index, incoming),
    );
    w.scheme = scheme;
    this.endpoints[w.index] = `${scheme}://127.0.0.1:${w.port}`;
    if (this.engine.closed) {
      // close() ran while this worker was booting: it must not outlive the cluster.
      await shutdownServer(w);
      return;
    }
    w.running = true;
  }

  workerRunning(i: number): boolean {
    return this.engine.worker(i).running;
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

  /** The workers a per-worker operation targets: `worker`, or every one. */
  private targets(worker: number | undefined): WorkerRuntime[] {
    return worker === undefined ? this.engine.workers : [this.engine.worker(worker)];
  }

  async installPlugin(tarball: Buffer | string, opts: { worker?: number } = {}): Promise<string> {
    const targets = this.targets(opts.worker);
    if (!this.perWorker) return extractPluginTarball(this.pluginPath, tarball);
    const dirs: string[] = [];
    for (const w of targets) dirs.push(await extractPluginTarball(w.pluginPath, tarball));
    return dirs[0]!;
  }

  workerFiles(i: number): WorkerFiles {
    const w = this.engine.worker(i);
    const pluginPath = this.perWorker ? w.pluginPath : this.pluginPath;
    const credentialsFile = this.perWorker ? w.credentialsFile : this.credentialsFile;
    if (credentialsFile === undefined)
      throw new Error("basic auth is off: the workers have no credentials file");
    return {
      pluginPath,
      credentialsFile,
      ...(w.configFile === undefined ? {} : { configFile: w.configFile }),
    };
  }

  async setCredentials(users: Record<string, string>, opts: { worker?: number } = {}): Promise<void> {
    const targets = this.targets(opts.worker);
    if (this.perWorker) {
      for (const w of targets) await writeCredentials(w.credentialsFile!, users);
      return;
    }
    if (this.credentialsFile === undefined) {
      const dir = await mkdtemp(join(tmpdir(), "kc-emulator-auth-"));
      this.ownedDirs.push(dir);
      this.credentialsFile = join(dir, "connect.password");
    }
    await writeCredentials(this.credentialsFile, users);
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

const writeCredentials = (file: string, users: Record<string, string>) =>
  writeFile(file, formatCredentials(users), { encoding: "latin1", mode: 0o600 });

/**
 * One directory per worker, as each worker machine has its own: `worker-<i>/plugins/`, an empty
 * `worker-<i>/connect.password` (mode 0600) and an empty `worker-<i>/connect-distributed.properties` (the
 * worker's config: empty = Kafka's defaults, an http listener), under a temp dir added to `owned`.
 */
async function makeWorkerFiles(count: number, owned: string[]): Promise<WorkerFiles[]> {
  const root = await mkdtemp(join(tmpdir(), "kc-emulator-workers-"));
  try {
    const files: WorkerFiles[] = [];
    for (let i = 0; i < count; i++) {
      const dir = join(root, `worker-${i}`);
      const pluginPath = join(dir, "plugins");
      await mkdir(pluginPath, { recursive: true });
      const credentialsFile = join(dir, "connect.password");
      await writeCredentials(credentialsFile, {});
      const configFile = join(dir, "connect-distributed.properties");
      await writeFile(configFile, "", { mode: 0o644 });
      files.push({ pluginPath, credentialsFile, configFile });
    }
    owned.push(root);
    return files;
  } catch (e) {
    await rm(root, { recursive: true, force: true });
    throw e;
  }
}

/** Starts N emulated Kafka Connect workers on 127.0.0.1; always `close()` it. */
export async function startKafkaConnectCluster(
  opts: KafkaConnectClusterOptions = {},
): Promise<KafkaConnectCluster> {
  return Cluster.start(opts);
}
