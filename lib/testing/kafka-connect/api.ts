import type { FaultSpec } from "./faults.js";
import type { RequestRecord } from "./record.js";
import type { ConnectorOffset, TargetState } from "./state.js";

/** The cluster's public shapes: its options, its timing, and what a test can do with it. Types only. */

/** Delays (ms) of the asynchronous transitions; small by default so tests stay fast. */
export interface Timing {
  /** Create → the connector is placed on a worker (UNASSIGNED); until then its status is a 404. */
  assignMs: number;
  /** UNASSIGNED → RUNNING (or PAUSED / STOPPED per its target), for connectors and new tasks alike. */
  startMs: number;
  /** RESTARTING / UNASSIGNED after a restart or config rewrite → running again. */
  restartMs: number;
  /** pause, resume and stop take effect. */
  settleMs: number;
  /** A rebalance window (worker left or joined): config and control writes answer 409 meanwhile. */
  rebalanceMs: number;
}

export const DEFAULT_TIMING: Timing = {
  assignMs: 20,
  startMs: 20,
  restartMs: 20,
  settleMs: 20,
  rebalanceMs: 50,
};

export interface KafkaConnectClusterOptions {
  /** Number of workers (default 3). */
  workers?: number;
  /** Kafka version the workers emulate, "X.Y" (default "3.9"). */
  version?: string;
  /**
   * Serve HTTPS with a freshly generated test CA (`caPem`). With `perWorkerFiles` this is only the scheme of a
   * worker whose config file sets no `listeners`: the file decides at each (re)start.
   */
  tls?: boolean;
  /** Basic auth: a credentials file path (PropertyFileLoginModule format), or users to write to a new one. */
  auth?: string | { users: Record<string, string> };
  /** Plugin path the workers scan at start (default: a new temp dir, removed on close). */
  pluginPath?: string;
  /**
   * Give each worker its own plugin path and its own credentials file, as each real worker machine has its own
   * `plugin.path` and JAAS properties file: temp dirs the cluster owns (see `workerFiles`). A worker scans its
   * path and reads its file when it (re)starts. Basic auth is on and every file starts empty, as on a fresh
   * install (an empty file admits everyone). Each worker also reads its own config file at (re)start
   * (`configFile`, Java properties as connect-distributed.properties): `listeners=https://:<port>` makes it
   * listen with TLS (same port), `http://…` or no `listeners` without; a bad value keeps it down, as it stops
   * Kafka. The test CA is made at start (`caPem` is always set). Not with `pluginPath` or `auth`. Default
   * false: one shared path and file.
   */
  perWorkerFiles?: boolean;
  timing?: Partial<Timing>;
  /** `topic.tracking.enable` (default true). */
  topicTracking?: boolean;
  /** `topic.tracking.allow.reset` (default true). */
  topicTrackingReset?: boolean;
  /** Worker i listens on basePort + i (default: a free port each). */
  basePort?: number;
  /**
   * Keep only the last N request records, dropping the oldest (default: every one, for tests). The command
   * sets a cap so a long session does not grow without bound.
   */
  recordLimit?: number;
}

/** The files one worker reads when it starts. */
export interface WorkerFiles {
  pluginPath: string;
  credentialsFile: string;
  /** Its config file (only with `perWorkerFiles`): `listeners` decides http or https at each start. */
  configFile?: string;
}

/** What `rebalance()` opens. */
export interface RebalanceOptions {
  /** How long the window lasts (default `timing.rebalanceMs`). */
  ms?: number;
  /**
   * `GET /connectors/{c}`, `/config`, `/tasks` and `/tasks-config` during the window: "conflict" (default, as
   * Kafka's DistributedHerder does: its checkRebalanceNeeded answers the stale-configuration 409) or "served"
   * (a kinder cluster, for tests that only care about writes). Status reads and the listing are always served.
   */
  configReads?: "conflict" | "served";
}

