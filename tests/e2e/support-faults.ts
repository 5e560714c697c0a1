import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RestartRecord } from "../../charm/common/desired-state.js";
import type { StatusSnapshot } from "../../charm/common/snapshot.js";
import type { ModelStatus, KafkaConnectRequestRecord as RequestRecord } from "../../lib/testing/index.js";
import { eventually } from "../support/eventually.js";
import { statusLines, unitStatus, unitsOf, type World } from "./support.js";

/**
 * Helpers of the leadership, isolation and provider-fault end-to-end tests (tests/e2e/support.ts is the shared
 * world; this file adds what only these scenarios read: a unit's metrics, its workload's snapshot, the REST
 * writes Kafka Connect served, and a task that keeps failing).
 */

/** The integrator's plugin-port default: every unit listens on its own loopback address, same port. */
export const PLUGIN_PORT = 8080;

const METRIC = "kafka_connect_integrator_";

/** A unit's Prometheus text, from its own address (`/metrics` on the plugin server). */
export async function scrape(world: World, unit: string): Promise<string> {
  const res = await fetch(`http://${world.model.unit(unit).address}:${PLUGIN_PORT}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (res.status !== 200) throw new Error(`GET /metrics on ${unit}: ${res.status}`);
  return res.text();
}

/** Sum of every series of one metric (labels ignored); 0 when absent. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  const full = `${METRIC}${name}`;
  for (const line of text.split("\n")) {
    if (!line.startsWith(full)) continue;
    const rest = line.slice(full.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/** What a unit's workload says about itself: the leader gauge and the REST attempts it ever made. */
export async function workloadCounters(
  world: World,
  unit: string,
): Promise<{ leader: number; restRequests: number }> {
  const text = await scrape(world, unit);
  return { leader: metricSum(text, "leader"), restRequests: metricSum(text, "rest_requests_total") };
}

/** The unit's workload snapshot (status.json), or undefined while there is none or it is being replaced. */
export function snapshotOf(world: World, unit: string): StatusSnapshot | undefined {
  const path = join(world.stateDir(unit), "status.json");
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as StatusSnapshot;
  } catch {
    return undefined;
  }
}

/** The restart record the unit's workload holds for a connector (its Kafka Connect name). */
export function restartRecord(world: World, unit: string, name: string): RestartRecord | undefined {
  return snapshotOf(world, unit)?.history[name];
}

/** The requests that changed a connector (anything but GET/HEAD) served since `since` (an index into requests). */
export function writesTo(
  requests: readonly RequestRecord[],
  names: readonly string[],
  since = 0,
): RequestRecord[] {
  const paths = names.map((n) => `/connectors/${encodeURIComponent(n)}`);
  return requests.slice(since).filter((r) => {
    if (r.method === "GET" || r.method === "HEAD" || r.forwardedFrom !== undefined) return false;
    return paths.some((p) => r.path === p || r.path.startsWith(`${p}/`));
  });
}

/** The connector creations (POST /connectors) served since `since`, with the names they created. */
export function createsSince(requests: readonly RequestRecord[], since = 0): RequestRecord[] {
  return requests
    .slice(since)
    .filter((r) => r.method === "POST" && r.path === "/connectors" && r.forwardedFrom === undefined);
}

/** The leader of `app` as the model shows it. */
export function leaderOf(status: ModelStatus, app: string): string | undefined {
  const units = status.applications[app]?.units ?? {};
  return Object.keys(units).find((u) => units[u]?.leader);
}

/** Waits until every unit of `app` shows a workload status matching `pattern`; returns that status. */
export async function waitStatus(
  world: World,
  app: string,
  pattern: { current?: string; message?: RegExp },
  what: string,
  timeoutMs = 30_000,
  units?: readonly string[],
): Promise<ModelStatus> {
  const matches = (s: ModelStatus) => {
    const names = units ?? unitsOf(world.model, app, s);
    return (
      names.length > 0 &&
      names.every((u) => {
        const st = unitStatus(world.model, u, s);
        return (
          (pattern.current === undefined || st.current === pattern.current) &&
          (pattern.message === undefined || pattern.message.test(st.message))
        );
      })
    );
  };
  try {
    return await world.model.waitFor(matches, { timeoutMs, what });
  } catch (err) {
    const lines = statusLines(world.model, app).join("\n");
    throw new Error(`${(err as Error).message}\nlast status:\n${lines}`);
  }
}

/**
 * Fails task `task` of `name` again each time the integrator restarted it, until the leader's workload
 * recorded `count` restarts in the current streak. The failure is re-injected as soon as the task runs
 * again, well inside the backoff after which a healthy connector's streak resets, so the streak grows.
 */
export async function failRepeatedly(
  world: World,
  unit: string,
  name: string,
  task: number,
  count: number,
  timeoutMs = 45_000,
): Promise<RestartRecord> {
  const cluster = world.kc.cluster;
  const trace = "java.lang.IllegalStateException: the sink's database refused the batch\n\tat OrdersSink.put";
  const deadline = Date.now() + timeoutMs;
  const admin = world.kc.adminClient();
  let injectedAt = -1;
  try {
    for (;;) {
      const restarts = cluster.connector(name)?.taskRestarts[task] ?? 0;
      const record = restartRecord(world, unit, name);
      if ((record?.count ?? 0) >= count) return record!;
      if (restarts > injectedAt) {
        // The previous failure has been restarted (or none was injected yet): once the task runs, fail it.
        const status = await admin.status(name).catch(() => undefined);
        if (status?.tasks.find((t) => t.id === task)?.state === "RUNNING") {
          cluster.failTask(name, task, trace);
          injectedAt = restarts;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${name} did not reach ${count} restarts in ${timeoutMs} ms: record ${JSON.stringify(record)}, ` +
            `task restarts ${restarts}\n${world.workloadLog(unit, 2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await admin.close();
  }
}

/** Reads an action result value by its dotted key, whether the model returns it nested or flat. */
export function resultAt(results: Record<string, unknown>, key: string): unknown {
  if (key in results) return results[key];
  let cur: unknown = results;
  for (const part of key.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export { eventually };

// ---- playing a misbehaving provider ----------------------------------------------------------------------

/** The provider application's databag on `relation`, as the model holds it (edit it to misbehave). */
export function providerBag(world: World, relation: number): Record<string, string> {
  const rel = world.model.juju.state.relations[String(relation)];
  const bag = rel?.appData[world.kc.app];
  if (!bag) throw new Error(`no relation ${relation} with ${world.kc.app} in the model`);
  return bag;
}

/**
 * Takes back every grant of the provider's `secret-user` secret to `app` (its units included); returns the
 * function that restores them as they were.
 */
export function revokeGrants(world: World, relation: number, app: string): () => void {
  const uri = providerBag(world, relation)["secret-user"];
  if (!uri) throw new Error(`the provider published no secret-user on relation ${relation}`);
  const id = uri.replace(/^secret:(\/\/[^/]+\/)?/, "");
  const secret = world.model.juju.state.secrets[id];
  if (!secret) throw new Error(`no secret ${id} in the model`);
  const saved = secret.grants.map((g) => ({ ...g }));
  const ofApp = (to: string) => to === app || to.startsWith(`${app}/`);
  secret.grants = secret.grants.filter((g) => !ofApp(g.to));
  if (secret.grants.length === saved.length) throw new Error(`${uri} was not granted to ${app}`);
  return () => {
    secret.grants = saved;
  };
}

/**
 * What Juju does after a provider hook changed its app databag: relation-changed (no remote unit: an app-data
 * change) on every unit of `app`, then the model settles (Model.emit, for a change made behind Juju's back
 * such as a grant taken back).
 */
export async function fireRelationChanged(world: World, app: string, relation: number): Promise<void> {
  for (const unit of unitsOf(world.model, app)) {
    await world.model.emit(unit, { kind: "relation-changed", relationId: relation });
  }
}
