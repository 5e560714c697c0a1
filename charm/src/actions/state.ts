import { type ConnectorStateInfo, isKafkaConnectError } from "../../../lib/kafka-connect/index.js";
import type { DesiredConnector, Hold } from "../../common/desired-state.js";
import { ActionFailure, kafkaConnectLine } from "./failure.js";
import { describeSummary, KAFKA_STATE, stateResults } from "./observed.js";
import type { ActionRun, ConnectorParam } from "./run.js";

const NOT_READ =
  "; the workload has not read the hold yet: a reconcile cycle may undo this once before it does";

/**
 * `pause` and `stop`: the hold is recorded FIRST, then Kafka Connect is asked. The reconcile loop drives each
 * connector to its declared state unless a hold says otherwise, so a pause sent before the hold existed could
 * be undone by a cycle in between. The hold lasts until `resume`, or until the declaration changes.
 */
export function holdAction(state: Hold["state"]) {
  return async (run: ActionRun): Promise<void> => {
    const p = await run.params<ConnectorParam>();
    await run.requireLeader(`connector=${p.connector}`);
    const { connector, client } = await run.target(p.connector);
    const hold: Hold = {
      state,
      declarationHash: connector.declarationHash,
      since: new Date(run.now()).toISOString(),
    };
    await run.deps.setHold(run.hook, connector.declared, hold);
    const read = await run.workloadHasRead();
    try {
      if (state === "paused") await client.pause(connector.name, run.call);
      else await client.stop(connector.name, run.call);
    } catch (error) {
      if (!isKafkaConnectError(error)) throw error;
      throw new ActionFailure(
        `${kafkaConnectLine(error, await run.mask())} (the hold is recorded: the charm ${state === "paused" ? "pauses" : "stops"} ${connector.declared} once Kafka Connect answers; run resume to cancel)`,
      );
    }
    await report(
      run,
      connector,
      KAFKA_STATE[state],
      `held ${state} until resume or a change of its declaration${read ? "" : NOT_READ}`,
    );
  };
}

/**
 * `resume`: clears the hold, then resumes. A connector declared paused or stopped is not resumed: the charm
 * would put it back at once; its declared state says what it should be.
 */
export async function resume(run: ActionRun): Promise<void> {
  const p = await run.params<ConnectorParam>();
  await run.requireLeader(`connector=${p.connector}`);
  const { connector, client } = await run.target(p.connector);
  const holds = await run.deps.holds(run.hook);
  const hadHold = holds[connector.declared] !== undefined;
  await run.deps.setHold(run.hook, connector.declared, null);
  const read = await run.workloadHasRead();
  const cleared = `${hadHold ? "hold cleared" : "no hold"}${read ? "" : NOT_READ}`;
  if (connector.state !== "running") {
    await report(
      run,
      connector,
      KAFKA_STATE[connector.state],
      `${cleared}; it is declared ${connector.state}, so the charm keeps it ${KAFKA_STATE[connector.state]} (set its state to running in the connectors option to run it)`,
      false,
    );
    return;
  }
  await client.resume(connector.name, run.call);
  await report(run, connector, "RUNNING", cleared);
}

async function report(
  run: ActionRun,
  connector: DesiredConnector,
  expected: string,
  note: string,
  wait = true,
): Promise<void> {
  const { client } = await run.connect();
  // Without waiting: one read (a poll of one with nothing to wait for).
  const after = await run.pollSummary(
    client,
    connector.name,
    wait ? (s) => settledIn(s, expected) : () => true,
  );
  const { summary } = after;
  const state = summary ? describeSummary(summary) : "no status yet";
  await run.action.set({
    connector: connector.declared,
    ...stateResults(summary),
    message: `${connector.declared}: ${state}${after.settled ? "" : " (still changing)"}; ${note}`,
  });
}

/**
 * The connector reached `expected` and its tasks followed: paused tasks for a pause, none for a stop, running
 * ones (regenerated after a stop) for a resume.
 */
function settledIn(status: ConnectorStateInfo, expected: string): boolean {
  if (status.connector.state !== expected) return false;
  if (expected === "STOPPED") return true;
  return status.tasks.length > 0 && status.tasks.every((t) => t.state === expected);
}
