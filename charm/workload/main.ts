import { isAbsolute } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_STATE_DIR, STATE_DIR_ENV } from "../common/workload-api.js";
import { jujuExecDispatch } from "./events.js";
import { JUJU_EXEC, jujuExecLeadership } from "./leadership.js";
import { createLog, describeError, Masker } from "./log.js";
import { reconcile } from "./reconciler/index.js";
import { startWorkload, type Workload } from "./service.js";

/**
 * The workload service: `node workload.mjs [--state-dir <dir>] [--host <addr>] [--juju-exec <path>]`, run by
 * systemd on every unit
 * (Restart=always). SIGTERM/SIGINT stop it cleanly (exit 0); anything uncaught is logged, masked, and exits 1
 * so systemd restarts it.
 */
const USAGE = `usage: workload [--state-dir <dir>] [--host <address>] [--juju-exec <path>]
  --state-dir  where desired.json, status.json and history.json live (default $${STATE_DIR_ENV} or ${DEFAULT_STATE_DIR})
  --host       the plugin server's listen address (default 0.0.0.0)
  --juju-exec  absolute path of juju-exec (default: juju-exec on PATH, else juju-run on PATH, else ${JUJU_EXEC})`;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let values: { "state-dir"?: string; host?: string; "juju-exec"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        "state-dir": { type: "string" },
        host: { type: "string" },
        "juju-exec": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
    const given = values["juju-exec"];
    if (given !== undefined && !isAbsolute(given)) {
      throw new Error(`--juju-exec must be an absolute path, not ${JSON.stringify(given.slice(0, 120))}`);
    }
  } catch (err) {
    process.stderr.write(`${describeError(err)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const jujuExec = values["juju-exec"];
  const stateDir = values["state-dir"] ?? env[STATE_DIR_ENV] ?? DEFAULT_STATE_DIR;
  const masker = new Masker();
  const log = createLog(masker);
  const fatal = (what: string) => (err: unknown) => {
    log.error(`${what}: ${describeError(err)}`);
    process.exit(1);
  };
  process.on("uncaughtException", fatal("uncaught exception"));
  process.on("unhandledRejection", fatal("unhandled rejection"));

  // Signals are handled from the start: one arriving while the first cycle runs stops the workload after it.
  let stopping: string | undefined;
  let workload: Workload | undefined;
  const stop = (w: Workload) =>
    w.close().then(
      () => process.exit(0),
      (err: unknown) => fatal("stopping failed")(err),
    );
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = signal;
    log.info(`${signal}: stopping`);
    if (workload) void stop(workload);
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));

  workload = await startWorkload({
    stateDir,
    reconcile,
    log,
    masker,
    listen: { host: values.host ?? "0.0.0.0" },
    // Without --juju-exec each call looks juju-exec up on PATH (leadership.ts findJujuExec).
    leadership: jujuExecLeadership(jujuExec === undefined ? {} : { jujuExec }),
    dispatchEvent: jujuExecDispatch(jujuExec === undefined ? {} : { jujuExec }),
  });
  log.info(`workload started (state in ${stateDir})`);
  if (stopping) void stop(workload);
}

await main(process.argv.slice(2));
