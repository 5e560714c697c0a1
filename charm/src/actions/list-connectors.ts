import type { ExpandedConnectors } from "../../../lib/kafka-connect/index.js";
import type { DesiredConnector } from "../../common/desired-state.js";
import { declaredNameOf } from "../../common/names.js";
import { boundedConnectors, renderTable, resultKeys } from "./format.js";
import {
  holdInForce,
  isOurs,
  notOursLine,
  restartRecord,
  type StatusSummary,
  summarize,
} from "./observed.js";
import type { ActionRun } from "./run.js";

interface Row {
  readonly declared: string;
  readonly name: string;
  readonly isDeclared: boolean;
  readonly type: string;
  readonly summary?: StatusSummary;
  readonly desired?: string;
  readonly held?: string;
  readonly restarts: number;
  readonly restartsTotal: number;
  readonly gaveUp: boolean;
  readonly problem?: string;
}

/**
 * `list-connectors`: our connectors as Kafka Connect has them, with ONE request (`expand=status&expand=info`),
 * joined with the declarations, the holds and the workload's restart history. Declared connectors missing on
 * Kafka Connect show as MISSING; ours no longer declared show as such (the reconcile loop deletes them).
 */
export async function listConnectors(run: ActionRun): Promise<void> {
  const { client, owner } = await run.connect();
  const declaredResult = await run.declaredResult();
  const declared = "connectors" in declaredResult ? declaredResult.connectors : [];
  const [listing, holds, snapshot, mask] = await Promise.all([
    client.listConnectors({ ...run.call, expand: ["status", "info"] }) as Promise<ExpandedConnectors>,
    run.deps.holds(run.hook),
    run.deps.snapshot(),
    run.mask(),
  ]);

  const rows: Row[] = [];
  const row = (declaredName: string, name: string, connector: DesiredConnector | undefined): Row => {
    // A declaration that is not ours is not looked up: the name may be another application's connector.
    const entry = !connector || isOurs(connector, owner) ? listing[name] : undefined;
    const status = entry?.status;
    const record = restartRecord(snapshot?.history, name, declaredName);
    const hold = connector ? holdInForce(connector, holds) : undefined;
    return {
      declared: declaredName,
      name,
      isDeclared: connector !== undefined,
      type: status?.type ?? entry?.info?.type ?? "-",
      ...(status ? { summary: summarize(status, mask) } : {}),
      ...(connector && !isOurs(connector, owner) ? { problem: notOursLine(declaredName) } : {}),
      ...(connector ? { desired: connector.state } : {}),
      ...(hold ? { held: hold.state } : {}),
      restarts: record?.count ?? 0,
      restartsTotal: record?.total ?? 0,
      gaveUp: record?.gaveUp ?? false,
    };
  };
  for (const c of declared) rows.push(row(c.declared, c.name, c));
  const known = new Set(declared.filter((c) => isOurs(c, owner)).map((c) => c.name));
  let others = 0;
  for (const name of Object.keys(listing).sort()) {
    if (known.has(name)) continue;
    const ours = declaredNameOf(name, owner);
    if (ours === undefined) others++;
    else rows.push(row(ours, name, undefined));
  }

  const table = renderTable(
    ["NAME", "TYPE", "STATE", "TASKS", "HELD", "RESTARTS"],
    rows.map((r) => [
      r.declared,
      r.type,
      stateCell(r),
      r.summary ? `${r.summary.running}/${r.summary.total}` : "-",
      r.held ?? "-",
      r.gaveUp ? `${r.restarts} (gave up)` : String(r.restarts),
    ]),
  );
  const keys = resultKeys(rows.map((r) => r.declared));
  const connectors = boundedConnectors(
    rows.map((r) => [
      keys.get(r.declared)!,
      {
        name: r.declared,
        "kafka-name": r.name,
        type: r.type,
        state: r.problem ? "UNKNOWN" : (r.summary?.state ?? "MISSING"),
        declared: r.isDeclared,
        ...(r.desired ? { desired: r.desired } : {}),
        "tasks-running": r.summary?.running ?? 0,
        "tasks-total": r.summary?.total ?? 0,
        ...(r.summary?.failedTasks.length ? { "failed-tasks": r.summary.failedTasks.join(",") } : {}),
        ...(r.held ? { held: r.held } : {}),
        restarts: r.restarts,
        "restarts-total": r.restartsTotal,
        "gave-up": r.gaveUp,
        ...(r.summary?.trace ? { trace: r.summary.trace } : {}),
        ...(r.problem ? { problem: r.problem } : {}),
      },
    ]),
    run.limits.resultBytes,
  );
  const running = rows.filter((r) => r.summary?.state === "RUNNING").length;
  const tasksRunning = rows.reduce((n, r) => n + (r.summary?.running ?? 0), 0);
  const tasksTotal = rows.reduce((n, r) => n + (r.summary?.total ?? 0), 0);
  const summary = `${rows.length} connector(s), ${running} running, ${tasksRunning}/${tasksTotal} tasks running`;
  await run.action.set({
    table,
    summary,
    ...connectors,
    "other-connectors": others,
    ...("problem" in declaredResult ? { problem: declaredResult.problem } : {}),
  });
}

function stateCell(r: Row): string {
  if (r.problem) return "UNKNOWN (not ours)";
  const state = r.summary?.state ?? "MISSING";
  return r.isDeclared ? state : `${state} (undeclared)`;
}
