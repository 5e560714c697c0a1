import {
  type CallOptions,
  isKafkaConnectError,
  type KafkaConnectClient,
  type KafkaConnectErrorKind,
} from "../../../lib/kafka-connect/index.js";
import type { ErrorReport } from "../../common/snapshot.js";
import type { RequestCounter } from "./observe.js";
import type { Action } from "./planner.js";
import { errorReport, type Mask, ReconcileError } from "./report.js";

/**
 * Applies a plan with the REST client, in the plan's order. Thin on purpose: every decision is the planner's;
 * here are only the guards that need I/O. Leadership is checked before every write (`mayAct`); one connector's
 * failure skips only that connector's remaining actions; a failure of the cluster itself (down, credentials,
 * TLS, a rebalance past the client's retries) ends the cycle, since every further call would fail the same way
 * (after its own timeouts). The 409 storms of a rebalance are the client's to retry first. An answer over the
 * client's size cap (`response-too-large`) is one connector's: another's answer may well fit (the listing
 * that is too large has its own fallback in observe.ts).
 */

export interface ExecuteInput {
  readonly client: KafkaConnectClient;
  readonly actions: readonly Action[];
  readonly counter: RequestCounter;
  readonly mask: Mask;
  readonly mayAct?: () => boolean | Promise<boolean>;
  readonly signal?: AbortSignal;
}

export interface ExecuteOutcome {
  readonly deleted: string[];
  readonly created: string[];
  /** Connectors whose config a create or update of this cycle wrote. */
  readonly written: string[];
  /** Restarts Kafka accepted, by connector name. */
  readonly restarts: Record<string, number>;
  /** Restart actions not made (refused, not reached, leadership lost): their history is reverted. */
  readonly restartsNotMade: Action[];
  readonly errors: (ErrorReport & { connector?: string })[];
}

/**
 * Failures that are the cluster's, not one connector's: nothing more can succeed this cycle. A rebalance that
 * outlasted the client's 409 retries is the whole cluster's too: every further write would spend its own
 * retries (up to the client's deadline each) on the same 409s.
 */
const CYCLE_KINDS: ReadonlySet<KafkaConnectErrorKind> = new Set([
  "rebalancing",
  "unavailable",
  "unauthorized",
  "timeout",
  "tls",
  "aborted",
]);

export async function execute(input: ExecuteInput): Promise<ExecuteOutcome> {
  const { client, counter, mask } = input;
  const call: CallOptions = input.signal ? { signal: input.signal } : {};
  const outcome: ExecuteOutcome = {
    deleted: [],
    created: [],
    written: [],
    restarts: {},
    restartsNotMade: [],
    errors: [],
  };
  const failed = new Set<string>();
  const send = <T>(request: () => Promise<T>): Promise<T> => {
    counter.requests += 1;
    return request();
  };

  for (let i = 0; i < input.actions.length; i++) {
    const action = input.actions[i]!;
    if (failed.has(action.name)) {
      if (action.kind === "restart") outcome.restartsNotMade.push(action);
      continue;
    }
    const leadership = await mayAct();
    if (leadership !== true) {
      const left = input.actions.slice(i);
      outcome.restartsNotMade.push(...left.filter((a) => a.kind === "restart"));
      const why = leadership === false ? "" : ` (${mask(leadership.failed)})`;
      outcome.errors.push({
        kind: "not-leader",
        message: `leadership not confirmed${why}: ${left.length} action(s) not applied`,
      });
      break;
    }
    try {
      await apply(action);
    } catch (error) {
      const report = errorReport(error, mask);
      if (action.kind === "restart") outcome.restartsNotMade.push(action);
      if (isKafkaConnectError(error) && CYCLE_KINDS.has(error.kind)) {
        outcome.errors.push(report);
        const left = input.actions.slice(i + 1);
        outcome.restartsNotMade.push(...left.filter((a) => a.kind === "restart"));
        break;
      }
      outcome.errors.push({ ...report, connector: action.name });
      failed.add(action.name);
    }
  }
  return outcome;

  /**
   * The leadership check; one that throws counts as not confirmed. A throw must not escape the cycle: it would
   * lose the history of the restarts already made, and the next cycle would make them again at once.
   */
  async function mayAct(): Promise<true | false | { failed: string }> {
    if (!input.mayAct) return true;
    try {
      return (await input.mayAct()) === true;
    } catch (error) {
      return { failed: error instanceof Error ? error.message : String(error) };
    }
  }

  async function apply(action: Action): Promise<void> {
    const { name } = action;
    switch (action.kind) {
      case "delete":
        try {
          await send(() => client.deleteConnector(name, call));
        } catch (error) {
          // Gone already (someone else deleted it meanwhile): the goal is met.
          if (!isKafkaConnectError(error, "not-found")) throw error;
        }
        outcome.deleted.push(name);
        return;
      case "create":
        await create(action);
        outcome.created.push(name);
        return;
      case "update": {
        const { created } = await send(() => client.putConfig(name, action.config, call));
        outcome.written.push(name);
        if (!created) return;
        outcome.created.push(name);
        if (action.ifCreated) await afterCreateStep(name, action.ifCreated);
        return;
      }
      case "pause":
        await send(() => client.pause(name, call));
        return;
      case "resume":
        await send(() => client.resume(name, call));
        return;
      case "stop":
        await send(() => client.stop(name, call));
        return;
      case "restart":
        await restart(action);
        outcome.restarts[name] = (outcome.restarts[name] ?? 0) + 1;
        return;
    }
  }

  async function create(action: Extract<Action, { kind: "create" }>): Promise<void> {
    const { name, config, initialState } = action;
    let afterCreate = action.afterCreate;
    try {
      if (initialState === undefined) await send(() => client.createConnector(name, config, call));
      else {
        try {
          await send(() => client.createConnector(name, config, { ...call, initialState }));
        } catch (error) {
          // A worker whose version we could not read, older than 3.7 after all: create, then pause or stop.
          if (!isKafkaConnectError(error, "unsupported")) throw error;
          await send(() => client.createConnector(name, config, call));
          afterCreate = initialState === "PAUSED" ? "pause" : "stop";
        }
      }
    } catch (error) {
      // Created by an earlier cycle but not yet placed, so the listing (which leaves out connectors without a
      // status, as Kafka does) did not show it: the next listing will.
      if (isKafkaConnectError(error, "already-exists")) return;
      throw error;
    }
    outcome.written.push(name);
    if (afterCreate !== undefined) await afterCreateStep(name, afterCreate);
  }

  async function afterCreateStep(name: string, step: "pause" | "stop"): Promise<void> {
    if ((await mayAct()) !== true) throw notLeader();
    if (step === "pause") await send(() => client.pause(name, call));
    else await send(() => client.stop(name, call));
  }

  async function restart(action: Extract<Action, { kind: "restart" }>): Promise<void> {
    const { name } = action;
    if (action.withFlags) {
      const result = await send(() =>
        client.restartConnector(name, { ...call, includeTasks: true, onlyFailed: true }),
      );
      if (result.honoured) return;
      // A pre-3.0 worker ignored the flags and restarted the connector instance only: restart the tasks too.
    } else if (action.connector) {
      await send(() => client.restartConnector(name, call));
    }
    for (const task of action.tasks) await send(() => client.restartTask(name, task, call));
  }
}

function notLeader(): ReconcileError {
  return new ReconcileError(
    "not-leader",
    "leadership not confirmed: the pause or stop after the create was not sent",
  );
}
