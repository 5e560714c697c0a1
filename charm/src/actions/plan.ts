import {
  type ConfigValidation,
  type ExpandedConnectors,
  isKafkaConnectError,
  type KafkaConnectClient,
} from "../../../lib/kafka-connect/index.js";
import type { DesiredConnector, Hold } from "../../common/desired-state.js";
import { declaredNameOf } from "../../common/names.js";
import { failureLine } from "./failure.js";
import {
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
import { holdInForce, KAFKA_STATE, targetState } from "./observed.js";
import type { ActionRun } from "./run.js";

/** Validations in flight at once: enough to be quick on hundreds of connectors, gentle on the workers. */
const VALIDATE_CONCURRENCY = 4;

/** What the charm would do to one declared connector. Pure data; `describePlan` renders it. */
export interface ConnectorPlan {
  readonly declared: string;
  readonly name: string;
  readonly action: "create" | "update" | "none";
  /** Keys whose values would change, be added or be removed (sorted). */
  readonly changed: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** One `key: "old" → "new"` per changed or added key; secret values as ***. */
  readonly details: readonly string[];
  /** The state the charm drives it to (a hold wins over the declaration); a create starts in it. */
  readonly target: string;
  /** What Kafka Connect reports now, when it has the connector. */
  readonly observed?: string;
  /** A pause, stop or resume the charm would send (FAILED and transient states are auto-restart's business). */
  readonly stateChange?: { readonly from: string; readonly to: string };
  readonly held?: Hold["state"];
  /** Validation: errors by key (messages masked), or the one line of a failed validate call. */
  readonly errors: readonly string[];
  readonly validated: boolean;
}

/**
 * The plan for one connector from its declaration and what Kafka Connect holds (`info.config`, `status`), plus
 * the keys to mask (its secret keys and the keys its plugin types PASSWORD). Pure.
 */
export function planConnector(
  connector: DesiredConnector,
  observed: ExpandedConnectors[string] | undefined,
  holds: Readonly<Record<string, Hold>>,
  masked: ReadonlySet<string>,
  validation: { readonly errors: readonly string[]; readonly validated: boolean },
): ConnectorPlan {
  const target = KAFKA_STATE[targetState(connector, holds)];
  const held = holdInForce(connector, holds)?.state;
  const base = {
    declared: connector.declared,
    name: connector.name,
    target,
    ...(held ? { held } : {}),
    ...validation,
  };
  const shown = (key: string, value: string) => (masked.has(key) ? MASK : shortValue(value));
  if (!observed?.info) {
    const keys = Object.keys(connector.config).sort();
    return {
      ...base,
      action: "create",
      changed: [],
      added: keys,
      removed: [],
      // The class in full (it says what the connector is); `name` is ours, not news.
      details: [
        `class ${connector.config["connector.class"] ?? "(none)"}`,
        ...keys
          .filter((k) => k !== "connector.class" && k !== "name")
          .map((k) => `${k}: ${shown(k, connector.config[k]!)}`),
      ],
    };
  }
  const actual = observed.info.config;
  const desired = connector.config;
  const changed = Object.keys(desired)
    .filter((k) => k in actual && actual[k] !== desired[k])
    .sort();
  const added = Object.keys(desired)
    .filter((k) => !(k in actual))
    .sort();
  // Removed keys are named only: their values may be secrets the declaration no longer marks.
  const removed = Object.keys(actual)
    .filter((k) => !(k in desired))
    .sort();
  const details = [
    ...changed.map((k) => `${k}: ${shown(k, actual[k]!)} → ${shown(k, desired[k]!)}`),
    ...added.map((k) => `${k}: (new) ${shown(k, desired[k]!)}`),
    ...removed.map((k) => `${k}: removed`),
  ];
  const current = observed.status?.connector.state;
  const stateChange =
    current !== undefined && current !== target && isSteady(current)
      ? { from: current, to: target }
      : undefined;
  const update = changed.length + added.length + removed.length > 0;
  return {
    ...base,
    action: update ? "update" : "none",
    changed,
    added,
    removed,
    details,
    ...(current !== undefined ? { observed: current } : {}),
    ...(stateChange ? { stateChange } : {}),
  };
}

/** The states the charm moves a connector out of; FAILED and the transient ones are auto-restart's business. */
function isSteady(state: string): boolean {
  return state === "RUNNING" || state === "PAUSED" || state === "STOPPED";
}

/** The verb a plan row shows: create, update, pause, update+stop, … or "none". */
export function planVerb(plan: ConnectorPlan): string {
  if (plan.action === "create") return plan.target === "RUNNING" ? "create" : `create (${plan.target})`;
  const state = plan.stateChange
    ? ({ PAUSED: "pause", STOPPED: "stop", RUNNING: "resume" } as Record<string, string>)[plan.stateChange.to]
    : undefined;
  if (plan.action === "update") return state ? `update+${state}` : "update";
  return state ?? "none";
}

/**
 * `plan`: a dry run. Every declared connector is validated (`PUT /connector-plugins/{class}/config/validate`,
 * which changes nothing) and compared with one listing; ours no longer declared would be deleted.
 */
export async function plan(run: ActionRun): Promise<void> {
  const declared = await run.declared();
  const { client, owner } = await run.connect();
  const [listing, holds] = await Promise.all([
    client.listConnectors({ ...run.call, expand: ["status", "info"] }) as Promise<ExpandedConnectors>,
    run.deps.holds(run.hook),
  ]);
  const validations = await mapLimit(declared, VALIDATE_CONCURRENCY, (c) => validate(run, client, c));
  const plans = declared.map((c, i) => {
    const v = validations[i]!;
    const masked = new Set([...c.secretKeys, ...v.passwordKeys]);
    return planConnector(c, listing[c.name], holds, masked, v);
  });
  const declaredNames = new Set(declared.map((c) => c.name));
  const deletions = Object.keys(listing)
    .filter((name) => !declaredNames.has(name))
    .map((name) => ({ name, declared: declaredNameOf(name, owner) }))
    .filter((d): d is { name: string; declared: string } => d.declared !== undefined)
    .sort((a, b) => a.declared.localeCompare(b.declared));

  const rows = [
    ...plans.map((p) => [
      p.declared,
      planVerb(p),
      p.validated ? (p.errors.length ? `${p.errors.length} error(s)` : "ok") : "error",
      clip([...p.details, ...p.errors.map((e) => `! ${e}`)].join("; ") || "-", 400),
    ]),
    ...deletions.map((d) => [d.declared, "delete", "-", "no longer declared"]),
  ];
  const table = renderTable(["CONNECTOR", "ACTION", "VALID", "CHANGES"], rows);
  const count = (f: (p: ConnectorPlan) => boolean) => plans.filter(f).length;
  const invalid = count((p) => !p.validated || p.errors.length > 0);
  const summary = [
    `${count((p) => p.action === "create")} to create`,
    `${count((p) => p.action === "update")} to update`,
    `${deletions.length} to delete`,
    `${count((p) => p.stateChange !== undefined)} state change(s)`,
    `${invalid} invalid`,
  ].join(", ");
  const keys = resultKeys([...plans.map((p) => p.declared), ...deletions.map((d) => d.declared)]);
  const connectors = Object.fromEntries([
    ...plans.map((p) => [
      keys.get(p.declared)!,
      {
        name: p.declared,
        "kafka-name": p.name,
        action: planVerb(p),
        valid: p.validated && p.errors.length === 0,
        ...(p.changed.length ? { "changed-keys": p.changed.join(",") } : {}),
        ...(p.added.length ? { "added-keys": p.added.join(",") } : {}),
        ...(p.removed.length ? { "removed-keys": p.removed.join(",") } : {}),
        ...(p.observed ? { state: p.observed } : {}),
        target: p.target,
        ...(p.held ? { held: p.held } : {}),
        ...(p.errors.length ? { errors: clip(p.errors.join("; "), 2000) } : {}),
      },
    ]),
    ...deletions.map((d) => [
      keys.get(d.declared)!,
      { name: d.declared, "kafka-name": d.name, action: "delete" },
    ]),
  ]);
  await run.action.set({
    table,
    summary,
    ...(Object.keys(connectors).length ? { connectors } : {}),
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

interface Validation {
  readonly errors: string[];
  readonly validated: boolean;
  /** Keys the plugin types PASSWORD: masked like secret keys. */
  readonly passwordKeys: string[];
}

async function validate(
  run: ActionRun,
  client: KafkaConnectClient,
  connector: DesiredConnector,
): Promise<Validation> {
  const mask = await run.mask();
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