/** A connector as the cluster holds it: what tests inspect to prove what a client did. */
export interface ConnectorSnapshot {
  name: string;
  config: Record<string, string>;
  target: TargetState;
  /** Config writes, the create included: an identical PUT still counts. */
  configWrites: number;
  /** Connector restarts (REST restarts and config rewrites). */
  restarts: number;
  /** Restarts per task id. */
  taskRestarts: Record<number, number>;
  /** Worker index running the connector, if placed. */
  owner?: number;
  /** Worker index per task id, if placed. */
  taskOwners: Record<number, number | undefined>;
  offsets: ConnectorOffset[];
  topics: string[];
}

export interface KafkaConnectCluster {
  /**
   * `scheme://127.0.0.1:port` per worker, in worker order, the scheme it last started with (a stopped
   * worker's entry refuses connections).
   */
  readonly endpoints: readonly string[];
  /** The test CA when `tls` or `perWorkerFiles` is on. */
  readonly caPem?: string;
  /** e.g. "3.9.0". */
  readonly version: string;
  /** Every request served, forwarded hops included (the last `recordLimit` if set). Never a password. */
  readonly requests: readonly RequestRecord[];
  /** The plugin path the workers scan at start; with `perWorkerFiles`, worker 0's (see `workerFiles`). */
  readonly pluginPath: string;
  /**
   * The credentials file the workers read at start, when basic auth is on; with `perWorkerFiles`, worker 0's.
   */
  readonly credentialsFile: string | undefined;
  /** Index of the leader, or null while no leader is known (it left; a rebalance is electing one). */
  readonly leader: number | null;
  /**
   * Extracts a plugin tarball into the plugin path; workers see it after they restart. Returns its dir. With
   * `perWorkerFiles`, into worker `opts.worker`'s path only, or every worker's (returning worker 0's dir).
   */
  installPlugin(tarball: Buffer | string, opts?: { worker?: number }): Promise<string>;
  /**
   * Worker i's plugin path and credentials file (with `perWorkerFiles` its own, otherwise the shared ones).
   * Throws for an unknown worker, or when basic auth is off (no credentials file).
   */
  workerFiles(i: number): WorkerFiles;
  /** Whether worker i is up (started, and not stopped since). */
  workerRunning(i: number): boolean;
  stopWorker(i: number): Promise<void>;
  startWorker(i: number): Promise<void>;
  restartWorker(i: number): Promise<void>;
  /** Restarts every running worker in turn, waiting for each rebalance. */
  rollingRestart(): Promise<void>;
  /**
   * Rewrites the credentials file; each worker reads it only when it (re)starts. With `perWorkerFiles`, worker
   * `opts.worker`'s file only, or every worker's.
   */
  setCredentials(users: Record<string, string>, opts?: { worker?: number }): Promise<void>;
  failTask(connector: string, task: number, trace: string): void;
  failConnector(connector: string, trace: string): void;
  /**
   * Opens a rebalance window: writes answer the retryable 409s meanwhile, and so (by default, as in Kafka) do
   * reads of connector info, config and task configs; status reads and the listing still work.
   */
  rebalance(opts?: RebalanceOptions): void;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /**
   * Delays every request by ms (0 to stop). A request still waiting when its worker stops or the cluster
   * closes is dropped: its connection is cut, nothing is done, and its record says `dropped`.
   */
  latency(ms: number): void;
  /** The topics a connector reports as active (topic tracking). */
  setActiveTopics(connector: string, topics: readonly string[]): void;
  /** The offsets `GET /connectors/{c}/offsets` returns. */
  setOffsets(connector: string, offsets: readonly ConnectorOffset[]): void;
  connector(name: string): ConnectorSnapshot | undefined;
  /** Resolves when no transition or rebalance is pending. */
  idle(): Promise<void>;
  /** Resolves when the current rebalance (if any) has ended. */
  rebalanceSettled(): Promise<void>;
  /** Closes every server and socket, cancels every timer, removes the temp dirs it made. */
  close(): Promise<void>;
}
