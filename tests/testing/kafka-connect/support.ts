import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Agent } from "undici";
import { afterEach } from "vitest";
import {
  type KafkaConnectCluster,
  type KafkaConnectClusterOptions,
  type KafkaConnectTiming,
  startKafkaConnectCluster,
} from "../../../lib/testing/kafka-connect/index.js";
import { eventually } from "../../support/eventually.js";

/** Small delays: every transition still happens on a timer, just quickly. */
export const FAST: KafkaConnectTiming = {
  assignMs: 5,
  startMs: 5,
  restartMs: 5,
  settleMs: 5,
  rebalanceMs: 25,
};

/** Starts clusters that are closed after each test. */
export function useClusters(): (opts?: KafkaConnectClusterOptions) => Promise<KafkaConnectCluster> {
  const clusters: KafkaConnectCluster[] = [];
  afterEach(async () => {
    await Promise.all(clusters.splice(0).map((c) => c.close()));
  });
  return async (opts = {}) => {
    const cluster = await startKafkaConnectCluster({ ...opts, timing: { ...FAST, ...opts.timing } });
    clusters.push(cluster);
    return cluster;
  };
}

/** Fresh temp directories, removed after each test. */
export function useTempDirs(): () => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), "kc-test-"));
    dirs.push(dir);
    return dir;
  };
}

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, when it is JSON. */
  json: unknown;
}

export interface CallOpts {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is. */
  raw?: string;
  auth?: readonly [string, string];
  headers?: Record<string, string>;
  dispatcher?: Agent;
}

/** One request with plain fetch (undici), as any client would send it. */
export async function call(base: string, method: string, path: string, opts: CallOpts = {}): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  if (opts.auth)
    headers.authorization = `Basic ${Buffer.from(`${opts.auth[0]}:${opts.auth[1]}`).toString("base64")}`;
  // Node's fetch is undici's: it takes an undici Agent (here, one trusting the test CA) as `dispatcher`.
  const init: Record<string, unknown> = { method, headers };
  if (body !== undefined) init.body = body;
  if (opts.dispatcher) init.dispatcher = opts.dispatcher;
  const res = await fetch(`${base}${path}`, init as RequestInit);
  const text = await res.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const err = (status: number, message: string) => ({ error_code: status, message });

export { eventually };

type Status = {
  connector: { state: string; worker_id: string; trace?: string };
  tasks: { id: number; state: string; worker_id: string }[];
};

/** Polls the status until the connector and `tasks` tasks are all in `state`; throws if they never are. */
export async function until(base: string, name: string, state: string, tasks: number): Promise<Status> {
  const res = await eventually(
    () => call(base, "GET", `/connectors/${encodeURIComponent(name)}/status`),
    (r) => {
      const s = r.json as Status | undefined;
      return (
        r.status === 200 &&
        s?.connector.state === state &&
        s.tasks.length === tasks &&
        s.tasks.every((t) => t.state === state)
      );
    },
    5000,
    (r) => ({ status: r.status, body: r.json ?? r.text, wanted: { state, tasks } }),
  );
  return res.json as Status;
}

export const MIRROR_SOURCE = "org.apache.kafka.connect.mirror.MirrorSourceConnector";

export const mirrorConfig = (extra: Record<string, string> = {}): Record<string, string> => ({
  "connector.class": MIRROR_SOURCE,
  "source.cluster.alias": "src",
  ...extra,
});

/** Creates a MirrorSourceConnector and waits until it and its tasks run. */
export async function createRunning(base: string, name: string, tasks = 1): Promise<Status> {
  const res = await call(base, "POST", "/connectors", {
    body: { name, config: mirrorConfig({ "tasks.max": String(tasks) }) },
  });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${res.text}`);
  return until(base, name, "RUNNING", tasks);
}
