import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { connectorName } from "../../charm/common/names.js";
import { STATE_DIR_ENV } from "../../charm/common/workload-api.js";
import { SUPERVISOR_ENV } from "../../charm/src/service.js";
import { buildPluginTarball, Model, type ModelStatus, parseJavaProperties } from "../../lib/testing/index.js";
import {
  deployKafkaConnect,
  type KafkaConnectDeployment,
} from "../../lib/testing/reference-provider/index.js";

import { packedIntegrator } from "../support/packed.js";

/**
 * One world for the end-to-end tests: a Model running the PACKED integrator next to the reference Kafka
 * Connect provider (one emulated worker per provider unit), with a plugin tarball built at run time. What the
 * tests assert is what a user sees: `juju status`, what Kafka Connect holds, the hooks that ran.
 * Shared by every file in tests/e2e (E2 imports it): keep the exports stable.
 */

export const INTEGRATOR = "kafka-connect-integrator";
export const PROVIDER = "kafka-connect";
/** The connector class the runtime-built plugin carries (only workers that installed it know it). */
export const SINK_CLASS = "com.example.OrdersSink";
/** The tarball's top folder: the provider extracts it under `<plugin path>/relation-<id>-<sha>/`. */
export const PLUGIN_ROOT = "orders-sink";
/** Built into every emulated worker: no plugin needed. */
export const MIRROR_CLASS = "org.apache.kafka.connect.mirror.MirrorSourceConnector";

/** Intervals short enough for a test (the charm's defaults are 30s and 1m). */
export const FAST_CONFIG = { "reconcile-interval": "5s", "restart-backoff-unit": "1s" } as const;

export type ConfigValue = string | number | boolean;

export interface WorldOptions {
  /** Provider units, one emulated worker each (default 3). */
  providerUnits?: number;
  /** The provider charm's config (e.g. `delete-connectors-on-departure`). */
  providerConfig?: Record<string, ConfigValue>;
  /** Kafka version the workers emulate. */
  version?: string;
  tls?: boolean;
  /** Model name (default: a fresh one per world). */
  name?: string;
}

export interface DeployIntegratorOptions {
  units?: number;
  /** The `connectors` option (YAML, see `declare`). */
  connectors?: string;
  /** The `plugin-mode` option (default serve). */
  mode?: "serve" | "not-required";
  /** Attach the runtime-built plugin as `connect-plugin` (default: true in serve mode, false otherwise). */
  resource?: boolean;
  /** More options; FAST_CONFIG is always applied first. */
  config?: Record<string, ConfigValue>;
}

export interface PluginArtifact {
  /** The resource file attached as `connect-plugin`. */
  readonly path: string;
  readonly tarball: Buffer;
  readonly sha512: string;
}

export interface World {
  readonly model: Model;
  readonly kc: KafkaConnectDeployment;
  /** The packed `.charm` every integrator application is deployed from. */
  readonly charm: string;
  readonly plugin: PluginArtifact;
  /** Deploys an integrator application (state dir in each unit's machine dir); returns its unit names. */
  deployIntegrator(app?: string, opts?: DeployIntegratorOptions): Promise<string[]>;
  /** The unit's integrator state dir (desired.json, status.json, workload.log, workload.pid). */
  stateDir(unit: string): string;
  /** The tail of the unit's workload log (for failure messages). */
  workloadLog(unit: string, chars?: number): string;
  /** Every password the provider has handed out so far (read from the workers' credentials files). */
  secrets(): ReadonlySet<string>;
  /** Places where a secret may have leaked that contain one: [] when none. */
  leaks(): string[];
  close(): Promise<void>;
}

const STATE_SUBDIR = "kafka-connect-integrator";

/**
 * Starts the model and the provider, packs (cached) the integrator and builds the plugin. Always `close()` it
 * (afterAll), even when a step failed: it stops every workload, server and emulated worker.
 */
