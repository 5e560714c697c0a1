import { type HookContext, readHookContext } from "./context.js";
import { JujuError, NotLeaderError } from "./errors.js";
import type { HookEvent } from "./events.js";
import { type CharmMeta, type ConfigOf, endpointRole } from "./meta.js";
import { Action } from "./model/action.js";
import { typedConfig } from "./model/config.js";
import { Logger } from "./model/logger.js";
import { Redactor } from "./model/redactor.js";
import { Relation } from "./model/relations.js";
import { Secrets } from "./model/secrets.js";
import { bindTools, type HookTools } from "./tools/index.js";
import { ProcessToolRunner, type ToolRunner } from "./tools/runner.js";
import type { SettableStatus, StatusValue } from "./tools/status.js";

export interface HookOptions<M extends CharmMeta> {
  readonly meta: M;
  /** Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to running the hook tools on PATH. Test kits pass an emulator here. */
  readonly runner?: ToolRunner;
}

/**
 * One hook run: the validated context, the typed event, every hook tool, and a small model on top.
 * Answers Juju keeps stable within a hook (leadership, config, relation ids, databags) are read once.
 * Nothing happens until the charm asks for it.
 */
export class Hook<M extends CharmMeta = CharmMeta> {
  readonly context: HookContext;
  readonly meta: M;
  readonly tools: HookTools;
  readonly redactor = new Redactor();
  readonly log: Logger;
  readonly secrets: Secrets;
  readonly action: Action | undefined;

  private leaderCache?: Promise<boolean>;
  private configCache?: Promise<ConfigOf<M>>;
  private readonly idsCache = new Map<string, Promise<string[]>>();
  private readonly relationCache = new Map<string, Relation>();

  constructor(opts: HookOptions<M>) {
    this.meta = opts.meta;
    this.context = readHookContext(opts.env ?? process.env);
    this.tools = bindTools(opts.runner ?? new ProcessToolRunner());
    this.log = new Logger(this.tools, this.redactor);
    this.secrets = new Secrets(this.tools, this.redactor, () => this.isLeader());
    const e = this.context.event;
    this.action =
      e.kind === "action"
        ? new Action(e.action, e.actionUuid, this.meta.actions?.[e.action], this.tools, this.redactor)
        : undefined;
  }

  get event(): HookEvent {
    return this.context.event;
  }

  get unitName(): string {
    return this.context.unitName;
  }

  get appName(): string {
    return this.context.appName;
  }

  isLeader(): Promise<boolean> {
    this.leaderCache ??= this.tools.isLeader();
    return this.leaderCache;
  }

  /** Config typed against the charm's declared options. */
  config(): Promise<ConfigOf<M>> {
    this.configCache ??= this.tools.configGet().then((raw) => typedConfig(this.meta, raw));
    return this.configCache;
  }

  /** Every relation on an endpoint the charm declares. */
  async relations(endpoint: string): Promise<Relation[]> {
    if (!endpointRole(this.meta, endpoint)) {
      throw new JujuError(`the charm declares no endpoint "${endpoint}" (check requires/provides/peers)`);
    }
    let ids = this.idsCache.get(endpoint);
    if (!ids) {
      ids = this.tools.relationIds(endpoint);
      this.idsCache.set(endpoint, ids);
    }
    return (await ids).map((id) => this.relation(id));
  }

  /** A relation by id (`db:3`). */
  relation(id: string): Relation {
    let r = this.relationCache.get(id);
    if (!r) {
      const endpoint = id.slice(0, id.lastIndexOf(":"));
      const e = this.context.event;
      const remote = "relationId" in e && e.relationId === id && e.remoteApp ? e.remoteApp : undefined;
      r = new Relation(this, id, endpoint, endpointRole(this.meta, endpoint), remote);
      this.relationCache.set(id, r);
    }
    return r;
  }

  /** The relation of a relation hook, or undefined for other hooks. */
  get eventRelation(): Relation | undefined {
    const e = this.context.event;
    return "relationId" in e ? this.relation(e.relationId) : undefined;
  }

  /** This unit's status. The message is redacted of known secret values. */
  setUnitStatus(status: SettableStatus, message = ""): Promise<void> {
    return this.tools.statusSet(status, this.redactor.redact(message));
  }

  /** The application's status (leader only; refused here before Juju would). */
  async setAppStatus(status: SettableStatus, message = ""): Promise<void> {
    if (!(await this.isLeader())) {
      throw new NotLeaderError(
        "status-set",
        "this unit is not the leader (only the leader may set application status)",
        1,
      );
    }
    return this.tools.statusSet(status, this.redactor.redact(message), { application: true });
  }

  unitStatus(): Promise<StatusValue> {
    return this.tools.statusGet();
  }
}
