/**
 * The demo scenario behind `npm start` (and the end-to-end figures of `npm run bench`): the packed integrator
 * and the reference Kafka Connect provider in an emulated Juju model, in front of the Kafka Connect emulator.
 * Every step is what an operator would type; every line printed is what they would see.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectorName } from "../../charm/common/names.js";
import { STATE_DIR_ENV } from "../../charm/common/workload-api.js";
import { packIntegrator } from "../../charm/pack.js";
import { SUPERVISOR_ENV } from "../../charm/src/service.js";
import {
  buildPluginTarball,
  deployKafkaConnect,
  formatStatus,
  freeLoopbackPort,
  type HookRecord,
  type KafkaConnectDeployment,
  Model,
  type ModelStatus,
  parseJavaProperties,
} from "../../lib/testing/index.js";

export const INTEGRATOR = "kafka-connect-integrator";
export const PROVIDER = "kafka-connect";
export const SINK_CLASS = "com.example.demo.OrdersSinkConnector";
const MIRROR_CLASS = "org.apache.kafka.connect.mirror.MirrorSourceConnector";

/** The example declaration: a sink from the plugin we serve, and a MirrorMaker source every worker has. */
export function connectorsYaml(ordersTasks: number): string {
  return [
    "orders-sink:",
    `  class: ${SINK_CLASS}`,
    `  tasks-max: ${ordersTasks}`,
    "  config:",
    "    topics: orders",
    "mirror-east:",
    `  class: ${MIRROR_CLASS}`,
    "  config:",
    "    source.cluster.alias: east",
    "    target.cluster.alias: west",
    "",
  ].join("\n");
}

export interface DemoOptions {
  /** Stop before removing the relation and leave everything running (the caller closes `running`). */
  readonly keep?: boolean;
  /** One line of progress (default: none). */
  readonly out?: (line: string) => void;
  /** Integrator units (default 2) and Kafka Connect workers (default 3). */
  readonly integratorUnits?: number;
  readonly workers?: number;
  /**
   * Called at once with what stops everything started so far (the model and its detached workloads, the
   * emulated workers, the temp dir), so a caller interrupted midway (Ctrl-C, a closed stdout) leaves nothing.
   */
  readonly onCleanup?: (close: () => Promise<void>) => void;
}

export interface DemoSummary {
  readonly hooks: readonly HookRecord[];
  readonly restRequests: number;
  /** From `juju integrate` to every declared connector and task RUNNING on Kafka Connect. */
  readonly integrateToRunningMs: number;
  /** From the injected task failure to the task RUNNING again (the workload's auto-restart). */
  readonly failureToRecoveredMs: number;
  /** From the failure to Juju status showing it (through the workload's custom event, not update-status). */
  readonly failureToStatusMs: number;
  readonly packMs: number;
  readonly totalMs: number;
  /** Set with `keep`: what is still running, and how to stop it. */
  readonly running?: RunningDemo;
}