export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const work = mkdtempSync(join(tmpdir(), "kci-e2e-world-"));
  let model: Model | undefined;
  let kc: KafkaConnectDeployment | undefined;
  // Packing (deflate) and the provider's deploy (hooks) overlap: the two cores are shared either way.
  const artifacts = (async () => {
    const [charm, tarball] = await Promise.all([
      packedIntegrator(),
      buildPluginTarball(
        { plugins: [{ class: SINK_CLASS, type: "sink", version: "1.0.0" }] },
        { root: PLUGIN_ROOT },
      ),
    ]);
    const path = join(work, "plugin.tar.gz");
    writeFileSync(path, tarball);
    return { charm, plugin: { path, tarball, sha512: createHash("sha512").update(tarball).digest("hex") } };
  })();
  const provider = (async () => {
    model = await Model.create(opts.name ? { name: opts.name } : {});
    kc = await deployKafkaConnect(model, {
      units: opts.providerUnits ?? 3,
      ...(opts.version ? { version: opts.version } : {}),
      ...(opts.tls ? { tls: true } : {}),
      ...(opts.providerConfig ? { config: opts.providerConfig } : {}),
    });
  })();
  // Both settle before anything is cleaned up, so a failure of one never leaves the other running.
  const [built, deployed] = await Promise.allSettled([artifacts, provider]);
  if (built.status === "fulfilled" && deployed.status === "fulfilled" && model && kc) {
    return new WorldImpl(model, kc, built.value.charm, built.value.plugin, work);
  }
  await (kc as KafkaConnectDeployment | undefined)?.close().catch(() => undefined);
  await (model as Model | undefined)?.close().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
  throw built.status === "rejected" ? built.reason : (deployed as PromiseRejectedResult).reason;
}

class WorldImpl implements World {
  readonly #seen = new Set<string>();
  readonly #integrators = new Set<string>();

  constructor(
    readonly model: Model,
    readonly kc: KafkaConnectDeployment,
    readonly charm: string,
    readonly plugin: PluginArtifact,
    private readonly work: string,
  ) {}

  async deployIntegrator(app = INTEGRATOR, opts: DeployIntegratorOptions = {}): Promise<string[]> {
    const mode = opts.mode ?? "serve";
    const attach = opts.resource ?? mode === "serve";
    const config: Record<string, ConfigValue> = {
      ...FAST_CONFIG,
      "plugin-mode": mode,
      ...(opts.connectors !== undefined ? { connectors: opts.connectors } : {}),
      ...opts.config,
    };
    this.#integrators.add(app);
    return this.model.deploy(app, {
      charm: this.charm,
      units: opts.units ?? 1,
      config,
      ...(attach ? { resources: { "connect-plugin": this.plugin.path } } : {}),
      env: (u) => ({
        [STATE_DIR_ENV]: join(u.machineDir, STATE_SUBDIR),
        [SUPERVISOR_ENV]: "process",
      }),
    });
  }

  stateDir(unit: string): string {
    return join(this.model.unit(unit).machineDir, STATE_SUBDIR);
  }

  workloadLog(unit: string, chars = 4000): string {
    const path = join(this.stateDir(unit), "workload.log");
    return existsSync(path) ? readFileSync(path, "utf8").slice(-chars) : "";
  }

  secrets(): ReadonlySet<string> {
    const workers = Object.keys(this.model.status().applications[this.kc.app]?.units ?? {}).length;
    for (let i = 0; i < workers; i++) {
      let text: string;
      try {
        text = readFileSync(this.kc.cluster.workerFiles(i).credentialsFile, "latin1");
      } catch {
        continue;
      }
      for (const password of parseJavaProperties(text).values()) if (password) this.#seen.add(password);
    }
    return this.#seen;
  }

