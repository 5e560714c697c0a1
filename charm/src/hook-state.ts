import { join } from "node:path";
import { writeFileAtomic } from "../common/files.js";
import { isHookState } from "../common/generated/validators.js";
import { readJsonFile } from "./json-file.js";
import type { HookState } from "./state-schemas.js";

/**
 * What this unit's hooks remember between runs, in the state dir: which plugin-url it verified and published
 * and which port it opened, so steady-state hooks skip the probe, the address lookup and port calls.
 */

export const HOOK_STATE_FILE = "hook-state.json";

export type { HookState } from "./state-schemas.js";

export async function readHookState(stateDir: string): Promise<HookState> {
  return (await readJsonFile(join(stateDir, HOOK_STATE_FILE), isHookState, 64 * 1024)) ?? {};
}

export async function writeHookState(stateDir: string, before: HookState, after: HookState): Promise<void> {
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  await writeFileAtomic(join(stateDir, HOOK_STATE_FILE), JSON.stringify(after));
}
