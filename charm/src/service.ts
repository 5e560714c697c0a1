import { execFile as execFileCb, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readBoundedFile, writeFileAtomic } from "../common/files.js";

/**
 * The supervisor seam: keeps the workload (`node <charmDir>/workload.mjs --state-dir <dir> --host <addr>`) running with the
 * current bundle. Production: a systemd unit; tests and the model emulator: a detached child process
 * (`KCI_SUPERVISOR=process`); in-process tests: a recording fake. Each restarts the service only when the unit
 * text or the bundle changed, so an ordinary hook costs a stat and a small file read.
 */

export const SERVICE_NAME = "kafka-connect-integrator-workload";
export const SUPERVISOR_ENV = "KCI_SUPERVISOR";

export interface WorkloadSpec {
  readonly charmDir: string;
  readonly stateDir: string;
  /** The node binary to run it with (the one running the hook: the runtime shipped with the charm). */
  readonly node: string;
  /** The plugin server's listen address: the unit's bind address, the one it publishes (`--host`). */
  readonly host: string;
}

export type EnsureResult = "started" | "restarted" | "unchanged";

export interface Supervisor {
  /** Installs/starts the service, or restarts it when its definition or bundle changed. */
  ensure(spec: WorkloadSpec): Promise<EnsureResult>;
  /** Stops and removes the service (the `remove` hook). */
  remove(spec: WorkloadSpec): Promise<void>;
}

export function workloadBundle(spec: WorkloadSpec): string {
  return join(spec.charmDir, "workload.mjs");
}

export function workloadArgv(spec: WorkloadSpec): string[] {
  return [spec.node, workloadBundle(spec), "--state-dir", spec.stateDir, "--host", spec.host];
}

/** What identifies the running version: the bundle's size and mtime, and the service definition. */
async function stampOf(spec: WorkloadSpec, definition: string): Promise<string> {
  const st = await stat(workloadBundle(spec)).catch(() => undefined);
  return JSON.stringify({ bundle: st ? [st.size, st.mtimeMs] : null, definition });
}

const STAMP_FILE = "service.stamp";

async function readStamp(stateDir: string): Promise<string | undefined> {
  return readBoundedFile(join(stateDir, STAMP_FILE), 64 * 1024).catch(() => undefined);
}

