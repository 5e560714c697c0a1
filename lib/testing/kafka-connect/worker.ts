import type http from "node:http";
import type https from "node:https";
import type { Socket } from "node:net";
import type { Credentials } from "./auth.js";
import type { PluginDescriptor } from "./plugins.js";

/** What one worker holds: its membership flags, what it loaded at start, and its HTTP server. Data only. */

export interface LoggerEntry {
  level: string | null;
  lastModified: number | null;
}

/** The loggers a fresh worker has: root, those connect-log4j.properties sets, and a few runtime classes. */
const DEFAULT_LOGGERS: readonly (readonly [string, string | null])[] = [
  ["root", "INFO"],
  ["org.apache.zookeeper", "ERROR"],
  ["org.reflections", "ERROR"],
  ["org.apache.kafka.connect.runtime.Worker", null],
  ["org.apache.kafka.connect.runtime.WorkerSinkTask", null],
  ["org.apache.kafka.connect.runtime.WorkerSourceTask", null],
  ["org.apache.kafka.connect.runtime.distributed.DistributedHerder", null],
  ["org.apache.kafka.connect.runtime.rest.RestServer", null],
];

export interface WorkerRuntime {
  index: number;
  port: number;
  running: boolean;
  /** Joined but its first rebalance has not completed: `GET /health` answers 503. */
  starting: boolean;
  plugins: PluginDescriptor[];
  pluginProblems: string[];
  /** The plugin path this worker scans when it starts (the cluster's, or its own with perWorkerFiles). */
  pluginPath: string;
  /** The credentials file this worker reads (undefined: basic auth off). */
  credentialsFile: string | undefined;
  /** Its config file (perWorkerFiles), read at each start for `listeners`; undefined: the cluster's scheme. */
  configFile: string | undefined;
  /** The scheme its listener speaks since its last start. */
  scheme: "http" | "https";
  /**
   * null: no basic auth; "unreadable": the file could not be read, so every request is refused and each one
   * tries to read it again (see credentials.ts).
   */
  credentials: Credentials | "unreadable" | null;
  loggers: Map<string, LoggerEntry>;
  server?: http.Server | https.Server;
  sockets: Set<Socket>;
  /** Counts the worker's starts: a request that arrived before a restart is not served after it. */
  generation: number;
  /** Requests being served, so that stopping the worker can wait for them to be dropped. */
  inFlight: Set<Promise<unknown>>;
}

export function newWorker(
  index: number,
  port: number,
  files: { pluginPath: string; credentialsFile: string | undefined; configFile?: string | undefined },
): WorkerRuntime {
  return {
    index,
    port,
    running: false,
    starting: false,
    plugins: [],
    pluginProblems: [],
    pluginPath: files.pluginPath,
    credentialsFile: files.credentialsFile,
    configFile: files.configFile,
    scheme: "http",
    credentials: null,
    loggers: new Map(),
    sockets: new Set(),
    generation: 0,
    inFlight: new Set(),
  };
}

/** A worker's loggers as they are when its JVM starts. */
export const freshLoggers = (): Map<string, LoggerEntry> =>
  new Map(DEFAULT_LOGGERS.map(([name, level]) => [name, { level, lastModified: null }]));
