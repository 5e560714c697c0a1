import { execJson } from "./exec.js";
import type { ToolRunner } from "./runner.js";

/** `is-leader` → whether this unit holds leadership for (at least) the rest of the hook. */
export async function isLeader(runner: ToolRunner): Promise<boolean> {
  return (await execJson<boolean>(runner, "is-leader", [])) === true;
}
