import * as z from "zod/mini";
import {
  type ConnectorOffsets,
  isKafkaConnectError,
  type KafkaConnectClient,
} from "../../../lib/kafka-connect/index.js";
import type { DesiredConnector } from "../../common/desired-state.js";
import { ActionFailure } from "./failure.js";
import { clip, MAX_TEXT_RESULT, renderTable } from "./format.js";
import type { ActionRun, ConnectorParam } from "./run.js";

/** The `offsets` param: bounded before it is parsed (the schema's maxLength is checked by Juju and again here). */
export const MAX_OFFSETS_CHARS = 64 * 1024;
export const MAX_OFFSETS_DEPTH = 8;
export const MAX_OFFSET_ENTRIES = 10_000;

const JsonMap = z.record(z.string(), z.unknown());
export const OffsetsParam = z.strictObject({
  offsets: z
    .array(z.strictObject({ partition: JsonMap, offset: z.nullable(JsonMap) }))
    .check(
      z.minLength(1, "offsets must list at least one partition"),
      z.maxLength(MAX_OFFSET_ENTRIES, `at most ${MAX_OFFSET_ENTRIES} partitions at once`),
    ),
});

/**
 * The `offsets` param as ConnectorOffsets, or an ActionFailure saying what is wrong. Size and nesting are
 * checked on the text, before JSON.parse builds anything.
 */
export function parseOffsetsParam(text: string): ConnectorOffsets {
  if (text.length > MAX_OFFSETS_CHARS) {
    throw new ActionFailure(`offsets is ${text.length} characters, over the ${MAX_OFFSETS_CHARS} limit`);
  }
  const depth = jsonDepth(text);
  if (depth > MAX_OFFSETS_DEPTH) {
    throw new ActionFailure(`offsets nests ${depth} levels deep, over the limit of ${MAX_OFFSETS_DEPTH}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ActionFailure(`offsets is not valid JSON: ${clip((error as Error).message, 120)}`);
  }
  const result = OffsetsParam.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const at = issue.path.length ? issue.path.join(".") : "(the whole value)";
    throw new ActionFailure(
      `offsets must be {"offsets": [{"partition": {…}, "offset": {…} or null}, …]}: ${at}: ${issue.message}`,
    );
  }
  return result.data;
}

/** Deepest nesting of arrays and objects in JSON text (strings skipped); no parse, no recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") max = Math.max(max, ++depth);
    else if (ch === "}" || ch === "]") depth--;
  }
  return max;
}

/** `get-offsets`: the committed offsets as JSON (when it fits in an action result) and as a table. */
export async function getOffsets(run: ActionRun): Promise<void> {
  const p = await run.params<ConnectorParam>();
  const { connector, client } = await run.target(p.connector);
  const { offsets } = await client.getOffsets(connector.name, run.call);
  const json = JSON.stringify({ offsets });
  const fits = json.length <= MAX_TEXT_RESULT / 2;
  await run.action.set({
    connector: connector.declared,
    partitions: offsets.length,
    ...(fits
      ? { offsets: json }
      : { note: `${json.length} characters of offsets: too large for the offsets result: see the table` }),
    table: renderTable(
      ["PARTITION", "OFFSET"],
      offsets.map((o) => [
        JSON.stringify(o.partition),
        o.offset === null ? "null" : JSON.stringify(o.offset),
      ]),
    ),
  });
}

/** `alter-offsets`: only while STOPPED, as Kafka requires. */
export async function alterOffsets(run: ActionRun): Promise<void> {
  const p = await run.params<ConnectorParam & { readonly offsets: string }>();
  await run.requireLeader(`connector=${p.connector} offsets=…`);
  const offsets = parseOffsetsParam(p.offsets);
  const { connector, client } = await run.target(p.connector);
  await requireStopped(run, client, connector);
  const { message } = await notStopped(run, connector, () =>
    client.alterOffsets(connector.name, offsets, run.call),
  );
  await run.action.set({ connector: connector.declared, partitions: offsets.offsets.length, message });
}

/** `reset-offsets`: only while STOPPED, as Kafka requires. */
export async function resetOffsets(run: ActionRun): Promise<void> {
  const p = await run.params<ConnectorParam>();
  await run.requireLeader(`connector=${p.connector}`);
  const { connector, client } = await run.target(p.connector);
  await requireStopped(run, client, connector);
  const { message } = await notStopped(run, connector, () => client.resetOffsets(connector.name, run.call));
  await run.action.set({ connector: connector.declared, message });
}

function stopFirst(run: ActionRun, connector: DesiredConnector, state: string): ActionFailure {
  return new ActionFailure(
    `${connector.declared} is ${state}: Kafka changes offsets only while a connector is STOPPED; stop it first: juju run ${run.app}/leader stop connector=${connector.declared}`,
  );
}

async function requireStopped(
  run: ActionRun,
  client: KafkaConnectClient,
  connector: DesiredConnector,
): Promise<void> {
  const status = await client.status(connector.name, run.call);
  if (status.connector.state !== "STOPPED") throw stopFirst(run, connector, status.connector.state);
}

/** The worker's own refusal (a state change raced our check) reads the same as ours. */
async function notStopped<T>(
  run: ActionRun,
  connector: DesiredConnector,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isKafkaConnectError(error) && error.variant === "connector-not-stopped") {
      throw stopFirst(run, connector, "not STOPPED");
    }
    throw error;
  }
}
