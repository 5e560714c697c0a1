import type { DesiredState } from "../common/desired-state.js";
import type { ConnectorObservation, StatusSnapshot } from "../common/snapshot.js";
import type { ConfigProblem, PluginMode } from "./config/options.js";
import { MISSING_RESOURCE_MESSAGE } from "./plugin.js";
import { oneLine } from "./text.js";

/**
 * Juju status as a person reads it at a glance: one pure function of what the hook found (config problems,
 * plugin, relation) and what the workload reported (its snapshot). The most pressing thing wins; the message
 * says what is wrong and what to do, never a secret value, and stays under MAX_STATUS_CHARS.
 */

export type StatusName = "active" | "blocked" | "waiting" | "maintenance";
export interface UnitStatus {
  readonly status: StatusName;
  readonly message: string;
}

export const MAX_STATUS_CHARS = 200;

export type PluginView =
  | { readonly mode: "not-required" }
  | { readonly mode: "missing" }
  | { readonly mode: "too-big"; readonly size: number; readonly max: number }
  | {
      readonly mode: "serve";
      /** Leader only: whether plugin-url is published (the server proved it serves the tarball). */
      readonly published?: boolean;
    };

export type RelationView =
  | { readonly ready: true }
  | { readonly ready: false; readonly code: string; readonly reason: string; readonly blocked: boolean };

export interface StatusInput {
  readonly app: string;
  readonly leader: boolean;
  readonly port: number;
  readonly pluginMode: PluginMode;
  readonly problems: readonly ConfigProblem[];
  readonly plugin: PluginView;
  readonly relation: RelationView;
  readonly desired?: DesiredState;
  readonly snapshot?: StatusSnapshot;
  /** Why status.json, which exists, could not be used (snapshot-problem.ts); absent when it is fine or absent. */
  readonly snapshotProblem?: string;
  /** What relation-broken did about our connectors, when this hook removed the relation. */
  readonly cleanup?: string;
  /**
   * The desired generation at which what the workload acts on last changed: a snapshot older than it is
   * about the previous declaration.
   */
  readonly declaredGeneration?: number;
}

/** One line, no control characters, at most `max` characters: whatever the snapshot or the config held. */
export function bounded(message: string, max = MAX_STATUS_CHARS): string {
  return oneLine(message, max);
}

const s = (status: StatusName, message: string): UnitStatus => ({ status, message: bounded(message) });

export function computeStatus(input: StatusInput): UnitStatus {
  const { app, leader, port } = input;
  if (input.problems.length) {
    const [first, ...rest] = input.problems;
    const more = rest.length ? ` (and ${rest.length} more: juju debug-log)` : "";
    // The first problem is cut so the "more" note always fits.
    return s("blocked", bounded(first!.message, MAX_STATUS_CHARS - more.length) + more);
  }
  if (input.plugin.mode === "missing") return s("blocked", MISSING_RESOURCE_MESSAGE);
  if (input.plugin.mode === "too-big") {
    return s(
      "blocked",
      `resource connect-plugin is ${gib(input.plugin.size)}, over the ${gib(input.plugin.max)} limit: attach a smaller tarball`,
    );
  }
  const server = input.snapshot?.pluginServer;
  if (input.pluginMode === "serve" && server?.error && !server.listening) {
    return s(
      "blocked",
      `plugin server cannot listen on :${port}: ${server.error}: set plugin-port to a free port`,
    );
  }
  const relation = input.relation;
  if (!relation.ready) {
    const cleanup = input.cleanup ? ` (${input.cleanup})` : "";
    if (relation.code === "no-relation") {
      return s("blocked", `no Kafka Connect relation: juju integrate ${app} <kafka-connect app>${cleanup}`);
    }
    if (relation.blocked) return s("blocked", relation.reason);
    if (leader && input.plugin.mode === "serve" && !input.plugin.published) return waitingForServer(port);
    if (relation.code === "waiting-for-provider")
      return s("waiting", "waiting for Kafka Connect credentials");
    // Which secret and over which relation: a provider that never grants it must be findable from status.
    if (relation.code === "secret-not-granted") return s("waiting", relation.reason);
    return s("waiting", relation.reason);
  }
  if (leader && input.plugin.mode === "serve" && !input.plugin.published) return waitingForServer(port);
  if (!leader) {
    return s(
      "active",
      input.pluginMode === "serve"
        ? `serving the plugin on :${port}; the leader manages connectors`
        : "standby: the leader manages connectors",
    );
  }
  return leaderStatus(input);
}

