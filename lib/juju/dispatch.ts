import type {
  ActionEvent,
  CustomEvent,
  RelationEvent,
  SecretEvent,
  SimpleHookKind,
  StorageEvent,
  WorkloadEvent,
} from "./events.js";
import type { Hook } from "./hook.js";
import type { CharmMeta } from "./meta.js";
import type { Action } from "./model/action.js";
import type { Relation } from "./model/relations.js";

type Maybe<T> = T | Promise<T>;

/** Handlers for one endpoint's relation hooks. */
export interface RelationHandlers<M extends CharmMeta> {
  created?(hook: Hook<M>, relation: Relation, event: RelationEvent): Maybe<void>;
  joined?(hook: Hook<M>, relation: Relation, event: RelationEvent): Maybe<void>;
  changed?(hook: Hook<M>, relation: Relation, event: RelationEvent): Maybe<void>;
  departed?(hook: Hook<M>, relation: Relation, event: RelationEvent): Maybe<void>;
  broken?(hook: Hook<M>, relation: Relation, event: RelationEvent): Maybe<void>;
}

const SIMPLE_KEYS = {
  install: "install",
  start: "start",
  "config-changed": "configChanged",
  "upgrade-charm": "upgradeCharm",
  stop: "stop",
  remove: "remove",
  "leader-elected": "leaderElected",
  "leader-settings-changed": "leaderSettingsChanged",
  "update-status": "updateStatus",
  "pre-series-upgrade": "preSeriesUpgrade",
  "post-series-upgrade": "postSeriesUpgrade",
  "collect-metrics": "collectMetrics",
} as const satisfies Record<SimpleHookKind, string>;

type SimpleHandlers<M extends CharmMeta> = {
  [K in (typeof SIMPLE_KEYS)[SimpleHookKind]]?: (hook: Hook<M>) => Maybe<void>;
};

export interface Handlers<M extends CharmMeta> extends SimpleHandlers<M> {
  relations?: Readonly<Record<string, RelationHandlers<M>>>;
  secretChanged?(hook: Hook<M>, event: SecretEvent): Maybe<void>;
  secretRotate?(hook: Hook<M>, event: SecretEvent): Maybe<void>;
  secretExpired?(hook: Hook<M>, event: SecretEvent): Maybe<void>;
  secretRemove?(hook: Hook<M>, event: SecretEvent): Maybe<void>;
  storage?(hook: Hook<M>, event: StorageEvent): Maybe<void>;
  workload?(hook: Hook<M>, event: WorkloadEvent): Maybe<void>;
  actions?: Readonly<Record<string, (hook: Hook<M>, action: Action, event: ActionEvent) => Maybe<void>>>;
  /**
   * Custom hooks the charm's workload dispatches through juju-exec, by hook name. A custom hook without a
   * handler still runs `reconcile`, which is often all it is for ("look again, something changed").
   */
  custom?: Readonly<Record<string, (hook: Hook<M>, event: CustomEvent) => Maybe<void>>>;
  /**
   * Runs after the specific handler on every hook except actions: the holistic "make it so" step that looks
   * at the whole state instead of at the event.
   */
  reconcile?(hook: Hook<M>): Maybe<void>;
}

const SECRET_KEYS = {
  "secret-changed": "secretChanged",
  "secret-rotate": "secretRotate",
  "secret-expired": "secretExpired",
  "secret-remove": "secretRemove",
} as const;

/** Calls the handler for the hook's event (and then `reconcile`). A plain function: the charm calls it. */
export async function dispatch<M extends CharmMeta>(hook: Hook<M>, handlers: Handlers<M>): Promise<void> {
  const e = hook.event;
  switch (e.kind) {
    case "action": {
      const handler = handlers.actions?.[e.action];
      if (!handler) {
        await hook.tools.actionFail(`action "${e.action}" is not implemented by this charm`);
        return;
      }
      await handler(hook, hook.action!, e);
      return;
    }
    case "relation-created":
    case "relation-joined":
    case "relation-changed":
    case "relation-departed":
    case "relation-broken": {
      const verb = e.kind.slice("relation-".length) as keyof RelationHandlers<M>;
      await handlers.relations?.[e.endpoint]?.[verb]?.(hook, hook.relation(e.relationId), e);
      break;
    }
    case "secret-changed":
    case "secret-rotate":
    case "secret-expired":
    case "secret-remove":
      await handlers[SECRET_KEYS[e.kind]]?.(hook, e);
      break;
    case "storage-attached":
    case "storage-detaching":
      await handlers.storage?.(hook, e);
      break;
    case "pebble-ready":
    case "pebble-custom-notice":
    case "pebble-check-failed":
    case "pebble-check-recovered":
      await handlers.workload?.(hook, e);
      break;
    case "custom":
      await handlers.custom?.[e.hook]?.(hook, e);
      break;
    default:
      await handlers[SIMPLE_KEYS[e.kind]]?.(hook);
  }
  await handlers.reconcile?.(hook);
}
