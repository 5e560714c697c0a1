import { readFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KafkaConnectClient } from "../../kafka-connect/index.js";
import { buildCharm } from "../charm-build.js";
import type { KafkaConnectCluster, KafkaConnectClusterOptions, Timing } from "../kafka-connect/api.js";
import { parseProperties } from "../kafka-connect/auth.js";
import { startKafkaConnectCluster } from "../kafka-connect/cluster.js";
import { startWorkerControl } from "../kafka-connect/control.js";
import { CONTROL_ENV } from "./src/charm.js";
import { ADMIN_USER } from "./src/users.js";

/** The reference provider's charm directory (metadata.yaml, config.yaml, actions.yaml, src/). */
export const KAFKA_CONNECT_CHARM_DIR = dirname(fileURLToPath(import.meta.url));

/** What deployKafkaConnect needs of the model emulator (lib/testing/model's Model has it). */
export interface KafkaConnectDeployTarget {
  deploy(
    app: string,
    opts: {
      charm: string;
      units?: number;
      config?: Record<string, string | number | boolean>;
      env?: (unit: { name: string }) => Record<string, string>;
    },
  ): Promise<string[]>;
}

/** The emulator's worker-control server (KCP_WORKER_CONTROL): `<url>/workers/<i>`. */
export interface DeployedWorkerControl {
  readonly url: string;
  close(): Promise<void>;
}

export interface DeployKafkaConnectOptions {
  app?: string;
  /** One worker per unit (default 3). */
  units?: number;
  version?: string;
  tls?: boolean;
  config?: Record<string, string | number | boolean>;
  timing?: Partial<Timing>;
}

export interface KafkaConnectDeployment {
  readonly app: string;
  readonly cluster: KafkaConnectCluster;
  readonly control: DeployedWorkerControl;
  /** A REST client as the charm's `admin` user (password read from worker 0's credentials file, never logged). */
  adminClient(): KafkaConnectClient;
  close(): Promise<void>;
}

let built: Promise<string> | undefined;
let buildDir: string | undefined;

/** Builds the provider charm once per process, into a temp dir removed at exit. */
function builtCharm(): Promise<string> {
  built ??= (async () => {
    buildDir = await mkdtemp(join(tmpdir(), "kcp-reference-provider-"));
    process.once("exit", () => {
      if (buildDir) rmSyncQuiet(buildDir);
    });
    const outDir = join(buildDir, "charm");
    await buildCharm({
      entry: join(KAFKA_CONNECT_CHARM_DIR, "src", "main.ts"),
      charmDir: KAFKA_CONNECT_CHARM_DIR,
      outDir,
    });
    return outDir;
  })();
  built.catch(() => {
    built = undefined;
  });
  return built;
}

function rmSyncQuiet(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true }); // exit handlers must be synchronous
  } catch {
    // best effort at exit
  }
}

/**
 * Deploys the reference Kafka Connect provider in a model: an emulated cluster (one worker per unit, each with
 * its own plugin path and credentials file), the worker-control server each unit's charm talks to
 * (KCP_WORKER_CONTROL), and the built charm. Always `close()` it (before or after the model's close).
 */
export async function deployKafkaConnect(
  model: KafkaConnectDeployTarget,
  opts: DeployKafkaConnectOptions = {},
): Promise<KafkaConnectDeployment> {
  const app = opts.app ?? "kafka-connect";
  const units = opts.units ?? 3;
  const clusterOpts: KafkaConnectClusterOptions & { perWorkerFiles: true } = {
    workers: units,
    perWorkerFiles: true,
    ...(opts.version ? { version: opts.version } : {}),
    ...(opts.tls ? { tls: true } : {}),
    ...(opts.timing ? { timing: opts.timing } : {}),
  };
  const cluster = await startKafkaConnectCluster(clusterOpts);
  let control: DeployedWorkerControl | undefined;
  try {
    control = await startWorkerControl(cluster);
    const url = control.url;
    const charm = await builtCharm();
    await model.deploy(app, {
      charm,
      units,
      ...(opts.config ? { config: opts.config } : {}),
      env: (u) => ({ [CONTROL_ENV]: `${url}/workers/${Number(u.name.slice(u.name.lastIndexOf("/") + 1))}` }),
    });
  } catch (err) {
    await control?.close().catch(() => undefined);
    await cluster.close();
    throw err;
  }
  const ctl = control;
  return {
    app,
    cluster,
    control: ctl,
    adminClient() {
      const file = cluster.credentialsFile; // with perWorkerFiles: worker 0's
      if (!file) throw new Error("the cluster has no credentials file");
      const password = parseProperties(readFileSync(file, "latin1").slice(0, 1024 * 1024)).get(ADMIN_USER);
      if (!password) throw new Error("worker 0's credentials file has no admin user yet");
      return new KafkaConnectClient({
        endpoints: cluster.endpoints,
        auth: { username: ADMIN_USER, password },
        ...(cluster.caPem ? { tlsCa: cluster.caPem } : {}),
      });
    },
    async close() {
      await ctl.close().catch(() => undefined);
      await cluster.close();
    },
  };
}

/** Removes the per-process build of the provider charm now (tests that want the disk back early). */
export async function removeBuiltKafkaConnectCharm(): Promise<void> {
  const dir = buildDir;
  built = undefined;
  buildDir = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
}
