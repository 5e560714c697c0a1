import { join } from "node:path";
import type {
  DesiredConnector,
  DesiredState,
  Hold,
  KafkaConnectAccess,
  PluginServing,
  RestartHistory,
} from "../common/desired-state.js";
import { DESIRED_FILE, readBoundedFile, SNAPSHOT_FILE, writeFileAtomic } from "../common/files.js";
import { isDesiredState, isLastGood, isStatusSnapshot } from "../common/generated/validators.js";
import type { StatusSnapshot } from "../common/snapshot.js";
import { readJsonFile } from "./json-file.js";
import { canonicalJson } from "./peers.js";
import type { LastGood } from "./state-schemas.js";

/**
 * The desired state a hook hands the workload: built from what the hook computed (pure), written atomically
 * and 0600 (it holds credentials), its generation raised only when the content changed.
 */

export type DesiredBody = Omit<DesiredState, "generation" | "writtenAt">;

/** The last good resolved connectors, kept on every unit so a config typo never empties the declaration. */
export const LAST_GOOD_FILE = "connectors.last-good.json";

export async function readDesired(stateDir: string): Promise<DesiredState | undefined> {
  return readJsonFile(join(stateDir, DESIRED_FILE), isDesiredState);
}

export async function readSnapshot(stateDir: string): Promise<StatusSnapshot | undefined> {
  return readJsonFile(join(stateDir, SNAPSHOT_FILE), isStatusSnapshot);
}

export type { LastGood } from "./state-schemas.js";

export async function readLastGood(stateDir: string): Promise<LastGood | undefined> {
  return readJsonFile(join(stateDir, LAST_GOOD_FILE), isLastGood);
}

export async function writeLastGood(stateDir: string, lastGood: LastGood): Promise<void> {
  const path = join(stateDir, LAST_GOOD_FILE);
  const text = JSON.stringify(lastGood);
  const current = await readBoundedFile(path).catch(() => undefined);
  if (current !== text) await writeFileAtomic(path, text);
}

export interface DesiredInput {
  readonly unit: string;
  readonly app: string;
  readonly modelUuid: string;
  readonly charmDir: string;
  readonly port: number;
  readonly plugin: PluginServing;
  readonly leader: boolean;
  /** The relation's access, when ready; only the leader's desired state carries it. */
  readonly access?: KafkaConnectAccess;
  /**
   * The connectors to keep, or undefined when there is no good declaration at all (then the workload is not
   * given Kafka Connect access: with nothing trustworthy to converge to, it must not delete anything).
   */
  readonly connectors: readonly DesiredConnector[] | undefined;
  readonly holds: Readonly<Record<string, Hold>>;
  readonly restartPolicy: DesiredState["restartPolicy"];
  readonly reconcileIntervalMs: number;
  readonly history: RestartHistory;
}

/** Only the leader with a ready connection and a good declaration gets Kafka Connect access and connectors. */
export function buildDesired(input: DesiredInput): DesiredBody {
  const acting = input.leader && input.access !== undefined && input.connectors !== undefined;
  return {
    version: 1,
    unit: input.unit,
    app: input.app,
    modelUuid: input.modelUuid,
    charmDir: input.charmDir,
    port: input.port,
    plugin: input.plugin,
    leader: input.leader,
    ...(acting ? { kafkaConnect: input.access } : {}),
    connectors: acting ? [...input.connectors!] : [],
    holds: acting ? { ...input.holds } : {},
    restartPolicy: input.restartPolicy,
    reconcileIntervalMs: input.reconcileIntervalMs,
    history: input.history,
  };
}

function sameBody(a: DesiredBody, b: DesiredState): boolean {
  const { generation: _g, writtenAt: _w, ...rest } = b;
  return canonicalJson(a) === canonicalJson(rest);
}

/**
 * Writes the desired state if its content differs from what is on disk; the generation goes up by one with
 * each such write. Returns what is now in force.
 */
export async function writeDesired(
  stateDir: string,
  body: DesiredBody,
  now: () => number,
  previous?: DesiredState,
): Promise<{ desired: DesiredState; changed: boolean }> {
  const current = previous ?? (await readDesired(stateDir));
  if (current && sameBody(body, current)) return { desired: current, changed: false };
  const desired: DesiredState = {
    ...body,
    generation: (current?.generation ?? 0) + 1,
    writtenAt: new Date(now()).toISOString(),
  };
  // Never hand the workload what it would refuse (it validates the same schema, with zod).
  const problem = isDesiredState.problem(desired);
  if (problem) throw new Error(`the desired state does not match its schema: ${problem}`);
  await writeFileAtomic(join(stateDir, DESIRED_FILE), JSON.stringify(desired));
  return { desired, changed: true };
}
