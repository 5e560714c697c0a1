import { NotLeaderError, PermissionDeniedError } from "../errors.js";
import type { EndpointRole } from "../meta.js";
import type { HookTools } from "../tools/index.js";

export type DatabagContent = Readonly<Record<string, string>>;

/** What a relation needs from its hook: tools and the (cached) leadership answer. */
export interface RelationHost {
  readonly tools: HookTools;
  readonly unitName: string;
  readonly appName: string;
  isLeader(): Promise<boolean>;
}

/**
 * One relation as this unit sees it. Juju's databag rules are enforced here, before Juju would refuse:
 * only the leader writes the app bag; on a non-peer relation a non-leader may not even read its own app bag;
 * remote bags are read-only. Reads are cached for the hook (Juju serves a snapshot taken at hook start), and
 * our own writes update the cache (Juju shows a unit its own pending writes).
 */
export class Relation {
  private unitsCache?: Promise<string[]>;
  private remoteAppCache?: Promise<string>;
  private readonly bags = new Map<string, Promise<Record<string, string>>>();

  constructor(
    private readonly host: RelationHost,
    /** As Juju prints it: `db:3`. */
    readonly id: string,
    readonly endpoint: string,
    readonly role: EndpointRole | undefined,
    knownRemoteApp?: string,
  ) {
    if (knownRemoteApp) this.remoteAppCache = Promise.resolve(knownRemoteApp);
    this.localApp = new LocalDatabag(this, host.appName, true);
    this.localUnit = new LocalDatabag(this, host.unitName, false);
  }

  /** This application's databag: any unit of a peer relation, only the leader otherwise. */
  readonly localApp: LocalDatabag;
  /** This unit's databag. */
  readonly localUnit: LocalDatabag;

  get number(): number {
    return Number(this.id.slice(this.id.lastIndexOf(":") + 1));
  }

  get isPeer(): boolean {
    return this.role === "peers";
  }

  /** Remote units currently in the relation (for a peer relation: the other units of this app). */
  units(): Promise<string[]> {
    this.unitsCache ??= this.host.tools.relationList(this.id);
    return this.unitsCache;
  }

  remoteApp(): Promise<string> {
    this.remoteAppCache ??= this.isPeer
      ? Promise.resolve(this.host.appName)
      : this.host.tools.relationRemoteApp(this.id);
    return this.remoteAppCache;
  }

  async remoteAppData(): Promise<DatabagContent> {
    const app = await this.remoteApp();
    return this.read(app, true);
  }

  async remoteUnitData(unit: string): Promise<DatabagContent> {
    return this.read(unit, false);
  }

  /** @internal */
  read(owner: string, app: boolean): Promise<Record<string, string>> {
    const key = `${app ? "app" : "unit"}:${owner}`;
    let bag = this.bags.get(key);
    if (!bag) {
      bag = this.host.tools.relationGet(this.id, owner, { app });
      this.bags.set(key, bag);
      bag.catch(() => this.bags.delete(key));
    }
    return bag;
  }

  /** @internal */
  async checkLocalAppAccess(write: boolean): Promise<void> {
    if (await this.host.isLeader()) return;
    if (write) {
      throw new NotLeaderError(
        "relation-set",
        `cannot write relation settings: only the leader may write the application databag of relation ${this.id} (this unit, ${this.host.unitName}, is not the leader)`,
        1,
      );
    }
    if (!this.isPeer) {
      throw new PermissionDeniedError(
        "relation-get",
        `permission denied (a non-leader unit cannot read its own application databag on relation ${this.id}; only peer relations allow it)`,
        1,
      );
    }
  }

  /** @internal */
  async write(app: boolean, values: Readonly<Record<string, string | null>>): Promise<void> {
    await this.host.tools.relationSet(this.id, values, { app });
    // Juju shows a unit its own pending writes, so an unread bag needs no refresh; a cached one is patched.
    const key = `${app ? "app" : "unit"}:${app ? this.host.appName : this.host.unitName}`;
    const cached = this.bags.get(key);
    if (!cached) return;
    this.bags.set(
      key,
      cached.then((bag) => {
        const next = { ...bag };
        for (const [k, v] of Object.entries(values)) {
          if (v === null || v === "") delete next[k];
          else next[k] = v;
        }
        return next;
      }),
    );
  }
}

/** A databag this unit may write (subject to leadership for the app bag). */
export class LocalDatabag {
  constructor(
    private readonly relation: Relation,
    private readonly owner: string,
    private readonly app: boolean,
  ) {}

  async read(): Promise<DatabagContent> {
    if (this.app) await this.relation.checkLocalAppAccess(false);
    return { ...(await this.relation.read(this.owner, this.app)) };
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.read())[key];
  }

  /** Sets keys; `null` or `""` deletes a key. Writing only what changed keeps remote hooks quiet. */
  async set(values: Readonly<Record<string, string | null>>): Promise<void> {
    if (this.app) await this.relation.checkLocalAppAccess(true);
    if (Object.keys(values).length === 0) return;
    await this.relation.write(this.app, values);
  }

  delete(...keys: string[]): Promise<void> {
    return this.set(Object.fromEntries(keys.map((k) => [k, null])));
  }
}
