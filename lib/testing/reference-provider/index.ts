import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
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
  /**
   * Deploy with the charm's `tls` option on: the workers start http, as a real deployment does before it has
   * certificates, and switch to https on the charm's first hooks (the same as `model.config(app, { tls: true })`
   * later). `config.tls` wins over it.
   */
  tls?: boolean;
  config?: Record<string, string | number | boolean>;
  timing?: Partial<Timing>;
}

export interface KafkaConnectDeployment {
  readonly app: string;
  readonly cluster: KafkaConnectCluster;
  readonly control: DeployedWorkerControl;
  /**
   * A REST client as the charm's `admin` user (password read from worker 0's credentials file, never logged),
   * on the workers' endpoints as they are now (http or https), trusting the cluster's CA.
   */
  adminClient(): KafkaConnectClient;
  close(): Promise<void>;
}

let built: Promise<string> | undefined;

/** Every TypeScript file the charm may bundle (lib/), by path, size and mtime: the build cache's key. */
async function sourceKey(): Promise<string> {
  const lib = join(KAFKA_CONNECT_CHARM_DIR, "..", "..");
  const hash = createHash("sha256");
  const files = (await readdir(lib, { recursive: true })).filter((f) => /\.(ts|ya?ml)$/.test(f)).sort();
  for (const f of files) {
    const st = await stat(join(lib, f));
    hash.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * Builds the provider charm (minified: every hook pays its start-up) once per source tree into a cache under
 * the temp dir, shared by test processes and kept across runs: vitest's workers exit without running exit
 * handlers, so a per-process dir would be left behind each time. Stale builds over an hour old are pruned.
 */
function builtCharm(): Promise<string> {
  built ??= (async () => {
    const root = join(tmpdir(), "kcck-reference-provider");
    const outDir = join(root, await sourceKey());
    if (await exists(join(outDir, "dispatch"))) return outDir;
    await mkdir(root, { recursive: true });
    const staging = await mkdtemp(join(root, ".build-"));
    try {
      await buildCharm({
        entry: join(KAFKA_CONNECT_CHARM_DIR, "src", "main.ts"),
        charmDir: KAFKA_CONNECT_CHARM_DIR,
        outDir: staging,
        minify: true,
      });
      // Another process may have won the race: its build is as good as ours.
      await rename(staging, outDir).catch(async () => rm(staging, { recursive: true, force: true }));
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      throw e;
    }
    await pruneStale(root, outDir);
    return outDir;
  })();
  built.catch(() => {
    built = undefined;
  });
  return built;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function pruneStale(root: string, keep: string): Promise<void> {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of await readdir(root).catch(() => [])) {
    const dir = join(root, name);
    if (dir === keep) continue;
    const st = await stat(dir).catch(() => undefined);
    if (st && st.mtimeMs < hourAgo) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Removes the cached builds (tests of the harness; a user may also just delete the folder). */
export async function removeBuiltKafkaConnectCharm(): Promise<void> {
  built = undefined;
  await rm(join(tmpdir(), "kcck-reference-provider"), { recursive: true, force: true });
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
    ...(opts.timing ? { timing: opts.timing } : {}),
  };
  const cluster = await startKafkaConnectCluster(clusterOpts);
  let control: DeployedWorkerControl | undefined;
  try {
    control = await startWorkerControl(cluster);
    const url = control.url;
    const charm = await builtCharm();
    const config = { ...(opts.tls ? { tls: true } : {}), ...opts.config };
    await model.deploy(app, {
      charm,
      units,
      ...(Object.keys(config).length ? { config } : {}),
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
