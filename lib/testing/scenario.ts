import type { CharmMeta } from "../juju/meta.js";
import { endpointRole } from "../juju/meta.js";
import { isXid } from "../juju/secret-uri.js";
import { defaultUnitBag, InconsistentScenarioError, JujuEmulator } from "./juju/emulator.js";
import type { KitEvent } from "./juju/events.js";
import { appOfUnit, NO_STATUS, type SecretRecord } from "./juju/model.js";
import type { RelationState, SecretState, State } from "./state.js";

export interface UnitUnderTest {
  readonly app: string;
  readonly unitId: number;
}

/**
 * Rejects States that could not exist in a real model, with a message that says what to change (the
 * consistency checks of ops' Scenario, adapted): undeclared config or endpoints, wrong config types,
 * duplicate relation ids, secrets that are neither owned nor granted, events that name unknown things.
 */
export function checkConsistency(meta: CharmMeta, state: State, event: KitEvent): void {
  const problems: string[] = [];
  const options = meta.config?.options ?? {};
  for (const [name, value] of Object.entries(state.config ?? {})) {
    const option = options[name];
    if (!option) {
      problems.push(`config option "${name}" is not declared in the charm's config options`);
      continue;
    }
    const ok =
      option.type === "string"
        ? typeof value === "string"
        : option.type === "int"
          ? Number.isInteger(value)
          : option.type === "float"
            ? typeof value === "number"
            : option.type === "boolean"
              ? typeof value === "boolean"
              : typeof value === "string" && /^secret:[0-9a-v]{20}$/.test(value);
    if (!ok)
      problems.push(
        `config option "${name}" is declared "${option.type}" but the State gives ${JSON.stringify(value)}`,
      );
  }
  const ids = new Set<number>();
  for (const rel of state.relations ?? []) {
    if (ids.has(rel.id)) problems.push(`relation id ${rel.id} is used by two relations`);
    ids.add(rel.id);
    const role = endpointRole(meta, rel.endpoint);
    if (!role)
      problems.push(
        `relation ${rel.id}: endpoint "${rel.endpoint}" is not declared in requires, provides or peers`,
      );
    if (role === "peers" && (rel.remoteApp !== undefined || rel.remoteAppData !== undefined)) {
      problems.push(
        `relation ${rel.id}: "${rel.endpoint}" is a peer endpoint; it has no remoteApp or remoteAppData`,
      );
    }
  }
  for (const secret of state.secrets ?? []) {
    if (!isXid(secret.id))
      problems.push(
        `secret id "${secret.id}" is not a valid xid (20 chars of [0-9a-v], ending in 0 or g); use secretId()`,
      );
    if ((secret.owner === undefined) === (secret.from === undefined)) {
      problems.push(
        `secret ${secret.id}: give exactly one of owner (this unit or app owns it) or from (granted by another app)`,
      );
    }
    const revs = Object.keys(secret.revisions).map(Number);
    if (revs.length === 0 || revs.some((r) => !Number.isInteger(r) || r < 1)) {
      problems.push(`secret ${secret.id}: revisions must be numbered from 1`);
    }
    if (
      secret.from &&
      !(state.relations ?? []).some(
        (r) => r.id === secret.from!.relationId && (r.remoteApp ?? "remote") === secret.from!.app,
      )
    ) {
      problems.push(
        `secret ${secret.id}: it comes from "${secret.from.app}" over relation ${secret.from.relationId}, but the State has no such relation`,
      );
    }
    if (secret.tracked !== undefined && !revs.includes(secret.tracked)) {
      problems.push(`secret ${secret.id}: tracked revision ${secret.tracked} is not one of its revisions`);
    }
  }
  if ("relationId" in event && !ids.has(event.relationId)) {
    problems.push(`the event is for relation ${event.relationId}, which is not in the State`);
  }
  if (event.kind === "action" && !meta.actions?.[event.action]) {
    problems.push(`the event runs action "${event.action}", which the charm does not declare`);
  }
  if ("secretId" in event) {
    const id = event.secretId.replace(/^secret:(\/\/[^/]+\/)?/, "");
    if (!(state.secrets ?? []).some((s) => s.id === id))
      problems.push(`the event is for secret ${event.secretId}, which is not in the State`);
  }
  if (problems.length)
    throw new InconsistentScenarioError(`inconsistent scenario:\n- ${problems.join("\n- ")}`);
}

