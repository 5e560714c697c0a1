import { randomUUID } from "node:crypto";
import { parseDispatchPath } from "../../juju/events.js";
import { type CharmMeta, endpointRole } from "../../juju/meta.js";
import { validateParams } from "../../juju/model/action.js";
import { parseSecretUri } from "../../juju/secret-uri.js";
import type { KitEvent } from "./events.js";
import {
  appOfUnit,
  emptyModel,
  type ModelState,
  NO_STATUS,
  relationKey,
  remoteAppOf,
  unitsOf,
} from "./model.js";
import { type FollowUpEvent, HookSession, type RunningAction } from "./session.js";
import { TOOLS } from "./tools/index.js";
import { secretOwnedBy } from "./tools/secrets.js";

/** A State or event that cannot happen in a real model (Scenario calls it an inconsistent scenario). */
export class InconsistentScenarioError extends Error {
  override name = "InconsistentScenarioError";
}

export const JUJU_VERSION = "3.6.4";

/** Unit bag keys Juju writes when a unit enters a relation's scope. */
export function defaultUnitBag(address: string): Record<string, string> {
  return { "egress-subnets": `${address}/32`, "ingress-address": address, "private-address": address };
}

export interface BeganHook {
  readonly session: HookSession;
  readonly env: Record<string, string>;
}

/**
 * A Juju model in memory: deploy applications, relate them, and run hooks against it. Each hook is a
 * HookSession (a transaction); `finish` commits or discards it and returns the follow-up events Juju would
 * queue. The same model backs the in-process kit and the fake hook tools, so both see the same rules.
 */
export class JujuEmulator {
  /** Units that have run at least one hook (the others stand for a far side no test drives). */
  private readonly unitsThatRan = new Set<string>();
  state: ModelState;
  private contexts = 0;
  /** Context ids are unique across emulators, since one tool server may serve several models at once. */
  private readonly contextPrefix = randomUUID().slice(0, 8);

  constructor(state: ModelState = emptyModel()) {
    this.state = state;
  }

  deploy(
    app: string,
    meta: CharmMeta,
    opts: { units?: number; config?: Record<string, string | number | boolean>; leader?: number | null } = {},
  ): string[] {
    if (this.state.apps[app]) throw new InconsistentScenarioError(`application "${app}" already exists`);
    this.state.apps[app] = { name: app, meta, config: { ...(opts.config ?? {}) }, status: { ...NO_STATUS } };
    const units = Array.from({ length: opts.units ?? 1 }, () => this.addUnit(app));
    const leader = opts.leader === undefined ? 0 : opts.leader;
    if (leader !== null && units.length) this.state.apps[app]!.leader = `${app}/${leader}`;
    return units;
  }

  addUnit(app: string, id?: number): string {
    const taken = unitsOf(this.state, app).map((u) => Number(u.slice(u.lastIndexOf("/") + 1)));
    const n = id ?? (taken.length ? Math.max(...taken) + 1 : 0);
    const name = `${app}/${n}`;
    if (this.state.units[name]) throw new InconsistentScenarioError(`unit "${name}" already exists`);
    const index = Object.keys(this.state.units).length + 10;
    this.state.units[name] = {
      name,
      app,
      address: `10.1.${Math.floor(index / 250)}.${(index % 250) + 2}`,
      status: { ...NO_STATUS },
      workloadVersion: "",
      stored: {},
      openedPorts: [],
      resources: {},
    };
    return name;
  }

  setLeader(unit: string | undefined): void {
    if (unit === undefined) {
      for (const app of Object.values(this.state.apps)) delete app.leader;
      return;
    }
    this.state.apps[appOfUnit(unit)]!.leader = unit;
  }