/** systemd unit text. Restart=always: a crashed workload comes back without waiting for a hook. */
export function systemdUnit(spec: WorkloadSpec): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, "\\$1")}"`);
  return [
    "[Unit]",
    "Description=Kafka Connect integrator workload (plugin server, metrics, connector reconciler)",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    `ExecStart=${workloadArgv(spec).map(q).join(" ")}`,
    "Restart=always",
    "RestartSec=5",
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "ProtectHome=yes",
    "UMask=0077",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

export type ExecFile = (file: string, args: readonly string[]) => Promise<void>;

const defaultExecFile: ExecFile = (file, args) =>
  new Promise((resolve, reject) => {
    execFileCb(file, [...args], { timeout: 30_000 }, (err, _out, stderr) =>
      err
        ? reject(new Error(`${file} ${args.join(" ")} failed: ${String(stderr).trim() || err.message}`))
        : resolve(),
    );
  });

export function systemdSupervisor(opts: { unitDir?: string; execFile?: ExecFile } = {}): Supervisor {
  const unitDir = opts.unitDir ?? "/etc/systemd/system";
  const run = opts.execFile ?? defaultExecFile;
  const unitPath = join(unitDir, `${SERVICE_NAME}.service`);
  return {
    async ensure(spec) {
      const unit = systemdUnit(spec);
      const stamp = await stampOf(spec, unit);
      const previous = await readStamp(spec.stateDir);
      if (previous === stamp) return "unchanged";
      const current = await readFile(unitPath, "utf8").catch(() => undefined);
      if (current !== unit) {
        await writeFile(unitPath, unit, { mode: 0o644 });
        await run("systemctl", ["daemon-reload"]);
      }
      const first = previous === undefined;
      await run("systemctl", ["enable", "--now", `${SERVICE_NAME}.service`]);
      if (!first) await run("systemctl", ["restart", `${SERVICE_NAME}.service`]);
      await writeFileAtomic(join(spec.stateDir, STAMP_FILE), stamp);
      return first ? "started" : "restarted";
    },
    async remove(spec) {
      await run("systemctl", ["disable", "--now", `${SERVICE_NAME}.service`]).catch(() => undefined);
      await writeFile(join(spec.stateDir, STAMP_FILE), "").catch(() => undefined);
    },
  };
}

const PID_FILE = "workload.pid";

/**
 * Whether `pid` still runs. A process that exited is a zombie until its parent reaps it, and signal 0 still
 * reaches a zombie: the workload is an orphan (its hook exited long ago), so that parent is PID 1, which in
 * a container may reap seconds later (1.4–1.8 s measured here). Counted as running, a zombie kept `remove`
 * polling that long after the workload had stopped. Linux says which it is in /proc/<pid>/stat.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  return !zombie(pid);
}

function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "<pid> (<comm>) <state> …": comm may hold spaces and parentheses, so the state follows the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

async function readPid(stateDir: string): Promise<number | undefined> {
  const text = await readBoundedFile(join(stateDir, PID_FILE), 64).catch(() => undefined);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * A detached child process with a pid file, for tests and the model emulator: the hook process exits, the
 * workload stays. Restarted when the bundle changed or the process is gone.
 */
export function processSupervisor(opts: { env?: NodeJS.ProcessEnv } = {}): Supervisor {
  return {
    async ensure(spec) {
      const stamp = await stampOf(spec, workloadArgv(spec).join(" "));
      const pid = await readPid(spec.stateDir);
      const running = pid !== undefined && alive(pid);
      if (running && (await readStamp(spec.stateDir)) === stamp) return "unchanged";
      if (running) await stopPid(pid);
      await mkdir(spec.stateDir, { recursive: true, mode: 0o700 });
      const [node, ...args] = workloadArgv(spec);
      const log = openSync(join(spec.stateDir, "workload.log"), "a", 0o600);
      try {
        const child = spawn(node!, args, {
          detached: true,
          stdio: ["ignore", log, log],
          env: workloadEnv(opts.env ?? process.env),
          cwd: spec.charmDir,
        });
        child.unref();
        await writeFileAtomic(join(spec.stateDir, PID_FILE), String(child.pid));
      } finally {
        closeSync(log);
      }
      await writeFileAtomic(join(spec.stateDir, STAMP_FILE), stamp);
      return running ? "restarted" : "started";
    },
    async remove(spec) {
      const pid = await readPid(spec.stateDir);
      if (pid !== undefined && alive(pid)) await stopPid(pid);
    },
  };
}

/**
 * The hook's environment minus Juju's hook variables: juju-exec refuses to run from a process that carries a
 * hook context (JUJU_CONTEXT_ID), and the workload must not look like a hook anyway.
 */
export function workloadEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("JUJU_")));
}

/** SIGTERM, then SIGKILL after 5 s; bounded polling, never a long sleep. */
async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 250 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  if (alive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** For in-process tests: records what it was asked, starts nothing. */
export class RecordingSupervisor implements Supervisor {
  readonly calls: { op: "ensure" | "remove"; spec: WorkloadSpec }[] = [];
  private stamp: string | undefined;
  async ensure(spec: WorkloadSpec): Promise<EnsureResult> {
    this.calls.push({ op: "ensure", spec });
    const stamp = JSON.stringify(spec);
    const result: EnsureResult =
      this.stamp === undefined ? "started" : this.stamp === stamp ? "unchanged" : "restarted";
    this.stamp = stamp;
    return result;
  }
  async remove(spec: WorkloadSpec): Promise<void> {
    this.calls.push({ op: "remove", spec });
    this.stamp = undefined;
  }
}

/** The supervisor production hooks use: systemd, unless the environment selects the child-process one. */
export function supervisorFromEnv(env: NodeJS.ProcessEnv = process.env): Supervisor {
  return env[SUPERVISOR_ENV] === "process" ? processSupervisor() : systemdSupervisor();
}
