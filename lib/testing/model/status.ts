import type { StatusName } from "../../juju/tools/status.js";
import { JUJU_VERSION } from "../juju/emulator.js";
import { isPeer, type ModelState, unitsOf } from "../juju/model.js";

/** `{ current, message }` as `juju status --format=json` prints a status. */
export interface StatusEntry {
  current: string;
  message: string;
}

export interface UnitStatus {
  "workload-status": StatusEntry;
  "juju-status": StatusEntry;
  leader?: boolean;
  machine: string;
  "public-address": string;
  "open-ports"?: string[];
}

export interface ApplicationStatus {
  charm: string;
  "application-status": StatusEntry;
  units: Record<string, UnitStatus>;
  /** endpoint → the applications related over it (juju status's `relations` of an application). */
  relations: Record<string, string[]>;
}

export interface RelationStatus {
  id: number;
  interface: string;
  /** `app:endpoint` of each side. */
  endpoints: string[];
  scope: "global";
}

/** The model as `juju status --format=json` shows it (the keys this emulator knows). */
export interface ModelStatus {
  model: { name: string; type: "iaas"; version: string };
  applications: Record<string, ApplicationStatus>;
  relations: RelationStatus[];
}

/**
 * What the model tracks besides the emulator's state: failed hooks and running hooks, per unit. A failed hook
 * shows as Juju shows it: workload `error` with `hook failed: "<hook>"`, agent `idle` (Juju records the error
 * on the agent and swaps the two when it reports them); a running hook makes the agent `executing`.
 */
export interface UnitAgentView {
  failedHook(unit: string): string | undefined;
  executing(unit: string): boolean;
  machineOf(unit: string): string;
}

/**
 * Most severe first (Juju's status.DeriveStatus order): an application whose leader set no status shows its
 * most severe unit's; the first unit wins a tie.
 */
const SEVERITY: readonly string[] = [
  "error",
  "blocked",
  "maintenance",
  "waiting",
  "active",
  "terminated",
  "unknown",
];

function worst(entries: StatusEntry[]): StatusEntry {
  let best: StatusEntry = { current: "unknown", message: "" };
  for (const e of entries) {
    if (SEVERITY.indexOf(e.current) < SEVERITY.indexOf(best.current)) best = e;
  }
  return best;
}

export function modelStatus(state: ModelState, agent: UnitAgentView): ModelStatus {
  const applications: Record<string, ApplicationStatus> = {};
  for (const [name, app] of Object.entries(state.apps)) {
    const units: Record<string, UnitStatus> = {};
    for (const unit of unitsOf(state, name)) {
      const u = state.units[unit]!;
      const failed = agent.failedHook(unit);
      const workload: StatusEntry = failed
        ? { current: "error", message: `hook failed: "${failed}"` }
        : { current: u.status.status, message: u.status.message };
      units[unit] = {
        "workload-status": workload,
        "juju-status": { current: agent.executing(unit) ? "executing" : "idle", message: "" },
        ...(app.leader === unit ? { leader: true } : {}),
        machine: agent.machineOf(unit),
        "public-address": u.address,
        ...(u.openedPorts.length ? { "open-ports": [...u.openedPorts] } : {}),
      };
    }
    const set =
      app.status.status !== "unknown"
        ? { current: app.status.status, message: app.status.message }
        : undefined;
    const unitEntries = Object.values(units).map((u) => u["workload-status"]);
    const relations: Record<string, string[]> = {};
    for (const rel of Object.values(state.relations)) {
      const endpoint = rel.endpoints[name];
      if (endpoint === undefined) continue;
      const others = isPeer(rel) ? [name] : Object.keys(rel.endpoints).filter((a) => a !== name);
      relations[endpoint] = [...new Set([...(relations[endpoint] ?? []), ...others])].sort();
    }
    applications[name] = {
      charm: app.meta.name,
      // Juju derives it only while the leader has set none: a set status stands even over a unit in error
      // (the unit's own line shows the error).
      "application-status": set ?? worst(unitEntries),
      units,
      relations,
    };
  }
  const relations: RelationStatus[] = Object.values(state.relations)
    .sort((a, b) => a.id - b.id)
    .map((rel) => ({
      id: rel.id,
      interface: rel.interface,
      endpoints: Object.entries(rel.endpoints).map(([app, ep]) => `${app}:${ep}`),
      scope: "global",
    }));
  return { model: { name: state.name, type: "iaas", version: JUJU_VERSION }, applications, relations };
}

const pad = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
};

/** The status as `juju status` prints it: an App table, a Unit table and an Integration table. */
export function formatStatus(s: ModelStatus): string {
  const apps: string[][] = [["App", "Status", "Charm", "Units", "Message"]];
  const units: string[][] = [["Unit", "Workload", "Agent", "Machine", "Address", "Ports", "Message"]];
  for (const [name, a] of Object.entries(s.applications)) {
    const st = a["application-status"];
    apps.push([name, st.current, a.charm, String(Object.keys(a.units).length), st.message]);
    for (const [unit, u] of Object.entries(a.units)) {
      units.push([
        `${unit}${u.leader ? "*" : ""}`,
        u["workload-status"].current,
        u["juju-status"].current,
        u.machine,
        u["public-address"],
        (u["open-ports"] ?? []).join(","),
        u["workload-status"].message,
      ]);
    }
  }
  const rels: string[][] = [["Integration provider", "Requirer", "Interface", "Type"]];
  for (const r of s.relations) {
    rels.push([
      r.endpoints[0]!,
      r.endpoints[1] ?? r.endpoints[0]!,
      r.interface,
      r.endpoints.length === 1 ? "peer" : "regular",
    ]);
  }
  const head = `Model  ${s.model.name}  Version ${s.model.version}`;
  return [head, pad(apps), pad(units), ...(rels.length > 1 ? [pad(rels)] : [])].join("\n\n");
}

export type { StatusName };