  /** Relates two endpoints (or makes a peer relation when only one side is given). Returns the relation id. */
  relate(a: { app: string; endpoint: string }, b?: { app: string; endpoint: string }, id?: number): number {
    for (const side of b ? [a, b] : [a]) {
      const app = this.state.apps[side.app];
      if (!app) throw new InconsistentScenarioError(`no application "${side.app}"`);
      const role = endpointRole(app.meta, side.endpoint);
      if (!role) throw new InconsistentScenarioError(`"${side.app}" declares no endpoint "${side.endpoint}"`);
      if ((role === "peers") !== !b) {
        throw new InconsistentScenarioError(
          `endpoint "${side.endpoint}" of "${side.app}" is ${role === "peers" ? "a peer endpoint" : "not a peer endpoint"}`,
        );
      }
    }
    const relId = id ?? this.state.nextRelationId;
    if (this.state.relations[String(relId)])
      throw new InconsistentScenarioError(`relation id ${relId} is used twice`);
    this.state.nextRelationId = Math.max(this.state.nextRelationId, relId + 1);
    const endpoints: Record<string, string> = { [a.app]: a.endpoint };
    if (b) endpoints[b.app] = b.endpoint;
    const meta = this.state.apps[a.app]!.meta;
    const spec = meta.requires?.[a.endpoint] ?? meta.provides?.[a.endpoint] ?? meta.peers?.[a.endpoint];
    const members = Object.keys(endpoints).flatMap((app) => unitsOf(this.state, app));
    const unitData: Record<string, Record<string, string>> = {};
    for (const u of members) unitData[u] = defaultUnitBag(this.state.units[u]!.address);
    this.state.relations[String(relId)] = {
      id: relId,
      endpoints,
      interface: spec?.interface ?? "",
      appData: Object.fromEntries(Object.keys(endpoints).map((app) => [app, {}])),
      unitData,
      members,
    };
    return relId;
  }

  /**
   * Scope changes Juju makes once a hook has committed: a departed unit leaves relation-list; after
   * relation-broken the unit has left, and when every unit on both sides has run it the relation is gone.
   */
  private leaveScope(unit: string, event: KitEvent): void {
    if (event.kind !== "relation-departed" && event.kind !== "relation-broken") return;
    const rel = this.state.relations[String(event.relationId)];
    if (!rel) return;
    const leaving = event.kind === "relation-departed" ? (event.departingUnit ?? event.remoteUnit) : unit;
    rel.members = rel.members.filter((m) => m !== leaving);
    if (event.kind !== "relation-broken") return;
    // Every unit of both applications gets its own relation-broken (departed only ends the remote units' scope
    // in each unit's view); the relation and its grants go once the last of them has run it. Units that never
    // run a hook here (the simulated far side of a Scenario-style State) are not waited for.
    rel.broken = [...new Set([...(rel.broken ?? []), unit])];
    const everyone = Object.keys(rel.endpoints)
      .flatMap((app) => unitsOf(this.state, app))
      .filter((u) => this.unitsThatRan.has(u));
    if (everyone.every((u) => rel.broken!.includes(u))) this.removeRelation(event.relationId);
  }

  /** Removes a relation and the secret grants scoped to it (what Juju does once it is broken). */
  removeRelation(id: number): void {
    delete this.state.relations[String(id)];
    for (const secret of Object.values(this.state.secrets)) {
      secret.grants = secret.grants.filter((g) => g.relationId !== id);
    }
  }

