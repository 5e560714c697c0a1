import { ContextError } from "./errors.js";
import { type HookEvent, parseDispatchPath } from "./events.js";
import { UNIT_NAME as UNIT } from "./names.js";

/** Everything Juju tells a hook through its environment, validated once at start. */
export interface HookContext {
  readonly unitName: string;
  readonly appName: string;
  readonly unitNumber: number;
  readonly modelName: string;
  readonly modelUuid: string;
  readonly jujuVersion: string;
  readonly charmDir: string;
  readonly contextId?: string;
  readonly dispatchPath: string;
  readonly event: HookEvent;
}

type Env = Readonly<Record<string, string | undefined>>;

const WHAT: Record<string, string> = {
  JUJU_DISPATCH_PATH: 'the hook or action being run, e.g. "hooks/install"',
  JUJU_UNIT_NAME: 'this unit, e.g. "app/0"',
  JUJU_MODEL_NAME: "the model name",
  JUJU_MODEL_UUID: "the model uuid",
  JUJU_VERSION: 'the Juju version, e.g. "3.6.4"',
  JUJU_CHARM_DIR: "the charm directory",
  JUJU_RELATION: "the relation endpoint",
  JUJU_RELATION_ID: 'the relation id, e.g. "db:3"',
  JUJU_REMOTE_APP: "the remote application",
  JUJU_REMOTE_UNIT: 'the remote unit, e.g. "db/0"',
  JUJU_DEPARTING_UNIT: "the departing unit",
  JUJU_ACTION_NAME: "the action name",
  JUJU_ACTION_UUID: "the action id",
  JUJU_SECRET_ID: "the secret URI",
  JUJU_SECRET_REVISION: "the secret revision",
  JUJU_STORAGE_ID: 'the storage instance, e.g. "data/0"',
  JUJU_WORKLOAD_NAME: "the workload container",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Reads and validates the hook environment. Each hook kind needs a different set of variables; a missing one
 * is named with what it should hold, so a hand-run or misconfigured dispatch fails with a useful message.
 */
export function readHookContext(env: Env): HookContext {
  const need = (name: string, why: string): string => {
    const v = env[name];
    if (v === undefined || v === "") {
      throw new ContextError(`${why} needs ${name} (${WHAT[name] ?? name}), but it is not set`);
    }
    return v;
  };
  const dispatchPath = need("JUJU_DISPATCH_PATH", "every hook");
  const name = parseDispatchPath(dispatchPath);
  if (!name) {
    throw new ContextError(
      `JUJU_DISPATCH_PATH "${dispatchPath}" names no known hook or action (expected "hooks/<hook>" or "actions/<action>")`,
    );
  }
  const who = name.kind === "action" ? `action "${name.action}"` : `hook "${name.hook}"`;
  const unitName = need("JUJU_UNIT_NAME", who);
  const unit = UNIT.exec(unitName);
  if (!unit) throw new ContextError(`JUJU_UNIT_NAME "${unitName}" is not a unit name like "app/0"`);
  const modelUuid = need("JUJU_MODEL_UUID", who);
  if (!UUID.test(modelUuid)) throw new ContextError(`JUJU_MODEL_UUID "${modelUuid}" is not a uuid`);
  const charmDir = env.JUJU_CHARM_DIR || env.CHARM_DIR || need("JUJU_CHARM_DIR", who);

  let event: HookEvent;
  switch (name.kind) {
    case "action":
      event = { ...name, actionUuid: need("JUJU_ACTION_UUID", who) };
      if (env.JUJU_ACTION_NAME && env.JUJU_ACTION_NAME !== name.action) {
        throw new ContextError(
          `JUJU_ACTION_NAME "${env.JUJU_ACTION_NAME}" does not match JUJU_DISPATCH_PATH "${dispatchPath}"`,
        );
      }
      break;
    case "relation-created":
    case "relation-joined":
    case "relation-changed":
    case "relation-departed":
    case "relation-broken": {
      const endpoint = need("JUJU_RELATION", who);
      if (endpoint !== name.endpoint) {
        throw new ContextError(
          `JUJU_RELATION "${endpoint}" does not match the hook "${name.hook}" (expected "${name.endpoint}")`,
        );
      }
      const relationId = need("JUJU_RELATION_ID", who);
      if (!new RegExp(`^${escapeRegExp(endpoint)}:\\d+$`).test(relationId)) {
        throw new ContextError(`JUJU_RELATION_ID "${relationId}" is not "${endpoint}:<number>"`);
      }
      // Juju may leave the remote app empty on broken when the other side is already gone.
      const remoteApp =
        name.kind === "relation-broken" ? (env.JUJU_REMOTE_APP ?? "") : need("JUJU_REMOTE_APP", who);
      const unitHook = name.kind === "relation-joined" || name.kind === "relation-departed";
      const remoteUnit = unitHook ? need("JUJU_REMOTE_UNIT", who) : env.JUJU_REMOTE_UNIT || undefined;
      if (remoteUnit !== undefined && !UNIT.test(remoteUnit)) {
        throw new ContextError(`JUJU_REMOTE_UNIT "${remoteUnit}" is not a unit name like "app/0"`);
      }
      const departingUnit = name.kind === "relation-departed" ? need("JUJU_DEPARTING_UNIT", who) : undefined;
      event = {
        kind: name.kind,
        hook: name.hook,
        endpoint,
        relationId,
        remoteApp,
        ...(remoteUnit !== undefined && { remoteUnit }),
        ...(departingUnit !== undefined && { departingUnit }),
      };
      break;
    }
    case "secret-changed":
    case "secret-rotate":
    case "secret-expired":
    case "secret-remove": {
      const secretId = need("JUJU_SECRET_ID", who);
      const withRevision = name.kind === "secret-remove" || name.kind === "secret-expired";
      const rev = withRevision ? need("JUJU_SECRET_REVISION", who) : undefined;
      if (rev !== undefined && !/^\d+$/.test(rev)) {
        throw new ContextError(`JUJU_SECRET_REVISION "${rev}" is not a revision number`);
      }
      event = {
        kind: name.kind,
        hook: name.hook,
        secretId,
        ...(env.JUJU_SECRET_LABEL ? { secretLabel: env.JUJU_SECRET_LABEL } : {}),
        ...(rev !== undefined ? { secretRevision: Number(rev) } : {}),
      };
      break;
    }
    case "storage-attached":
    case "storage-detaching":
      event = { ...name, storageId: need("JUJU_STORAGE_ID", who) };
      break;
    case "pebble-ready":
    case "pebble-custom-notice":
    case "pebble-check-failed":
    case "pebble-check-recovered":
      need("JUJU_WORKLOAD_NAME", who);
      event = {
        ...name,
        ...(env.JUJU_NOTICE_ID ? { noticeId: env.JUJU_NOTICE_ID } : {}),
        ...(env.JUJU_NOTICE_KEY ? { noticeKey: env.JUJU_NOTICE_KEY } : {}),
        ...(env.JUJU_PEBBLE_CHECK_NAME ? { checkName: env.JUJU_PEBBLE_CHECK_NAME } : {}),
      };
      break;
    default:
      event = { kind: name.kind, hook: name.hook };
  }

  return {
    unitName,
    appName: unit[1]!,
    unitNumber: Number(unit[2]),
    modelName: need("JUJU_MODEL_NAME", who),
    modelUuid,
    jujuVersion: need("JUJU_VERSION", who),
    charmDir,
    ...(env.JUJU_CONTEXT_ID ? { contextId: env.JUJU_CONTEXT_ID } : {}),
    dispatchPath,
    event,
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Relation id `db:3` → 3. */
export function relationNumber(relationId: string): number {
  const n = Number(relationId.slice(relationId.lastIndexOf(":") + 1));
  if (!Number.isInteger(n)) throw new ContextError(`"${relationId}" is not a relation id like "db:3"`);
  return n;
}
