import { exec, execJson } from "./exec.js";
import type { ToolRunner } from "./runner.js";

/** Statuses a charm may set; `error` and `unknown` are Juju's own and can only be read. */
export type SettableStatus = "active" | "blocked" | "maintenance" | "waiting";
export type StatusName = SettableStatus | "error" | "unknown";

export interface StatusValue {
  readonly status: StatusName;
  readonly message: string;
}

/** `status-set [--application] <status> -- <message>` (free text after `--`). */
export async function statusSet(
  runner: ToolRunner,
  status: SettableStatus,
  message: string,
  opts: { application?: boolean } = {},
): Promise<void> {
  await exec(runner, "status-set", [...(opts.application ? ["--application"] : []), status, "--", message]);
}

interface UnitStatusJson {
  status: StatusName;
  message: string;
  "status-data"?: unknown;
}
interface AppStatusJson {
  "application-status": UnitStatusJson & { units?: Record<string, UnitStatusJson> };
}

/** `status-get --include-data` for this unit. */
export async function statusGet(runner: ToolRunner): Promise<StatusValue> {
  const s = await execJson<UnitStatusJson>(runner, "status-get", ["--include-data"]);
  return { status: s.status, message: s.message ?? "" };
}

/** `status-get --application --include-data` (leader only): the app status and each unit's. */
export async function applicationStatusGet(
  runner: ToolRunner,
): Promise<StatusValue & { units: Record<string, StatusValue> }> {
  const s = await execJson<AppStatusJson>(runner, "status-get", ["--application", "--include-data"]);
  const app = s["application-status"];
  const units: Record<string, StatusValue> = {};
  for (const [name, u] of Object.entries(app.units ?? {}))
    units[name] = { status: u.status, message: u.message };
  return { status: app.status, message: app.message ?? "", units };
}

/** `application-version-set -- <version>`: the workload version shown in `juju status`. */
export async function applicationVersionSet(runner: ToolRunner, version: string): Promise<void> {
  await exec(runner, "application-version-set", ["--", version]);
}