  /** Builds the environment Juju gives the hook, refusing events that could not happen. */
  hookEnv(unit: string, event: KitEvent, charmDir = "/var/lib/juju/charm"): Record<string, string> {
    const u = this.state.units[unit];
    if (!u) throw new InconsistentScenarioError(`no unit "${unit}" in the model`);
    const meta = this.state.apps[u.app]!.meta;
    const base: Record<string, string> = {
      JUJU_UNIT_NAME: unit,
      JUJU_MODEL_NAME: this.state.name,
      JUJU_MODEL_UUID: this.state.uuid,
      JUJU_VERSION,
      JUJU_CHARM_DIR: charmDir,
      CHARM_DIR: charmDir,
      JUJU_CONTEXT_ID: `${unit}-${event.kind}-${this.contextPrefix}-${++this.contexts}`,
      JUJU_AGENT_SOCKET_NETWORK: "unix",
      JUJU_AVAILABILITY_ZONE: "zone-1",
    };
    const hook = (name: string) => ({ ...base, JUJU_DISPATCH_PATH: `hooks/${name}`, JUJU_HOOK_NAME: name });
    switch (event.kind) {
      case "action": {
        if (!meta.actions?.[event.action]) {
          throw new InconsistentScenarioError(`the charm declares no action "${event.action}"`);
        }
        return {
          ...base,
          JUJU_DISPATCH_PATH: `actions/${event.action}`,
          JUJU_ACTION_NAME: event.action,
          JUJU_ACTION_UUID: String(this.state.nextActionId++),
        };
      }
      case "relation-created":
      case "relation-joined":
      case "relation-changed":
      case "relation-departed":
      case "relation-broken": {
        const rel = this.state.relations[String(event.relationId)];
        if (!rel || !(u.app in rel.endpoints)) {
          throw new InconsistentScenarioError(`unit "${unit}" is in no relation with id ${event.relationId}`);
        }
        const endpoint = rel.endpoints[u.app]!;
        const remoteApp = remoteAppOf(rel, u.app);
        const needsUnit = event.kind === "relation-joined" || event.kind === "relation-departed";
        if (needsUnit && !event.remoteUnit) {
          throw new InconsistentScenarioError(`${event.kind} needs the remote unit that joined or departed`);
        }
        if (event.remoteUnit && appOfUnit(event.remoteUnit) !== remoteApp) {
          throw new InconsistentScenarioError(
            `remote unit "${event.remoteUnit}" is not a unit of "${remoteApp}", the other side of relation ${event.relationId}`,
          );
        }
        if ((event.kind === "relation-created" || event.kind === "relation-broken") && event.remoteUnit) {
          throw new InconsistentScenarioError(`${event.kind} has no remote unit`);
        }
        const env: Record<string, string> = {
          ...hook(`${endpoint}-${event.kind}`),
          JUJU_RELATION: endpoint,
          JUJU_RELATION_ID: relationKey(rel, u.app),
          JUJU_REMOTE_APP: remoteApp,
          JUJU_REMOTE_UNIT: event.remoteUnit ?? "",
        };
        if (event.kind === "relation-departed")
          env.JUJU_DEPARTING_UNIT = event.departingUnit ?? event.remoteUnit!;
        return env;
      }
      case "secret-changed":
      case "secret-rotate":
      case "secret-expired":
      case "secret-remove": {
        const id = parseSecretUri(event.secretId).id;
        const secret = this.state.secrets[id];
        if (!secret) throw new InconsistentScenarioError(`no secret "${event.secretId}" in the model`);
        const owner = secretOwnedBy(secret, u.app, unit);
        if (event.kind === "secret-changed" && owner) {
          throw new InconsistentScenarioError(
            `secret-changed goes to consumers only, but "${unit}" owns ${event.secretId} (owners get secret-rotate, secret-expired and secret-remove)`,
          );
        }
        if (event.kind !== "secret-changed" && !owner) {
          throw new InconsistentScenarioError(
            `${event.kind} goes to the owner only, but "${unit}" does not own ${event.secretId}`,
          );
        }
        const label = owner ? secret.label : secret.consumers[unit]?.label;
        const env: Record<string, string> = {
          ...hook(event.kind),
          JUJU_SECRET_ID: `secret:${id}`,
          JUJU_SECRET_LABEL: label ?? "",
        };
        if (event.kind === "secret-expired" || event.kind === "secret-remove") {
          env.JUJU_SECRET_REVISION = String(event.revision ?? secret.latest);
        }
        return env;
      }
      case "storage-attached":
      case "storage-detaching":
        if (!meta.storage?.[event.storage]) {
          throw new InconsistentScenarioError(`the charm declares no storage "${event.storage}"`);
        }
        return {
          ...hook(`${event.storage}-${event.kind}`),
          JUJU_STORAGE_ID: event.storageId ?? `${event.storage}/0`,
          JUJU_STORAGE_KIND: "filesystem",
          JUJU_STORAGE_LOCATION: `/srv/${event.storage}`,
        };
      case "pebble-ready":
      case "pebble-custom-notice":
      case "pebble-check-failed":
      case "pebble-check-recovered":
        if (!meta.containers?.[event.workload]) {
          throw new InconsistentScenarioError(`the charm declares no container "${event.workload}"`);
        }
        return { ...hook(`${event.workload}-${event.kind}`), JUJU_WORKLOAD_NAME: event.workload };
      case "custom": {
        // What `juju-exec -u <unit> "JUJU_DISPATCH_PATH=hooks/<name> ./dispatch"` gives: a run context
        // (its own context id) and the dispatch path the command sets; Juju sets no JUJU_HOOK_NAME for it.
        const parsed = parseDispatchPath(`hooks/${event.hook}`);
        if (parsed?.kind !== "custom") {
          throw new InconsistentScenarioError(
            `"${event.hook}" is not a custom hook name (lowercase words joined by hyphens, not a Juju hook)`,
          );
        }
        return { ...base, JUJU_DISPATCH_PATH: `hooks/${event.hook}` };
      }
      default:
        return hook(event.kind);
    }
  }

