import type { StatusName } from "../juju/tools/status.js";

/** A status as Juju reports it. */
export interface Status {
  readonly status: StatusName;
  readonly message: string;
}

/**
 * One relation as the unit under test sees it. For a peer relation, `remoteUnitsData` holds the other units
 * of this application and `remoteApp`/`remoteAppData` are not used.
 */
export interface RelationState {
  readonly id: number;
  readonly endpoint: string;
  /** The application at the other end (default "remote"). */
  readonly remoteApp?: string;
  /** The endpoint name on the other side (default: the same as ours). */
  readonly remoteEndpoint?: string;
  readonly localAppData?: Readonly<Record<string, string>>;
  /** Merged over the keys Juju writes on entering scope (addresses). */
  readonly localUnitData?: Readonly<Record<string, string>>;
  readonly remoteAppData?: Readonly<Record<string, string>>;
  /** Remote unit number → its databag; default one unit, `0`, with Juju's address keys. */
  readonly remoteUnitsData?: Readonly<Record<number, Readonly<Record<string, string>>>>;
}

/** Where a consumed secret came from: the owning application and the relation it was granted over. */
export interface SecretSource {
  readonly app: string;
  readonly relationId: number;
}

/**
 * A secret the unit owns (`owner` set) or consumes (`from` set). Revisions are numbered from 1;
 * `tracked` is the revision a consumer is pinned to (undefined until its first read).
 */
export interface SecretState {
  readonly id: string;
  readonly owner?: "application" | "unit";
  readonly from?: SecretSource;
  readonly revisions: Readonly<Record<number, Readonly<Record<string, string>>>>;
  readonly tracked?: number;
  /** The owner's label (owned secrets) or this unit's consumer label. */
  readonly label?: string;
  readonly description?: string;
  readonly expire?: string;
  readonly rotate?: string;
  /** Owned secrets: who may read it, per relation (an application or a unit of it). */
  readonly grants?: readonly { readonly relationId: number; readonly to: string }[];
}

/** Everything a hook can see or change, from one unit's point of view. Plain data; never mutated. */
export interface State {
  readonly leader?: boolean;
  /**
   * The unit's address (network-get, unit-get, its relation address keys); default 10.1.x.y. A test whose
   * workload listens on it gives a loopback one (127.0.<k>.<n>: Linux routes all of 127/8 to lo).
   */
  readonly address?: string;
  readonly config?: Readonly<Record<string, string | number | boolean>>;
  readonly relations?: readonly RelationState[];
  readonly secrets?: readonly SecretState[];
  readonly unitStatus?: Status;
  readonly appStatus?: Status;
  readonly workloadVersion?: string;
  readonly openedPorts?: readonly string[];
  /** The unit's state-get/state-set store. */
  readonly stored?: Readonly<Record<string, string>>;
  readonly resources?: Readonly<Record<string, string>>;
}
