import type { ConfigValidation, KafkaConnectClient } from "../../../lib/kafka-connect/index.js";
import { isKafkaConnectError } from "../../../lib/kafka-connect/index.js";
import type { DesiredConnector, Hold } from "../../common/desired-state.js";
import type { Owner } from "../../common/names.js";
import {
  effectiveState,
  observeOwn,
  ownConnectors,
  type Plan,
  type PlanInput,
  plan as reconcilerPlan,
  storedForm,
  workerVersion,
} from "../../workload/reconciler/index.js";
import { DEFAULT_OPTIONS } from "../config/options.js";
import { failureLine } from "./failure.js";
import {
  boundedConnectors,
  clip,
  listNames,
  MASK,
  MAX_LINE,
  maskValues,
  oneLine,
  renderTable,
  resultKeys,
  shortValue,
} from "./format.js";
import { KAFKA_STATE } from "./observed.js";
import type { ActionRun, Mask } from "./run.js";

/** Validations in flight at once: enough to be quick on hundreds of connectors, gentle on the workers. */
const VALIDATE_CONCURRENCY = 4;

type PlannedAction = Plan["actions"][number];

/** Validation of one declaration: errors by key (masked), or the one line of a failed validate call. */
export interface Validation {
  readonly errors: readonly string[];
  readonly validated: boolean;
  /** Keys the plugin types PASSWORD: masked like secret keys. */
  readonly passwordKeys: readonly string[];
}

/** What the reconcile loop would do to one declared connector, for the table. Pure data. */
export interface ConnectorPlan {
  readonly declared: string;
  readonly name: string;
  readonly action: "create" | "update" | "none" | "refused";
  /**
   * The reconciler's steps for it, in its order: `create` (or `create (PAUSED)`), update, pause, resume, stop,
   * restart. Words only: its actions carry the config, secrets included.
   */
  readonly steps: readonly string[];
  /** Keys whose values would change, be added or be removed (sorted): the reconciler's `changedKeys`. */
  readonly changed: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** One `key: "old" → "new"` per changed or added key; secret and PASSWORD values as ***. */
  readonly details: readonly string[];
  /** The state the loop drives it to (a hold wins over the declaration). */
  readonly target: string;
  /** What Kafka Connect reports now, when it has the connector. */
  readonly observed?: string;
  readonly held?: Hold["state"];
  /** What the reconciler refuses or works around for it (masked), and why a declaration is refused. */
  readonly notes: readonly string[];
  readonly errors: readonly string[];
  readonly validated: boolean;
}

/** The reconciler's plan input (the loop's inputs), plus our owner and the validations. */
export type DryRunInput = PlanInput & {
  readonly owner: Owner;
  /** By declared name; absent: not validated (refused declarations are not sent anywhere). */
  readonly validations: ReadonlyMap<string, Validation>;
};

export interface DryRun {
  readonly plans: readonly ConnectorPlan[];
  readonly deletions: readonly { readonly name: string; readonly declared: string }[];
}

/**
 * The dry run, pure: the reconciler's own `plan` on the same inputs the loop gives it, so what this shows is
 * what the loop does. Declarations are refused by the reconciler's own rule (`ownConnectors`: not ours, or
 * declared twice), with its words.
 */
export function dryRun(input: DryRunInput): DryRun {
  const { own, refused: refusals } = ownConnectors(input.connectors, input.owner, input.mask);
  const planned = reconcilerPlan({ ...input, connectors: own });
  const plans = input.connectors.map((c, i) => {
    const refusal = refusals.get(i);
    return refusal ? refused(c, input, refusal.error.message) : describe(c, input, planned);
  });
  const deletions = planned.actions
    .filter((a) => a.kind === "delete")
    .map((a) => ({ name: a.name, declared: a.declared }))
    .sort((a, b) => a.declared.localeCompare(b.declared));
  return { plans, deletions };
}

function refused(c: DesiredConnector, input: DryRunInput, why: string): ConnectorPlan {
  const { state, held } = effectiveState(c, input.holds);
  return {
    declared: c.declared,
    name: c.name,
    action: "refused",
    steps: [],
    changed: [],
    added: [],
    removed: [],
    details: [],
    target: KAFKA_STATE[state],
    ...(held ? { held } : {}),
    notes: [why],
    errors: [],
    validated: false,
  };
}