  /**
   * Starts a hook for `unit`: checks the event, validates action params against the charm's schema (Juju
   * refuses invalid params before anything runs) and fills in their defaults.
   */
  async begin(unit: string, event: KitEvent, charmDir?: string): Promise<BeganHook> {
    this.unitsThatRan.add(unit);
    const env = this.hookEnv(unit, event, charmDir);
    let action: RunningAction | undefined;
    if (event.kind === "action") {
      const spec = this.state.apps[appOfUnit(unit)]!.meta.actions?.[event.action];
      const params = withDefaults(spec?.params, event.params ?? {});
      const problems = await validateParams(event.action, spec, params);
      if (problems.length) {
        throw new InconsistentScenarioError(
          `juju would refuse to run action "${event.action}": ${problems.join("; ")}`,
        );
      }
      action = { name: event.action, uuid: env.JUJU_ACTION_UUID!, params };
    }
    if (event.kind === "relation-broken") this.state.relations[String(event.relationId)]!.dying = true;
    return { session: new HookSession(this, unit, env, action, TOOLS), env };
  }

  /**
   * Ends a hook: exit 0 commits (a relation-broken hook then removes the relation); anything else, or a
   * failure Juju only sees at commit, discards the hook's changes. Returns what Juju would run next.
   */
  finish(
    began: BeganHook,
    event: KitEvent,
    exitCode: number,
  ): { committed: boolean; followUps: FollowUpEvent[]; error?: string } {
    const { session } = began;
    if (exitCode !== 0) {
      session.abort();
      if (event.kind === "relation-broken") delete this.state.relations[String(event.relationId)]?.dying;
      return { committed: false, followUps: [] };
    }
    const result = session.commit();
    if (result.error) return { committed: false, followUps: [], error: result.error };
    this.leaveScope(began.session.unit, event);
    return { committed: true, followUps: result.followUps };
  }
}

/** Inserts schema defaults for params the caller left out, as Juju does. */
function withDefaults(
  props: Readonly<Record<string, unknown>> | undefined,
  params: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params };
  for (const [name, schema] of Object.entries(props ?? {})) {
    const d = (schema as { default?: unknown }).default;
    if (!(name in out) && d !== undefined) out[name] = structuredClone(d);
  }
  return out;
}
