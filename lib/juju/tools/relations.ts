import { exec, execJson, settingsJson } from "./exec.js";
import type { ToolRunner } from "./runner.js";

export type Databag = Record<string, string>;

/** `relation-ids <endpoint>` → `["db:3", …]`. */
export async function relationIds(runner: ToolRunner, endpoint: string): Promise<string[]> {
  return (await execJson<string[] | null>(runner, "relation-ids", [endpoint])) ?? [];
}

/** `relation-list -r ID` → the remote units in the relation. */
export async function relationList(runner: ToolRunner, relationId: string): Promise<string[]> {
  return (await execJson<string[] | null>(runner, "relation-list", ["-r", relationId])) ?? [];
}

/** `relation-list -r ID --app` → the remote application's name. */
export async function relationRemoteApp(runner: ToolRunner, relationId: string): Promise<string> {
  return (await execJson<string | null>(runner, "relation-list", ["-r", relationId, "--app"])) ?? "";
}

/** Reads a whole databag: a unit's (`owner` = unit name) or an application's (`app: true`, owner = app name). */
export async function relationGet(
  runner: ToolRunner,
  relationId: string,
  owner: string,
  opts: { app?: boolean } = {},
): Promise<Databag> {
  const args = ["-r", relationId, ...(opts.app ? ["--app"] : []), "-", owner];
  return (await execJson<Databag | null>(runner, "relation-get", args)) ?? {};
}

/**
 * Writes keys to this unit's (or, for the leader, this app's) databag. The map goes on stdin (`--file -`), so
 * values never reach argv; an empty string deletes a key, as with `key=` on the command line.
 */
export async function relationSet(
  runner: ToolRunner,
  relationId: string,
  data: Readonly<Record<string, string | null>>,
  opts: { app?: boolean } = {},
): Promise<void> {
  const body: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) body[k] = v ?? "";
  const args = ["-r", relationId, ...(opts.app ? ["--app"] : []), "--file", "-"];
  await exec(runner, "relation-set", args, settingsJson(body));
}