function describe(c: DesiredConnector, input: DryRunInput, planned: Plan): ConnectorPlan {
  const actions = planned.actions.filter((a) => a.kind !== "delete" && a.name === c.name);
  const validation = input.validations.get(c.declared) ?? { errors: [], validated: false, passwordKeys: [] };
  const masked = new Set([...c.secretKeys, ...validation.passwordKeys]);
  const shown = (key: string, value: string) => (masked.has(key) ? MASK : shortValue(input.mask(value)));
  const { state, held } = effectiveState(c, input.holds);
  const desired = storedForm(c);
  const stored = input.observed.get(c.name)?.config ?? {};
  const create = actions.find((a) => a.kind === "create");
  const update = actions.find((a) => a.kind === "update");
  const keys = update?.kind === "update" ? update.changedKeys : [];
  const changed = keys.filter((k) => k in desired && k in stored);
  const added = create ? Object.keys(desired).sort() : keys.filter((k) => !(k in stored));
  // Removed keys are named only: their values may be secrets the declaration no longer marks.
  const removed = keys.filter((k) => !(k in desired));
  const details = create
    ? [
        // The class in full (it says what the connector is); `name` is ours, not news.
        `class ${desired["connector.class"] ?? "(none)"}`,
        ...added
          .filter((k) => k !== "connector.class" && k !== "name")
          .map((k) => `${k}: ${shown(k, desired[k]!)}`),
      ]
    : [
        ...changed.map((k) => `${k}: ${shown(k, stored[k]!)} → ${shown(k, desired[k]!)}`),
        ...added.map((k) => `${k}: (new) ${shown(k, desired[k]!)}`),
        ...removed.map((k) => `${k}: removed`),
      ];
  const restart = actions.find((a) => a.kind === "restart");
  if (restart?.kind === "restart") {
    const what = [
      restart.connector ? "the connector" : "",
      restart.tasks.length ? `task(s) ${restart.tasks.join(", ")}` : "",
    ];
    details.push(`restart ${what.filter(Boolean).join(" and ") || "the connector"} (FAILED)`);
  }
  const observed = planned.observations.find((o) => o.name === c.name);
  return {
    declared: c.declared,
    name: c.name,
    action: create ? "create" : update ? "update" : "none",
    steps: actions.map(stepWord),
    changed,
    added,
    removed,
    details,
    target: KAFKA_STATE[state],
    ...(observed && observed.state !== "MISSING" ? { observed: observed.state } : {}),
    ...(held ? { held } : {}),
    notes: planned.notes.filter((n) => n.connector === c.name).map((n) => n.message),
    ...validation,
  };
}

/** One step as the table names it. */
function stepWord(a: PlannedAction): string {
  if (a.kind !== "create") return a.kind;
  const state =
    a.initialState ??
    (a.afterCreate === "pause" ? "PAUSED" : a.afterCreate === "stop" ? "STOPPED" : undefined);
  return state ? `create (${state})` : "create";
}

/** The verb a plan row shows: create, create (PAUSED), update, update+stop, pause, restart, … or "none". */
export function planVerb(plan: ConnectorPlan): string {
  if (plan.action === "refused") return "refused";
  return plan.steps.join("+") || "none";
}

/**
 * `plan`: a dry run. Every declared connector of ours is validated (`PUT /connector-plugins/{class}/config/
 * validate`, which changes nothing) and the reconciler plans on one listing, the worker's version, the holds,
 * the restart history and policy, and the clock, as the loop does. Nothing is changed.
 */