const remoteOf = (rel: RelationState) => rel.remoteApp ?? "remote";

/** Builds the model a State describes, with the unit under test in it. */
export function buildModel(
  meta: CharmMeta,
  state: State,
  unit: UnitUnderTest,
): { model: JujuEmulator; unitName: string } {
  const model = new JujuEmulator();
  const unitName = `${unit.app}/${unit.unitId}`;
  model.deploy(unit.app, meta, { units: 0, config: { ...(state.config ?? {}) }, leader: null });
  model.addUnit(unit.app, unit.unitId);
  if (state.address !== undefined) model.state.units[unitName]!.address = state.address;

  // Peers are more units of our app; remote apps get a minimal charm declaring the other end.
  const remoteMeta = new Map<
    string,
    { requires: Record<string, { interface: string }>; provides: Record<string, { interface: string }> }
  >();
  for (const rel of state.relations ?? []) {
    const role = endpointRole(meta, rel.endpoint);
    if (role === "peers") {
      for (const id of Object.keys(rel.remoteUnitsData ?? {})) {
        const name = `${unit.app}/${id}`;
        if (!model.state.units[name]) model.addUnit(unit.app, Number(id));
      }
      continue;
    }
    const iface = (meta.requires?.[rel.endpoint] ?? meta.provides?.[rel.endpoint])?.interface ?? "";
    const m = remoteMeta.get(remoteOf(rel)) ?? { requires: {}, provides: {} };
    (role === "requires" ? m.provides : m.requires)[rel.remoteEndpoint ?? rel.endpoint] = {
      interface: iface,
    };
    remoteMeta.set(remoteOf(rel), m);
  }
  for (const [app, m] of remoteMeta) {
    model.deploy(app, { name: app, ...m }, { units: 0, leader: null });
  }
  for (const rel of state.relations ?? []) {
    const peer = endpointRole(meta, rel.endpoint) === "peers";
    const remoteApp = peer ? unit.app : remoteOf(rel);
    const remoteUnits = rel.remoteUnitsData ?? (peer ? {} : { 0: {} });
    for (const id of Object.keys(remoteUnits)) {
      const name = `${remoteApp}/${id}`;
      if (!model.state.units[name]) model.addUnit(remoteApp, Number(id));
    }
    const id = peer
      ? model.relate({ app: unit.app, endpoint: rel.endpoint }, undefined, rel.id)
      : model.relate(
          { app: unit.app, endpoint: rel.endpoint },
          { app: remoteApp, endpoint: rel.remoteEndpoint ?? rel.endpoint },
          rel.id,
        );
    const record = model.state.relations[String(id)]!;
    // Members: the unit under test and the remote units the State lists (not every unit of the app).
    record.members = [unitName, ...Object.keys(remoteUnits).map((n) => `${remoteApp}/${n}`)];
    record.unitData = {};
    for (const member of record.members)
      record.unitData[member] = defaultUnitBag(model.state.units[member]!.address);
    Object.assign(record.unitData[unitName]!, rel.localUnitData ?? {});
    for (const [n, bag] of Object.entries(remoteUnits))
      Object.assign(record.unitData[`${remoteApp}/${n}`]!, bag);
    record.appData[unit.app] = { ...(rel.localAppData ?? {}) };
    if (!peer) record.appData[remoteApp] = { ...(rel.remoteAppData ?? {}) };
  }
  if (state.leader) model.setLeader(unitName);
  else {
    // Someone else leads: a peer if there is one, else nobody this test can see.
    const other = Object.keys(model.state.units).find((u) => appOfUnit(u) === unit.app && u !== unitName);
    if (other) model.setLeader(other);
  }
  const u = model.state.units[unitName]!;
  u.status = { ...(state.unitStatus ?? NO_STATUS) };
  u.workloadVersion = state.workloadVersion ?? "";
  u.openedPorts = [...(state.openedPorts ?? [])];
  u.stored = { ...(state.stored ?? {}) };
  u.resources = { ...(state.resources ?? {}) };
  model.state.apps[unit.app]!.status = { ...(state.appStatus ?? NO_STATUS) };

  for (const s of state.secrets ?? []) {
    const revisions = Object.fromEntries(Object.entries(s.revisions).map(([r, c]) => [r, { ...c }]));
    const latest = Math.max(...Object.keys(s.revisions).map(Number));
    const record: SecretRecord = {
      id: s.id,
      owner:
        s.owner === "unit"
          ? { kind: "unit", unit: unitName }
          : { kind: "application", app: s.from?.app ?? unit.app },
      revisions,
      latest,
      grants: s.owner
        ? (s.grants ?? []).map((g) => ({ ...g }))
        : [{ relationId: s.from!.relationId, to: unit.app }],
      consumers: {},
      ...(s.owner && s.label !== undefined ? { label: s.label } : {}),
      ...(s.description !== undefined ? { description: s.description } : {}),
      ...(s.expire !== undefined ? { expire: s.expire } : {}),
      ...(s.rotate !== undefined ? { rotate: s.rotate } : {}),
    };
    if (!s.owner) {
      record.consumers[unitName] = {
        ...(s.tracked !== undefined ? { tracked: s.tracked } : {}),
        ...(s.label !== undefined ? { label: s.label } : {}),
      };
    }
    model.state.secrets[s.id] = record;
  }
  model.state.nextRelationId = Math.max(0, ...(state.relations ?? []).map((r) => r.id + 1));
  return { model, unitName };
}