function waitingForServer(port: number): UnitStatus {
  return s(
    "waiting",
    `waiting for this unit's plugin server on :${port} to serve plugin.tar before publishing plugin-url`,
  );
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function leaderStatus(input: StatusInput): UnitStatus {
  const { desired, snapshot, app } = input;
  if (!desired?.kafkaConnect) return s("waiting", "waiting for a valid connectors declaration");
  if (!snapshot) {
    if (input.snapshotProblem) {
      // The cause is cut, never the hint: where to look is what makes the line useful.
      const lead = "workload status unreadable: ";
      const hint = "; see the workload's journal";
      const cause = bounded(input.snapshotProblem, MAX_STATUS_CHARS - lead.length - hint.length);
      return s("waiting", `${lead}${cause}${hint}`);
    }
    return s("maintenance", "starting the workload");
  }
  // This hook (or one just before it) changed the declaration and the workload has not acted on it yet: what
  // the snapshot says is about the previous one. The workload runs workload-changed once it has.
  if (input.declaredGeneration !== undefined && snapshot.generation < input.declaredGeneration) {
    return s("maintenance", "applying the new declaration to Kafka Connect");
  }
  const kc = snapshot.kafkaConnect;
  if (kc && !kc.reachable) {
    const why = kc.error ? `${kc.error.kind}: ${kc.error.message}` : "no endpoint answered";
    const unauthorized = kc.error?.kind === "unauthorized";
    return s(
      unauthorized ? "blocked" : "waiting",
      `cannot reach Kafka Connect (${why})${unauthorized ? ": check the relation's credentials" : ""}`,
    );
  }
  const observed = new Map(snapshot.connectors.map((c) => [c.name, c]));
  const policy = desired.restartPolicy;

  for (const c of desired.connectors) {
    const o = observed.get(c.name);
    if (!o) continue;
    const failed = failure(o);
    if (!failed) continue;
    const record = snapshot.history[c.name];
    const restarts = record?.count ?? 0;
    if (record?.gaveUp) {
      return s("blocked", `${c.declared} ${failed.what} FAILED after ${restarts} restarts: ${failed.trace}`);
    }
    if (!policy.enabled) {
      return s(
        "blocked",
        `${c.declared} ${failed.what} FAILED: ${failed.trace} (auto-restart is off: juju run ${app}/leader restart connector=${c.declared})`,
      );
    }
  }
  for (const c of desired.connectors) {
    const o = observed.get(c.name);
    if (o?.error) return s("blocked", `${c.declared}: ${o.error.message}`);
  }
  for (const c of desired.connectors) {
    const o = observed.get(c.name);
    const failed = o && failure(o);
    if (!failed) continue;
    const record = snapshot.history[c.name];
    const n = record?.count ?? 0;
    const of = policy.maxRestarts ? ` of ${policy.maxRestarts}` : "";
    // The observation is taken at the start of a cycle and the restart made later in it: a restart newer than
    // the cycle's start was made after the FAILED seen here, so it is done, not pending.
    const cycleStart = snapshot.lastReconcile ? Date.parse(snapshot.lastReconcile.at) : Number.NaN;
    if (n > 0 && record?.lastRestartAt !== undefined && record.lastRestartAt >= cycleStart) {
      return s("maintenance", `${c.declared} ${failed.what} FAILED, restarted (${n}${of}): ${failed.trace}`);
    }
    return s(
      "maintenance",
      `${c.declared} ${failed.what} FAILED, restart ${n + 1}${of} pending: ${failed.trace}`,
    );
  }
  const { text, settling } = summary(desired, observed);
  // Connectors still being created, assigned or restarted: "short downtime that should self-resolve".
  return s(settling ? "maintenance" : "active", text);
}

function failure(o: ConnectorObservation): { what: string; trace: string } | undefined {
  if (o.state === "FAILED") return { what: "connector", trace: firstLine(o.trace) };
  const task = o.tasks.find((t) => t.state === "FAILED");
  return task ? { what: `task ${task.id}`, trace: firstLine(task.trace) } : undefined;
}

function firstLine(trace: string | undefined): string {
  return oneLine(trace?.split("\n")[0] ?? "", 120) || "no trace";
}

function summary(
  desired: DesiredState,
  observed: Map<string, ConnectorObservation>,
): { text: string; settling: boolean } {
  if (!desired.connectors.length) {
    return { text: "no connectors declared: set the connectors option", settling: false };
  }
  let want = 0;
  let running = 0;
  let tasksRunning = 0;
  let tasksTotal = 0;
  const others = { paused: 0, stopped: 0 };
  const held: string[] = [];
  for (const c of desired.connectors) {
    const hold = desired.holds[c.declared];
    const o = observed.get(c.name);
    if (hold && hold.declarationHash === c.declarationHash) {
      held.push(`${c.declared} ${hold.state}`);
      continue;
    }
    if (c.state !== "running") {
      others[c.state]++;
      continue;
    }
    want++;
    if (o?.state === "RUNNING") running++;
    for (const t of o?.tasks ?? []) {
      tasksTotal++;
      if (t.state === "RUNNING") tasksRunning++;
    }
  }
  const parts = [`${running}/${want} connectors running (${tasksRunning}/${tasksTotal} tasks)`];
  if (others.paused) parts.push(`${others.paused} paused`);
  if (others.stopped) parts.push(`${others.stopped} stopped`);
  let text = parts.join(", ");
  if (held.length) text += `; by action: ${held.join(", ")} (run resume to release)`;
  return { text, settling: running < want };
}
