import { exec } from "./exec.js";
import type { ToolRunner } from "./runner.js";

export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR";

/** `juju-log --log-level LEVEL -- <message>`. Callers redact secrets first (see model/logger). */
export async function jujuLog(runner: ToolRunner, level: LogLevel, message: string): Promise<void> {
  await exec(runner, "juju-log", ["--log-level", level, "--", message]);
}