export async function plan(run: ActionRun): Promise<void> {
  const declared = await run.declared();
  const { client, owner } = await run.connect();
  const counter = { requests: 0 };
  const [observed, version, holds, mask, snapshot, desired] = await Promise.all([
    observeOwn(client, owner, counter, run.call),
    workerVersion(client, counter, run.call).catch(() => undefined),
    run.deps.holds(run.hook),
    run.mask(),
    run.deps.snapshot(),
    run.deps.desired(),
  ]);
  // Only what the loop would act on is validated: a refused declaration is sent nowhere.
  const { own } = ownConnectors(declared, owner, mask);
  const results = await mapLimit(own, VALIDATE_CONCURRENCY, (c) => validate(run, client, c, mask));
  const { plans, deletions } = dryRun({
    connectors: declared,
    owner,
    holds,
    observed,
    history: snapshot?.history ?? desired?.history ?? {},
    now: run.now(),
    policy: desired?.restartPolicy ?? DEFAULT_OPTIONS.restartPolicy,
    workerVersion: version,
    mask,
    validations: new Map(own.map((c, i) => [c.declared, results[i]!])),
  });

  const rows = [
    ...plans.map((p) => [
      p.declared,
      planVerb(p),
      validCell(p),
      clip(
        [...p.details, ...p.notes.map((n) => `(${n})`), ...p.errors.map((e) => `! ${e}`)].join("; ") || "-",
        400,
      ),
    ]),
    ...deletions.map((d) => [d.declared, "delete", "-", "no longer declared"]),
  ];
  const table = renderTable(["CONNECTOR", "ACTION", "VALID", "CHANGES"], rows);
  const count = (f: (p: ConnectorPlan) => boolean) => plans.filter(f).length;
  const restarts = count((p) => p.steps.includes("restart"));
  const summary = [
    `${count((p) => p.action === "create")} to create`,
    `${count((p) => p.action === "update")} to update`,
    `${deletions.length} to delete`,
    `${count((p) => p.steps.some((w) => w === "pause" || w === "resume" || w === "stop"))} state change(s)`,
    ...(restarts ? [`${restarts} restart(s)`] : []),
    `${count((p) => !isValid(p))} invalid`,
  ].join(", ");
  const keys = resultKeys([...plans.map((p) => p.declared), ...deletions.map((d) => d.declared)]);
  const keyList = (list: readonly string[]) => clip(list.join(","), 4000);
  const connectors = boundedConnectors(
    [
      ...plans.map((p) => [
        keys.get(p.declared)!,
        {
          name: p.declared,
          "kafka-name": p.name,
          action: planVerb(p),
          valid: isValid(p),
          ...(p.changed.length ? { "changed-keys": keyList(p.changed) } : {}),
          ...(p.added.length ? { "added-keys": keyList(p.added) } : {}),
          ...(p.removed.length ? { "removed-keys": keyList(p.removed) } : {}),
          ...(p.observed ? { state: p.observed } : {}),
          target: p.target,
          ...(p.held ? { held: p.held } : {}),
          ...(p.notes.length ? { note: clip(p.notes.join("; "), 2000) } : {}),
          ...(p.errors.length ? { errors: clip(p.errors.join("; "), 2000) } : {}),
        },
      ]),
      ...deletions.map((d) => [
        keys.get(d.declared)!,
        { name: d.declared, "kafka-name": d.name, action: "delete" },
      ]),
    ] as [string, Record<string, unknown>][],
    run.limits.resultBytes,
  );
  await run.action.set({
    table,
    summary,
    ...connectors,
    ...(deletions.length
      ? {
          delete: listNames(
            deletions.map((d) => d.declared),
            50,
          ),
        }
      : {}),
  });
}

function isValid(p: ConnectorPlan): boolean {
  return p.validated && p.errors.length === 0;
}

function validCell(p: ConnectorPlan): string {
  if (p.action === "refused") return "-";
  if (!p.validated) return "error";
  return p.errors.length ? `${p.errors.length} error(s)` : "ok";
}

async function validate(
  run: ActionRun,
  client: KafkaConnectClient,
  connector: DesiredConnector,
  mask: Mask,
): Promise<Validation> {
  const cls = connector.config["connector.class"] ?? "";
  let result: ConfigValidation;
  try {
    result = await client.validateConfig(cls, connector.config, run.call);
  } catch (error) {
    if (isKafkaConnectError(error, "aborted")) throw error;
    return { errors: [failureLine(error, mask)], validated: false, passwordKeys: [] };
  }
  const passwordKeys = result.infos.configs
    .filter((c) => c.definition?.type.toUpperCase() === "PASSWORD")
    .map((c) => c.definition!.name);
  const passwords = passwordKeys.map((k) => connector.config[k] ?? "");
  const errors = result.errors.map((e) =>
    oneLine(
      mask(maskValues(`${e.key ? `${e.key}: ` : ""}${e.message}`.slice(0, MAX_LINE * 4), passwords)),
      200,
    ),
  );
  return { errors, validated: true, passwordKeys };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
