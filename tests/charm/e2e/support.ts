import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { buildIntegrator } from "../../../charm/build.js";
import type { DesiredState } from "../../../charm/common/desired-state.js";
import { DESIRED_FILE, SNAPSHOT_FILE } from "../../../charm/common/files.js";
import type { StatusSnapshot } from "../../../charm/common/snapshot.js";
import { alive } from "../../../charm/src/service.js";
import {
  BlackBoxContext,
  type KafkaConnectCluster,
  loadCharmMeta,
  type RelationState,
  type SecretState,
  type State,
  secretId,
} from "../../../lib/testing/index.js";
import { freeLoopbackPort } from "../../../lib/testing/net.js";

/**
 * The built integrator as Juju runs it: dispatch → charm.mjs as a process with the fake hook tools, and the
 * real workload.mjs started by the charm as a detached child (KCI_SUPERVISOR=process).
 */

export const ROOT = resolve(import.meta.dirname, "../../..");
export const meta = loadCharmMeta(ROOT);
export const APP = "kafka-connect-integrator";
export const UNIT = `${APP}/0`;
export const PROVIDER = "kafka-connect";
export const KC_USER = "relation-1";
export const KC_PASSWORD = "kc-password-1";

/** Builds the charm once for a test file into .build/ (gitignored); the caller removes it in afterAll. */
export async function buildOnce(name: string): Promise<{ dir: string; dispatch: string; cleanup(): void }> {
  const dir = join(ROOT, ".build", `e2e-${name}-${process.pid}`);
  const built = await buildIntegrator(dir);
  return { dir, dispatch: built.dispatch, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The unit's address in a test file's States: the workload listens on it (the charm passes network-get's bind
 * address as --host), so it is a loopback one, one per file (`n`), apart from the model emulator's
 * 127.<k ≥ 1>.x.y. Linux routes all of 127/8 to lo.
 */
export const unitAddress = (n: number) => `127.0.${200 + n}.1`;

/** A free port on `host` for the workload's plugin server (the charm's plugin-port). */
export const freePort = (host = "127.0.0.1") => freeLoopbackPort(host);

/**
 * The juju-exec seam. The workload looks juju-exec up on PATH at each call (charm/workload/leadership.ts
 * findJujuExec), and the hook's PATH reaches it: BlackBoxContext gives the hook the fake hook tools' folder
 * followed by this process's PATH, and the charm's child-process supervisor passes the hook's environment on
 * (minus JUJU_*). So a fake `juju-exec` in a folder put first on this process's PATH is the one the workload
 * runs. The fake records each argv (one line, tab-separated) and answers is-leader from a file the test
 * controls.
 */
export class FakeJujuExec {
  readonly dir = mkdtempSync(join(tmpdir(), "kci-e2e-exec-"));
  readonly script = join(this.dir, "juju-exec");
  readonly callsFile = join(this.dir, "calls.log");
  readonly leaderFile = join(this.dir, "is-leader");
  readonly #savedPath = process.env.PATH;

  constructor() {
    writeFileSync(this.leaderFile, "true\n");
    writeFileSync(
      this.script,
      [
        "#!/bin/sh",
        `{ for a in "$@"; do printf '%s\\t' "$a"; done; printf '\\n'; } >> '${this.callsFile}'`,
        `if [ "$3" = is-leader ]; then cat '${this.leaderFile}'; fi`,
        "exit 0",
        "",
      ].join("\n"),
    );
    chmodSync(this.script, 0o755);
    process.env.PATH = this.#savedPath ? `${this.dir}${delimiter}${this.#savedPath}` : this.dir;
  }

  /** Each call's argv, in order. */
  calls(): string[][] {
    if (!existsSync(this.callsFile)) return [];
    return readFileSync(this.callsFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split("\t").slice(0, -1));
  }

  /** The calls that were not is-leader questions: the dispatches of a custom hook. */
  dispatches(): string[][] {
    return this.calls().filter((argv) => argv[2] !== "is-leader");
  }

  cleanup(): void {
    process.env.PATH = this.#savedPath;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One unit of the built charm: its state dir, the black-box context, and the workload it starts. */
export class Unit {
  readonly stateDir = mkdtempSync(join(tmpdir(), "kci-e2e-state-"));
  readonly exec = new FakeJujuExec();
  readonly ctx: BlackBoxContext;

  constructor(dispatch: string, extraEnv: Record<string, string> = {}) {
    mkdirSync(this.stateDir, { recursive: true });
    this.ctx = new BlackBoxContext(dispatch, meta, {
      env: {
        KCI_STATE_DIR: this.stateDir,
        KCI_SUPERVISOR: "process",
        ...extraEnv,
      },
    });
  }

  desired(): DesiredState | undefined {
    return readJson<DesiredState>(join(this.stateDir, DESIRED_FILE));
  }

  snapshot(): StatusSnapshot | undefined {
    return readJson<StatusSnapshot>(join(this.stateDir, SNAPSHOT_FILE));
  }

  workloadPid(): number | undefined {
    const text = existsSync(join(this.stateDir, "workload.pid"))
      ? readFileSync(join(this.stateDir, "workload.pid"), "utf8").trim()
      : "";
    const pid = Number(text);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** The workload's log, for failure messages. */
  log(): string {
    const path = join(this.stateDir, "workload.log");
    return existsSync(path) ? readFileSync(path, "utf8").slice(-4000) : "";
  }

  /** Kills the workload by its pid file (the `remove` hook is the polite way; this is the backstop). */
  async kill(): Promise<void> {
    const pid = this.workloadPid();
    if (pid === undefined || !alive(pid)) return;
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
  }

  async close(): Promise<void> {
    await this.kill();
    await this.ctx.close();
    rmSync(this.stateDir, { recursive: true, force: true });
    this.exec.cleanup();
  }
}

/** Running, not a zombie waiting for PID 1 to reap it (the supervisor's own check). */
export { alive };

/** True when the snapshot shows `n` connectors RUNNING with every task (at least one) RUNNING. */
export function allRunning(snapshot: StatusSnapshot | undefined, n: number): boolean {
  const running = (snapshot?.connectors ?? []).filter(
    (c) => c.state === "RUNNING" && c.tasks.length > 0 && c.tasks.every((t) => t.state === "RUNNING"),
  );
  return running.length === n;
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

export const providerSecretId = secretId();

/** The provider's credentials, granted to us over the relation. */
export const providerSecret = (password = KC_PASSWORD): SecretState => ({
  id: providerSecretId,
  from: { app: PROVIDER, relationId: 1 },
  revisions: { 1: { username: KC_USER, password } },
});

/** connect-client relation 1 whose provider publishes the emulator's endpoints and a granted secret-user. */
export const connectClient = (cluster: KafkaConnectCluster): RelationState => ({
  id: 1,
  endpoint: "connect-client",
  remoteApp: PROVIDER,
  remoteAppData: { endpoints: cluster.endpoints.join(","), "secret-user": `secret:${providerSecretId}` },
});

export const peers = (): RelationState => ({ id: 2, endpoint: "cluster" });

/** Mirror connectors (built into every emulated worker): no plugin needed to create them. */
export function mirrorYaml(names: readonly string[], extra = ""): string {
  return (
    names
      .map(
        (n) =>
          `${n}:\n  class: org.apache.kafka.connect.mirror.MirrorSourceConnector\n  config:\n    source.cluster.alias: ${n}\n    target.cluster.alias: west\n`,
      )
      .join("") + extra
  );
}

/** The options every e2e unit starts with: its own port, and intervals short enough for a test. */
export function baseConfig(port: number, connectors: string): Record<string, string | number | boolean> {
  return {
    connectors,
    "plugin-port": port,
    "reconcile-interval": "5s",
    "restart-backoff-unit": "1s",
  };
}

export type { State };
