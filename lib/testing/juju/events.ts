import type {
  RelationHookKind,
  SecretHookKind,
  SimpleHookKind,
  StorageHookKind,
  WorkloadHookKind,
} from "../../juju/events.js";
import type { FollowUpEvent } from "./session.js";

/** An event as a test names it; the emulator turns it into the hook environment Juju would build. */
export type KitEvent =
  | { readonly kind: SimpleHookKind }
  | {
      readonly kind: RelationHookKind;
      readonly relationId: number;
      /** The remote unit for joined/departed and unit-level changed; omit for app-level changed. */
      readonly remoteUnit?: string;
      readonly departingUnit?: string;
    }
  | { readonly kind: SecretHookKind; readonly secretId: string; readonly revision?: number }
  | { readonly kind: "action"; readonly action: string; readonly params?: Readonly<Record<string, unknown>> }
  | { readonly kind: StorageHookKind; readonly storage: string; readonly storageId?: string }
  | { readonly kind: WorkloadHookKind; readonly workload: string }
  /** A hook the charm's workload dispatches through juju-exec (`JUJU_DISPATCH_PATH=hooks/<hook>`). */
  | { readonly kind: "custom"; readonly hook: string };

type RelOpts = { remoteUnit?: string; departingUnit?: string };

/** Event constructors, in the spirit of Scenario's `ctx.on`. */
export const on = {
  install: (): KitEvent => ({ kind: "install" }),
  start: (): KitEvent => ({ kind: "start" }),
  stop: (): KitEvent => ({ kind: "stop" }),
  remove: (): KitEvent => ({ kind: "remove" }),
  configChanged: (): KitEvent => ({ kind: "config-changed" }),
  upgradeCharm: (): KitEvent => ({ kind: "upgrade-charm" }),
  leaderElected: (): KitEvent => ({ kind: "leader-elected" }),
  updateStatus: (): KitEvent => ({ kind: "update-status" }),
  relationCreated: (relationId: number): KitEvent => ({ kind: "relation-created", relationId }),
  relationJoined: (relationId: number, remoteUnit: string): KitEvent => ({
    kind: "relation-joined",
    relationId,
    remoteUnit,
  }),
  relationChanged: (relationId: number, opts: RelOpts = {}): KitEvent => ({
    kind: "relation-changed",
    relationId,
    ...opts,
  }),
  relationDeparted: (relationId: number, remoteUnit: string, departingUnit = remoteUnit): KitEvent => ({
    kind: "relation-departed",
    relationId,
    remoteUnit,
    departingUnit,
  }),
  relationBroken: (relationId: number): KitEvent => ({ kind: "relation-broken", relationId }),
  secretChanged: (secretId: string): KitEvent => ({ kind: "secret-changed", secretId }),
  secretRotate: (secretId: string): KitEvent => ({ kind: "secret-rotate", secretId }),
  secretExpired: (secretId: string, revision: number): KitEvent => ({
    kind: "secret-expired",
    secretId,
    revision,
  }),
  secretRemove: (secretId: string, revision: number): KitEvent => ({
    kind: "secret-remove",
    secretId,
    revision,
  }),
  custom: (hook: string): KitEvent => ({ kind: "custom", hook }),
  action: (action: string, params: Record<string, unknown> = {}): KitEvent => ({
    kind: "action",
    action,
    params,
  }),
};

/** The event a follow-up names, as the unit it wakes would receive it. */
export function followUpEvent(f: FollowUpEvent): KitEvent {
  return f.kind === "secret-changed"
    ? { kind: "secret-changed", secretId: f.secretId! }
    : {
        kind: "relation-changed",
        relationId: f.relationId!,
        ...(f.remoteUnit ? { remoteUnit: f.remoteUnit } : {}),
      };
}
