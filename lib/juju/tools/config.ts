import { execJson } from "./exec.js";
import type { ToolRunner } from "./runner.js";

export type ConfigValues = Record<string, string | number | boolean>;

/** `config-get` → every option that has a value (secret options are secret URIs). */
export async function configGet(runner: ToolRunner): Promise<ConfigValues> {
  return (await execJson<ConfigValues | null>(runner, "config-get", [])) ?? {};
}