/** Reads the unit's view back out of the model after a hook: the output State. */
export function projectState(model: JujuEmulator, input: State, unitName: string): State {
  const m = model.state;
  const app = appOfUnit(unitName);
  const u = m.units[unitName]!;
  const relations: RelationState[] = [];
  for (const rel of input.relations ?? []) {
    const record = m.relations[String(rel.id)];
    if (!record) continue; // broken and gone
    const peer = Object.keys(record.endpoints).length === 1;
    const remoteApp = peer ? app : remoteOf(rel);
    const remoteUnitsData: Record<number, Record<string, string>> = {};
    for (const member of record.members) {
      if (member !== unitName && appOfUnit(member) === remoteApp) {
        remoteUnitsData[Number(member.slice(member.lastIndexOf("/") + 1))] = {
          ...(record.unitData[member] ?? {}),
        };
      }
    }
    relations.push({
      ...rel,
      localAppData: { ...(record.appData[app] ?? {}) },
      localUnitData: { ...(record.unitData[unitName] ?? {}) },
      ...(peer ? {} : { remoteAppData: { ...(record.appData[remoteApp] ?? {}) } }),
      remoteUnitsData,
    });
  }
  const secrets: SecretState[] = [];
  for (const record of Object.values(m.secrets)) {
    const ownedByApp = record.owner.kind === "application" && record.owner.app === app;
    const ownedByUnit = record.owner.kind === "unit" && record.owner.unit === unitName;
    const consumer = record.consumers[unitName];
    const revisions = Object.fromEntries(
      Object.entries(record.revisions).map(([r, c]) => [Number(r), { ...c }]),
    );
    const meta = {
      ...(record.description !== undefined ? { description: record.description } : {}),
      ...(record.expire !== undefined ? { expire: record.expire } : {}),
      ...(record.rotate !== undefined ? { rotate: record.rotate } : {}),
    };
    if (ownedByApp || ownedByUnit) {
      secrets.push({
        id: record.id,
        owner: ownedByApp ? "application" : "unit",
        revisions,
        ...(record.label !== undefined ? { label: record.label } : {}),
        ...meta,
        // A State's grants are relation-scoped; a user secret's model-wide grants have no State form.
        grants: record.grants.flatMap((g) =>
          g.relationId === undefined ? [] : [{ relationId: g.relationId, to: g.to }],
        ),
      });
    } else if (consumer) {
      const source = input.secrets?.find((s) => s.id === record.id)?.from;
      if (!source) continue;
      secrets.push({
        id: record.id,
        from: source,
        revisions,
        ...(consumer.tracked !== undefined ? { tracked: consumer.tracked } : {}),
        ...(consumer.label !== undefined ? { label: consumer.label } : {}),
        ...meta,
      });
    }
  }
  return {
    leader: m.apps[app]!.leader === unitName,
    ...(input.address !== undefined ? { address: u.address } : {}),
    config: { ...(input.config ?? {}) },
    relations,
    secrets,
    unitStatus: { ...u.status },
    appStatus: { ...m.apps[app]!.status },
    workloadVersion: u.workloadVersion,
    openedPorts: [...u.openedPorts],
    stored: { ...u.stored },
    resources: { ...u.resources },
  };
}