export interface RunningDemo {
  readonly pluginUrl: string;
  readonly metricsUrls: readonly string[];
  readonly endpoints: readonly string[];
  readonly caFile?: string;
  /** A 0600 file holding the admin password (never printed). */
  readonly adminPasswordFile: string;
  /** A 0600 netrc with the admin login, for `curl --netrc-file` (a password in argv is visible to `ps`). */
  readonly netrcFile: string;
  close(): Promise<void>;
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoSummary> {
  const out = opts.out ?? (() => undefined);
  const t0 = performance.now();
  const at = () => `[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
  const say = (line: string) => out(`${at()} ${line}`);
  const work = await mkdtemp(join(tmpdir(), "kci-demo-"));
  let model: Model | undefined;
  let kc: KafkaConnectDeployment | undefined;
  /** Set once everything is left running for the caller (`keep`): then only its `close` stops it. */
  let kept = false;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await model?.close().catch(() => undefined);
      await kc?.close().catch(() => undefined);
      await rm(work, { recursive: true, force: true });
    })());
  opts.onCleanup?.(close);
  try {
    say("packing the integrator (npm run pack) and building a connector plugin tarball");
    const p0 = performance.now();
    const [packed, tarball] = await Promise.all([
      packIntegrator({ outDir: work }),
      buildPluginTarball({ plugins: [{ class: SINK_CLASS, type: "sink", version: "1.0.0", maxTasks: 4 }] }),
    ]);
    const packMs = performance.now() - p0;
    const pluginFile = join(work, "plugin.tar");
    await writeFile(pluginFile, tarball);
    const sha512 = createHash("sha512").update(tarball).digest("hex");
    say(`  ${packed.path.slice(work.length + 1)}: ${(packed.bytes / 2 ** 20).toFixed(1)} MiB`);

    const workers = opts.workers ?? 3;
    say(
      `juju deploy kafka-connect -n ${workers}   (the reference provider; one emulated worker per unit, TLS)`,
    );
    model = await Model.create({ name: "demo" });
    kc = await deployKafkaConnect(model, { units: workers, tls: true });
    say(`  workers: ${kc.cluster.endpoints.join(", ")}`);

    const units = opts.integratorUnits ?? 2;
    // Free on 127.0.0.1, where nothing else is: each unit listens on its own loopback address on this port.
    const port = await freeLoopbackPort();
    say(
      `juju deploy ./${packed.path.slice(work.length + 1)} -n ${units} --resource connect-plugin=plugin.tar --config connectors=…`,
    );
    await model.deploy(INTEGRATOR, {
      charm: packed.path,
      units,
      config: {
        connectors: connectorsYaml(2),
        "plugin-port": port,
        "reconcile-interval": "5s",
        "restart-backoff-unit": "1s",
      },
      resources: { "connect-plugin": pluginFile },
      env: (u) => ({ [STATE_DIR_ENV]: join(u.machineDir, "integrator"), [SUPERVISOR_ENV]: "process" }),
    });
    printUnits(say, model.status(), INTEGRATOR);

    say(`juju integrate ${INTEGRATOR} ${PROVIDER}`);
    const i0 = performance.now();
    const relation = await model.integrate(`${INTEGRATOR}:connect-client`, `${PROVIDER}:connect-client`);
    const ours = (declared: string) =>
      connectorName(declared, { app: INTEGRATOR, relation, modelUuid: model!.juju.state.uuid });
    const names = [ours("orders-sink"), ours("mirror-east")];
    await until(() => allRunning(kc!, names), 60_000, "every connector and task RUNNING");
    const integrateToRunningMs = performance.now() - i0;
    say(`  every connector and task RUNNING ${(integrateToRunningMs / 1000).toFixed(1)} s after integrate`);
    const pinned = `#sha512=${sha512.slice(0, 12)}…`;
    say(`  plugin-url: ${pluginUrlOf(model, relation)?.replace(/#sha512=.*/, pinned)}`);
    // Juju hears of it from the workload (workload-changed through juju-exec), not from a timer.
    await model.waitFor(
      (s) =>
        allActive(s, INTEGRATOR) &&
        leaderMessage(s).startsWith(`active: ${names.length}/${names.length} connectors running`),
      { timeoutMs: 60_000, what: "the leader reporting every connector running" },
    );
    out("");
    for (const line of formatStatus(model.status()).split("\n")) out(`    ${line}`);
    out("");

    say(`a task fails: the emulator fails task 0 of ${names[0]!.slice(0, 24)}…`);
    const f0 = performance.now();
    const hooksBefore = model.hooks.length;
    kc.cluster.failTask(names[0]!, 0, "org.apache.kafka.connect.errors.ConnectException: disk full");
    const seen = await model.waitFor((s) => /FAILED/.test(leaderMessage(s)), {
      timeoutMs: 60_000,
      what: "Juju status showing the failure",
    });
    const failureToStatusMs = performance.now() - f0;
    // The hook that set it is recorded once its process has exited, a moment after its status committed.
    const viaExec = () =>
      model!.hooks.slice(hooksBefore).filter((h) => h.via === "juju-exec" && h.hook === "workload-changed");
    await until(() => viaExec().length > 0, 10_000, "the workload-changed hook's record").catch(
      () => undefined,
    );
    const custom = viaExec();
    say(
      `  juju status after ${(failureToStatusMs / 1000).toFixed(1)} s (${custom.length} workload-changed hook(s) via juju-exec): ${leaderMessage(seen)}`,
    );
    await until(() => allRunning(kc!, names), 60_000, "the failed task restarted");
    const failureToRecoveredMs = performance.now() - f0;
    const restarts = kc.cluster.connector(names[0]!)?.taskRestarts[0] ?? 0;
    say(
      `  auto-restarted (task 0 restarts: ${restarts}); RUNNING again after ${(failureToRecoveredMs / 1000).toFixed(1)} s`,
    );
    await model.waitFor((s) => !/FAILED/.test(leaderMessage(s)), {
      timeoutMs: 60_000,
      what: "status recovered",
    });
    say(`  juju status: ${leaderMessage(model.status())}`);

    say(`juju run ${PROVIDER}/leader rotate-password relation-id=${relation}`);
    const rotated = await model.runAction(leaderOf(model, PROVIDER), "rotate-password", {
      "relation-id": relation,
    });
    say(`  ${rotated.status}; the workers rolled one by one with the new password`);
    const r0 = kc.cluster.requests.length;
    await until(
      () =>
        kc!.cluster.requests
          .slice(r0)
          .some((r) => r.user === `relation-${relation}` && r.status >= 200 && r.status < 300),
      60_000,
      "a request accepted with the new password",
    );
    await until(() => allRunning(kc!, names), 60_000, "connectors running after the rotation");
    say(`  the integrator reconnected with the new password; connectors still RUNNING`);

    const writesBefore = names.map((n) => kc!.cluster.connector(n)?.configWrites ?? 0);
    say(`juju config ${INTEGRATOR} connectors=…   (orders-sink: tasks-max 2 → 3)`);
    await model.config(INTEGRATOR, { connectors: connectorsYaml(3) });
    await until(
      async () =>
        kc!.cluster.connector(names[0]!)?.config["tasks.max"] === "3" && (await allRunning(kc!, names)),
      60_000,
      "orders-sink updated",
    );
    const writesAfter = names.map((n) => kc!.cluster.connector(n)?.configWrites ?? 0);
    say(
      `  config writes: orders-sink ${writesBefore[0]} → ${writesAfter[0]}, mirror-east ${writesBefore[1]} → ${writesAfter[1]} (only what changed)`,
    );

    if (opts.keep) {
      const running = await keepRunning(model, kc, work, relation, port, close);
      kept = true;
      return summary(running);
    }

    say(`juju remove-relation ${INTEGRATOR} ${PROVIDER}`);
    await model.removeRelation(relation);
    const left = names.filter((n) => kc!.cluster.connector(n) !== undefined);
    say(`  our connectors on Kafka Connect: ${left.length} (deleted by the leader in relation-broken)`);
    printUnits(say, model.status(), INTEGRATOR);
    return summary(undefined);

    function summary(running: RunningDemo | undefined): DemoSummary {
      return {
        hooks: [...model!.hooks],
        restRequests: kc!.cluster.requests.length,
        integrateToRunningMs,
        failureToRecoveredMs,
        failureToStatusMs,
        packMs,
        totalMs: performance.now() - t0,
        ...(running ? { running } : {}),
      };
    }
  } finally {
    if (!kept) await close();
  }
}