  leaks(): string[] {
    const secrets = [...this.secrets()];
    const found: string[] = [];
    const check = (where: string, text: string | undefined) => {
      if (text && secrets.some((s) => text.includes(s))) found.push(where);
    };
    for (const [i, h] of this.model.hooks.entries()) check(`hook #${i} ${h.unit} ${h.hook} stderr`, h.stderr);
    for (const [app, a] of Object.entries(this.model.status().applications)) {
      for (const [unit, u] of Object.entries(a.units ?? {})) {
        check(`status of ${unit}`, u["workload-status"]?.message);
      }
      if (!this.#integrators.has(app)) continue;
      for (const unit of Object.keys(a.units ?? {})) {
        check(`workload log of ${unit}`, this.workloadLog(unit, Number.POSITIVE_INFINITY));
      }
    }
    return found;
  }

  async close(): Promise<void> {
    try {
      await this.model.close();
    } finally {
      try {
        await this.kc.close();
      } finally {
        rmSync(this.work, { recursive: true, force: true });
      }
    }
  }
}

// ---- declarations ------------------------------------------------------------------------------------

export interface ConnectorDeclaration {
  class: string;
  "tasks-max"?: number;
  config?: Record<string, string>;
  state?: "running" | "paused" | "stopped";
}

/** A sink on the runtime-built plugin's class, reading `topic`. */
export function sink(
  topic: string,
  opts: { tasksMax?: number; config?: Record<string, string> } = {},
): ConnectorDeclaration {
  return {
    class: SINK_CLASS,
    ...(opts.tasksMax !== undefined ? { "tasks-max": opts.tasksMax } : {}),
    config: { topics: topic, ...opts.config },
  };
}

/** A MirrorMaker source connector (built into every worker: works with plugin-mode not-required). */
export function mirror(source: string, opts: { config?: Record<string, string> } = {}): ConnectorDeclaration {
  return {
    class: MIRROR_CLASS,
    config: { "source.cluster.alias": source, "target.cluster.alias": "west", ...opts.config },
  };
}

/** The `connectors` option's YAML for these declarations. */
export function declare(connectors: Record<string, ConnectorDeclaration>): string {
  return stringify(connectors);
}

// ---- reading the world ----------------------------------------------------------------------------------

/** The relation id on our side, as the integrator names its connectors (`integrate` returns it). */
export function ours(world: World, app: string, relation: number, declared: string): string {
  return connectorName(declared, { app, relation, modelUuid: modelUuid(world, app) });
}

/** The model uuid the integrator saw (JUJU_MODEL_UUID), from a unit's desired.json. */
export function modelUuid(world: World, app: string): string {
  const unit = unitsOf(world.model, app)[0];
  if (!unit) throw new Error(`no unit of ${app}`);
  const desired = JSON.parse(readFileSync(join(world.stateDir(unit), "desired.json"), "utf8")) as {
    modelUuid: string;
  };
  return desired.modelUuid;
}

export interface WorkloadStatus {
  current: string;
  message: string;
}

/** A unit's workload status as `juju status` shows it. */
export function unitStatus(model: Model, unit: string, status: ModelStatus = model.status()): WorkloadStatus {
  const app = unit.slice(0, unit.lastIndexOf("/"));
  const s = status.applications[app]?.units?.[unit]?.["workload-status"];
  return { current: s?.current ?? "unknown", message: s?.message ?? "" };
}

/** "current: message" of each unit of `app`, for readable assertions and failure output. */
export function statusLines(model: Model, app: string, status: ModelStatus = model.status()): string[] {
  return unitsOf(model, app, status).map((u) => {
    const s = unitStatus(model, u, status);
    return `${u} ${s.current}: ${s.message}`;
  });
}

export function unitsOf(model: Model, app: string, status: ModelStatus = model.status()): string[] {
  return Object.keys(status.applications[app]?.units ?? {}).sort();
}

/**
 * Waits until every connector named is RUNNING with every task (at least one) RUNNING on Kafka Connect and
 * every unit of `app` is active; returns the status then. Fails with what it last saw.
 */
export async function waitAllRunning(
  world: World,
  app: string,
  names: readonly string[],
  timeoutMs = 30_000,
): Promise<ModelStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  for (;;) {
    const status = world.model.status();
    const units = unitsOf(world.model, app, status);
    const leader = units.find((u) => status.applications[app]?.units?.[u]?.leader);
    // The leader's message counts what the workload last reported: all of them running, as Kafka Connect says.
    const all = `${names.length}/${names.length} connectors running`;
    const unitsActive =
      units.length > 0 &&
      units.every((u) => unitStatus(world.model, u, status).current === "active") &&
      leader !== undefined &&
      unitStatus(world.model, leader, status).message.startsWith(all);
    const states = await connectorStates(world, names);
    const running = names.every((n) => states[n] === "RUNNING");
    if (unitsActive && running) return status;
    last = [...statusLines(world.model, app, status), JSON.stringify(states)];
    if (Date.now() > deadline) {
      throw new Error(
        `not all running in ${timeoutMs} ms:\n${last.join("\n")}\n${leader ? world.workloadLog(leader, 2000) : ""}`,
      );
    }
    // Hooks (workload-changed via juju-exec) run in the model's own queue; poll what it shows.
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Per name: "RUNNING" when the connector and all its tasks (≥ 1) run; else its state, or "absent". */
export async function connectorStates(
  world: World,
  names: readonly string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const admin = world.kc.adminClient();
  try {
    for (const name of names) {
      const status = await admin.status(name).catch(() => undefined);
      if (!status) out[name] = "absent";
      else if (status.connector.state !== "RUNNING") out[name] = status.connector.state;
      else if (!status.tasks.length) out[name] = "NO TASKS";
      else {
        const bad = status.tasks.find((t) => t.state !== "RUNNING");
        out[name] = bad ? `task ${bad.id} ${bad.state}` : "RUNNING";
      }
    }
  } finally {
    await admin.close();
  }
  return out;
}

/** The plugin dirs the provider installed for relation `id` in a worker's plugin path. */
export function pluginDirs(world: World, worker: number, relation: number): string[] {
  const root = world.kc.cluster.workerFiles(worker).pluginPath;
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((d) => d.startsWith(`relation-${relation}-`));
}

/** The users in a worker's credentials file (never their passwords). */
export function credentialUsers(world: World, worker: number): string[] {
  try {
    const text = readFileSync(world.kc.cluster.workerFiles(worker).credentialsFile, "latin1");
    return [...parseJavaProperties(text).keys()].sort();
  } catch {
    return [];
  }
}

export interface StatusChange {
  /** Epoch ms when the sampler saw it. */
  at: number;
  unit: string;
  current: string;
  message: string;
}

export interface StatusWatch {
  /** Every change of a unit's workload status, in the order seen (the first sample included). */
  readonly changes: readonly StatusChange[];
  stop(): void;
}

/**
 * `juju status --watch` for one application: samples `model.status()` every `everyMs` and keeps each change.
 * A hook is a process that takes far longer than a sample, so a status a hook committed is not missed even
 * when the next hook replaces it soon after. Always `stop()` it.
 */
export function watchStatus(model: Model, app: string, everyMs = 10): StatusWatch {
  const changes: StatusChange[] = [];
  const last = new Map<string, string>();
  const sample = () => {
    const status = model.status();
    for (const unit of unitsOf(model, app, status)) {
      const s = unitStatus(model, unit, status);
      const key = `${s.current}\n${s.message}`;
      if (last.get(unit) === key) continue;
      last.set(unit, key);
      changes.push({ at: Date.now(), unit, ...s });
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    changes,
    // One last sample: a caller that stops on what model.status() says now must find it among the changes
    // (the interval may not have ticked since it changed).
    stop: () => {
      clearInterval(timer);
      sample();
    },
  };
}

/** One line per hook run since `from` (index into model.hooks): for failure output and the figures printed. */
export function hookLines(model: Model, from = 0): string {
  return model.hooks
    .slice(from)
    .map((h) => `${h.unit} ${h.hook} via ${h.via} ${Math.round(h.ms)} ms${h.ok ? "" : " FAILED"}`)
    .join("\n");
}
