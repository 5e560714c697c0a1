import { join } from "node:path";
import { readBoundedFile, SNAPSHOT_FILE } from "../common/files.js";
import { isStatusSnapshot } from "../common/generated/validators.js";

/**
 * Why status.json, which exists, cannot be used: unreadable (too large, not a regular file, no permission),
 * not JSON, or not a snapshot. Undefined when it is absent (the workload has not written it yet) or valid by
 * now (rewritten meanwhile). Uses the same generated checker as the ordinary read, so it can never
 * disagree with it, and no hook loads zod. Never quotes the content: the
 * position or the schema path is what a person needs to look, and what the file holds is the workload's.
 */
export async function snapshotProblem(stateDir: string): Promise<string | undefined> {
  let text: string | undefined;
  try {
    text = await readBoundedFile(join(stateDir, SNAPSHOT_FILE));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return `cannot read ${SNAPSHOT_FILE}${code ? ` (${code})` : ""}: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the error: only the position is kept.
    const at = /at position (\d+)/.exec(err instanceof Error ? err.message : "")?.[1];
    return `${SNAPSHOT_FILE} is not JSON${at === undefined ? "" : ` (at position ${at})`}`;
  }
  const problem = isStatusSnapshot.problem(value);
  if (problem === undefined) return undefined;
  const cut = problem.indexOf(": ");
  const where = cut < 0 ? "/" : problem.slice(0, cut);
  const what = cut < 0 ? problem : problem.slice(cut + 2);
  return `${SNAPSHOT_FILE} is invalid at ${where.slice(0, 80)}: ${what}`;
}