function printUnits(say: (line: string) => void, status: ModelStatus, app: string): void {
  for (const [name, u] of Object.entries(status.applications[app]?.units ?? {})) {
    say(`  ${name}${u.leader ? "*" : ""}: ${u["workload-status"].current}: ${u["workload-status"].message}`);
  }
}

function leaderOf(model: Model, app: string): string {
  const units = model.status().applications[app]?.units ?? {};
  const leader = Object.entries(units).find(([, u]) => u.leader)?.[0];
  if (!leader) throw new Error(`${app} has no leader`);
  return leader;
}

function leaderMessage(s: ModelStatus): string {
  const u = Object.values(s.applications[INTEGRATOR]?.units ?? {}).find((x) => x.leader);
  return u ? `${u["workload-status"].current}: ${u["workload-status"].message}` : "";
}

function allActive(s: ModelStatus, app: string): boolean {
  return Object.values(s.applications[app]?.units ?? {}).every(
    (u) => u["workload-status"].current === "active",
  );
}

function pluginUrlOf(model: Model, relation: number): string | undefined {
  return model.juju.state.relations[String(relation)]?.appData[INTEGRATOR]?.["plugin-url"];
}

/** Every named connector and each of its tasks RUNNING, as Kafka Connect's status API says (as the admin). */
async function allRunning(kc: KafkaConnectDeployment, names: readonly string[]): Promise<boolean> {
  const admin = kc.adminClient();
  try {
    for (const n of names) {
      const s = await admin.status(n).catch(() => undefined);
      if (s?.connector.state !== "RUNNING" || !s.tasks.length) return false;
      if (s.tasks.some((t) => t.state !== "RUNNING")) return false;
    }
    return true;
  } finally {
    await admin.close();
  }
}

async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function keepRunning(
  model: Model,
  kc: KafkaConnectDeployment,
  work: string,
  relation: number,
  port: number,
  close: () => Promise<void>,
): Promise<RunningDemo> {
  const units = Object.values(model.status().applications[INTEGRATOR]?.units ?? {});
  const adminPasswordFile = join(work, "admin.password");
  const users = parseJavaProperties(await readFile(kc.cluster.credentialsFile!, "latin1"));
  const password = users.get("admin") ?? "";
  await writeFile(adminPasswordFile, password, { mode: 0o600 });
  const netrcFile = join(work, "netrc");
  await writeFile(netrcFile, `machine 127.0.0.1 login admin password ${password}\n`, { mode: 0o600 });
  let caFile: string | undefined;
  if (kc.cluster.caPem) {
    caFile = join(work, "ca.pem");
    await writeFile(caFile, kc.cluster.caPem);
  }
  return {
    pluginUrl: (pluginUrlOf(model, relation) ?? "").replace(/#.*/, ""),
    metricsUrls: units.map((u) => `http://${u["public-address"]}:${port}/metrics`),
    endpoints: kc.cluster.endpoints,
    ...(caFile ? { caFile } : {}),
    adminPasswordFile,
    netrcFile,
    close,
  };
}
