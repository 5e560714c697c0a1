import { exec, execJson, settingsJson } from "./exec.js";
import type { ToolRunner } from "./runner.js";

/** `state-get` → this unit's whole key/value store on the controller. */
export async function stateGetAll(runner: ToolRunner): Promise<Record<string, string>> {
  return (await execJson<Record<string, string> | null>(runner, "state-get", [])) ?? {};
}

/** `state-set --file -`: values travel on stdin; committed only if the hook succeeds. */
export async function stateSet(runner: ToolRunner, values: Readonly<Record<string, string>>): Promise<void> {
  await exec(runner, "state-set", ["--file", "-"], settingsJson(values));
}

/** `state-delete -- <key>`: keys are free text (state-set takes any), so one starting with `-` is no flag. */
export async function stateDelete(runner: ToolRunner, key: string): Promise<void> {
  await exec(runner, "state-delete", ["--", key]);
}
