import { isKafkaConnectError } from "../../../lib/kafka-connect/index.js";
import { ActionFailure } from "./failure.js";
import { describeSummary, isTransient, restartSettled, stateResults } from "./observed.js";
import type { ActionRun, ConnectorParam } from "./run.js";

interface RestartParams extends ConnectorParam {
  readonly "include-tasks"?: boolean;
  readonly "only-failed"?: boolean;
}

/**
 * `restart`: `POST /connectors/{c}/restart` with Kafka's flags. A worker older than 3.0 ignores the flags and
 * restarts the connector instance only (the client reports `honoured: false`); the tasks asked for are then
 * restarted one by one, as the reconciler does on such workers.
 */
export async function restart(run: ActionRun): Promise<void> {
  const p = await run.params<RestartParams>();
  const includeTasks = p["include-tasks"] ?? false;
  const onlyFailed = p["only-failed"] ?? false;
  const flags = [includeTasks ? "include-tasks=true" : "", onlyFailed ? "only-failed=true" : ""];
  await run.requireLeader([`connector=${p.connector}`, ...flags].filter(Boolean).join(" "));
  const { connector, client } = await run.target(p.connector);

  const result = await client.restartConnector(connector.name, { ...run.call, includeTasks, onlyFailed });
  let restarted: string;
  if (result.status) {
    const marked = result.status.tasks
      .filter((t) => t.state === "RESTARTING")
      .map((t) => t.id)
      .sort((a, b) => a - b);
    const instance = result.status.connector.state === "RESTARTING";
    restarted =
      [instance ? "the connector" : "", marked.length ? `task(s) ${marked.join(", ")}` : ""]
        .filter(Boolean)
        .join(" and ") || "nothing (nothing had failed)";
  } else if (!result.honoured && includeTasks) {
    const status = await client.status(connector.name, run.call);
    const tasks = status.tasks.filter((t) => !onlyFailed || t.state === "FAILED").map((t) => t.id);
    for (const id of tasks) await client.restartTask(connector.name, id, run.call);
    restarted = `the connector and task(s) ${tasks.join(", ") || "none"} (one by one: this worker predates Kafka 3.0)`;
  } else {
    restarted = result.honoured ? "the connector" : "the connector (this worker predates Kafka 3.0)";
  }

  const after = await run.pollSummary(client, connector.name, restartSettled);
  const { summary } = after;
  const state = summary ? describeSummary(summary) : "no status yet";
  await run.action.set({
    connector: connector.declared,
    restarted,
    ...stateResults(summary),
    ...(summary?.trace ? { trace: summary.trace } : {}),
    message: `${connector.declared}: restarted ${restarted}; now ${state}${after.settled ? "" : " (still settling)"}`,
  });
}

interface RestartTaskParams extends ConnectorParam {
  readonly task: number;
}

/** `restart-task`: `POST /connectors/{c}/tasks/{t}/restart`, then the task's state once it settled. */
export async function restartTask(run: ActionRun): Promise<void> {
  const p = await run.params<RestartTaskParams>();
  await run.requireLeader(`connector=${p.connector} task=${p.task}`);
  const { connector, client } = await run.target(p.connector);
  try {
    await client.restartTask(connector.name, p.task, run.call);
  } catch (error) {
    if (
      isKafkaConnectError(error, "not-found") &&
      (error.variant === "unknown-task" || error.variant === "no-task-status")
    ) {
      throw new ActionFailure(`${connector.declared} has no task ${p.task}`);
    }
    throw error;
  }
  const after = await run.pollSummary(client, connector.name, (s) => {
    const task = s.tasks.find((t) => t.id === p.task);
    return task !== undefined && !isTransient(task.state);
  });
  const task = after.status?.tasks.find((t) => t.id === p.task);
  await run.action.set({
    connector: connector.declared,
    task: p.task,
    ...stateResults(after.summary),
    state: task?.state ?? "UNKNOWN",
    message: `${connector.declared}: task ${p.task} restarted; now ${task?.state ?? "no status yet"}${after.settled ? "" : " (still settling)"}`,
  });
}
