import { exec, execJson } from "./exec.js";
import type { ToolRunner } from "./runner.js";

/** `action-get` → the action's params (Juju has already applied the schema defaults). */
export async function actionGet(runner: ToolRunner): Promise<Record<string, unknown>> {
  return (await execJson<Record<string, unknown> | null>(runner, "action-get", [])) ?? {};
}

/** Action result keys: lowercase alphanumerics and `-`, starting and ending alphanumeric; `.` nests. */
export const ACTION_KEY = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Result keys Juju keeps for itself. */
export const RESERVED_ACTION_KEYS: ReadonlySet<string> = new Set([
  "stdout",
  "stdout-encoding",
  "stderr",
  "stderr-encoding",
]);

/** Flattens nested results to Juju's dotted `key=value` pairs; `undefined` values are left out, as JSON does. */
export function flattenResults(results: Readonly<Record<string, unknown>>, prefix = ""): string[] {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(results)) {
    if (value === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      pairs.push(...flattenResults(value as Record<string, unknown>, path));
    } else {
      pairs.push(`${path}=${typeof value === "string" ? value : JSON.stringify(value)}`);
    }
  }
  return pairs;
}

/**
 * `action-set key=value …`. Juju only takes results on argv, so callers must never pass secrets here;
 * model/action refuses values it knows to be secret.
 */
export async function actionSet(
  runner: ToolRunner,
  results: Readonly<Record<string, unknown>>,
): Promise<void> {
  const pairs = flattenResults(results);
  if (pairs.length > 0) await exec(runner, "action-set", pairs);
}

/** `action-fail <message>`: the action ends failed with this message once the process exits. */
export async function actionFail(runner: ToolRunner, message: string): Promise<void> {
  await exec(runner, "action-fail", ["--", message]);
}

/** `action-log <message>`: a progress line the operator sees while the action runs. */
export async function actionLog(runner: ToolRunner, message: string): Promise<void> {
  await exec(runner, "action-log", ["--", message]);
}
