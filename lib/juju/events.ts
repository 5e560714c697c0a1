/**
 * Typed hook events, parsed from the hook name Juju puts in JUJU_DISPATCH_PATH (`hooks/<name>` or
 * `actions/<name>`). Relation, storage and workload hooks carry their endpoint/storage/container in the name.
 */
export const SIMPLE_HOOKS = [
  "install",
  "start",
  "config-changed",
  "upgrade-charm",
  "stop",
  "remove",
  "leader-elected",
  "leader-settings-changed",
  "update-status",
  "pre-series-upgrade",
  "post-series-upgrade",
  "collect-metrics",
] as const;
export type SimpleHookKind = (typeof SIMPLE_HOOKS)[number];

export const RELATION_HOOKS = [
  "relation-created",
  "relation-joined",
  "relation-changed",
  "relation-departed",
  "relation-broken",
] as const;
export type RelationHookKind = (typeof RELATION_HOOKS)[number];

export const SECRET_HOOKS = ["secret-changed", "secret-rotate", "secret-expired", "secret-remove"] as const;
export type SecretHookKind = (typeof SECRET_HOOKS)[number];

export const STORAGE_HOOKS = ["storage-attached", "storage-detaching"] as const;
export type StorageHookKind = (typeof STORAGE_HOOKS)[number];

export const WORKLOAD_HOOKS = [
  "pebble-ready",
  "pebble-custom-notice",
  "pebble-check-failed",
  "pebble-check-recovered",
] as const;
export type WorkloadHookKind = (typeof WORKLOAD_HOOKS)[number];

/** What the dispatch path names, before the hook environment fills in details. */
export type EventName =
  | { kind: SimpleHookKind; hook: string }
  | { kind: RelationHookKind; hook: string; endpoint: string }
  | { kind: SecretHookKind; hook: string }
  | { kind: StorageHookKind; hook: string; storage: string }
  | { kind: WorkloadHookKind; hook: string; workload: string }
  | { kind: "action"; hook: string; action: string }
  | { kind: "custom"; hook: string };

export interface SimpleEvent {
  readonly kind: SimpleHookKind;
  readonly hook: string;
}
export interface RelationEvent {
  readonly kind: RelationHookKind;
  readonly hook: string;
  readonly endpoint: string;
  /** Relation id as Juju prints it, e.g. `db:3`. */
  readonly relationId: string;
  readonly remoteApp: string;
  /** Empty for created, broken and app-level changed. */
  readonly remoteUnit?: string;
  /** Only on departed: the unit that is leaving (may be this unit). */
  readonly departingUnit?: string;
}
export interface SecretEvent {
  readonly kind: SecretHookKind;
  readonly hook: string;
  readonly secretId: string;
  readonly secretLabel?: string;
  /** Set on secret-remove and secret-expired. */
  readonly secretRevision?: number;
}
export interface StorageEvent {
  readonly kind: StorageHookKind;
  readonly hook: string;
  readonly storage: string;
  readonly storageId: string;
}
export interface WorkloadEvent {
  readonly kind: WorkloadHookKind;
  readonly hook: string;
  readonly workload: string;
  readonly noticeId?: string;
  readonly noticeKey?: string;
  readonly checkName?: string;
}
/**
 * A hook name Juju itself never runs, dispatched by the charm's own workload through
 * `juju-exec -u <unit> "JUJU_DISPATCH_PATH=hooks/<name> <charm dir>/dispatch"` (the pattern Canonical's
 * postgresql and mysql charms use). It runs in a full hook context, serialised with Juju's hooks.
 */
export interface CustomEvent {
  readonly kind: "custom";
  readonly hook: string;
}
export interface ActionEvent {
  readonly kind: "action";
  readonly hook: string;
  readonly action: string;
  readonly actionUuid: string;
}

export type HookEvent =
  | SimpleEvent
  | RelationEvent
  | SecretEvent
  | StorageEvent
  | WorkloadEvent
  | ActionEvent
  | CustomEvent;

/** What a custom hook may be called: lowercase words joined by hyphens, like Juju's own hook names. */
const CUSTOM_HOOK = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Parses `hooks/db-relation-changed`, `actions/pause`, or a bare hook name. A well-formed name that is no Juju
 * hook is a custom event (see CustomEvent); anything else is undefined.
 */
export function parseDispatchPath(path: string): EventName | undefined {
  if (path.startsWith("actions/")) {
    const action = path.slice("actions/".length);
    return action ? { kind: "action", hook: action, action } : undefined;
  }
  const hook = path.startsWith("hooks/") ? path.slice("hooks/".length) : path;
  if (!hook || hook.includes("/")) return undefined;
  if ((SIMPLE_HOOKS as readonly string[]).includes(hook)) return { kind: hook as SimpleHookKind, hook };
  if ((SECRET_HOOKS as readonly string[]).includes(hook)) return { kind: hook as SecretHookKind, hook };
  for (const kind of RELATION_HOOKS) {
    const endpoint = prefixBefore(hook, `-${kind}`);
    if (endpoint) return { kind, hook, endpoint };
  }
  for (const kind of STORAGE_HOOKS) {
    const storage = prefixBefore(hook, `-${kind}`);
    if (storage) return { kind, hook, storage };
  }
  for (const kind of WORKLOAD_HOOKS) {
    const workload = prefixBefore(hook, `-${kind}`);
    if (workload) return { kind, hook, workload };
  }
  return CUSTOM_HOOK.test(hook) ? { kind: "custom", hook } : undefined;
}

function prefixBefore(hook: string, suffix: string): string | undefined {
  return hook.endsWith(suffix) && hook.length > suffix.length ? hook.slice(0, -suffix.length) : undefined;
}

/** The hook name Juju would run for an event (the inverse of parseDispatchPath, for harnesses). */
export function dispatchPathOf(name: EventName): string {
  return name.kind === "action" ? `actions/${name.action}` : `hooks/${name.hook}`;
}
