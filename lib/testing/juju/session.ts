import { writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { LogLevel } from "../../juju/tools/log.js";
import type { ToolResult } from "../../juju/tools/runner.js";
import {
  isPeer,
  type ModelState,
  type RelationRecord,
  relationKey,
  remoteAppOf,
  type StatusRecord,
  unitsOf,
} from "./model.js";
import { type Format, formatOf, ok, type Parsed, render, ToolFailure, usage } from "./tools/cli.js";

/** What a hook did that Juju does not roll back, plus a record of every tool call (for tests and benchmarks). */
export interface HookEffects {
  readonly statusHistory: { target: "unit" | "app"; status: StatusRecord }[];
  readonly logs: { level: LogLevel | string; message: string }[];
  readonly actionLogs: string[];
  readonly toolCalls: { tool: string; args: string[] }[];
  actionResults: Record<string, unknown>;
  actionFailure?: string;
}

export interface RunningAction {
  readonly name: string;
  readonly uuid: string;
  readonly params: Record<string, unknown>;
}

/** An event the model raises for some unit after a commit (relation data or a secret revision changed). */
export interface FollowUpEvent {
  readonly unit: string;
  readonly kind: "relation-changed" | "secret-changed";
  readonly relationId?: number;
  readonly remoteUnit?: string;
  readonly secretId?: string;
}

export interface ToolCall {
  readonly args: readonly string[];
  readonly stdin?: string;
  readonly cwd: string;
}
export type ToolImpl = (s: HookSession, call: ToolCall) => ToolResult;

/**
 * One hook's transaction. Tools read and write `draft`, a clone of the model taken when the hook started
 * (so remote data is fixed for the hook and our own writes are visible to our own reads). `commit()` makes
 * the draft the model; a failed hook simply drops it. What Juju applies at once (status, logs, workload
 * version, action progress) goes to both the draft and the live model through `immediate`.
 */
export class HookSession {
  readonly draft: ModelState;
  readonly effects: HookEffects = {
    statusHistory: [],
    logs: [],
    actionLogs: [],
    toolCalls: [],
    actionResults: {},
  };
  /** Labels of secrets created in this hook (Juju refuses a duplicate at once). */
  readonly newLabels = new Set<string>();
  /** Failures Juju only notices when it commits the hook's changes. */
  readonly commitErrors: string[] = [];
  private done = false;

  constructor(
    private readonly live: { state: ModelState },
    readonly unit: string,
    readonly env: Readonly<Record<string, string>>,
    readonly action: RunningAction | undefined,
    readonly tools: Readonly<Record<string, ToolImpl>>,
  ) {
    this.draft = structuredClone(live.state);
  }

  get app(): string {
    return this.draft.units[this.unit]!.app;
  }

  get isLeader(): boolean {
    return this.draft.apps[this.app]!.leader === this.unit;
  }

  /** Runs one hook tool by name, as the jujuc server would. Never throws. */
  run(
    tool: string,
    args: readonly string[],
    stdin?: string,
    cwd = this.env.JUJU_CHARM_DIR ?? "/",
  ): ToolResult {
    this.effects.toolCalls.push({ tool, args: [...args] });
    const impl = this.tools[tool];
    if (!impl) return { code: 1, stdout: "", stderr: `ERROR bad request: unknown command "${tool}"\n` };
    if (this.done) return { code: 1, stdout: "", stderr: "ERROR the hook context is closed\n" };
    try {
      return impl(this, { args, ...(stdin !== undefined ? { stdin } : {}), cwd });
    } catch (err) {
      if (err instanceof ToolFailure) return { code: err.code, stdout: "", stderr: `ERROR ${err.message}\n` };
      const message = err instanceof Error ? err.message : String(err);
      return { code: 1, stdout: "", stderr: `ERROR ${message}\n` };
    }
  }

  /** Applies a change Juju makes at once, not at commit. */
  immediate(change: (m: ModelState) => void): void {
    change(this.draft);
    change(this.live.state);
  }

  /** Prints `value` in the requested format, or writes it to `-o FILE`. */
  emit(parsed: Parsed, value: unknown, fallback: Format = "smart", allowed?: readonly Format[]): ToolResult {
    const text = render(value, formatOf(parsed.opts, fallback, allowed));
    const file = parsed.opts.output as string | undefined;
    if (file) {
      writeFileSync(isAbsolute(file) ? file : join(this.env.JUJU_CHARM_DIR ?? "/", file), text);
      return ok();
    }
    return ok(text);
  }

  /** Resolves `-r` (or the hook's own relation) to a relation this unit takes part in. */
  relation(flag: string | boolean | undefined): RelationRecord {
    const given = typeof flag === "string" ? flag : this.env.JUJU_RELATION_ID;
    if (!given) throw usage("no relation id specified");
    const n = Number(given.slice(given.lastIndexOf(":") + 1));
    if (!/^\d+$/.test(given.slice(given.lastIndexOf(":") + 1)) || !Number.isInteger(n)) {
      throw usage(`invalid value "${given}" for option -r: invalid relation id`);
    }
    const rel = this.draft.relations[String(n)];
    if (!rel || !(this.app in rel.endpoints))
      throw usage(`invalid value "${given}" for option -r: relation not found`);
    return rel;
  }

  relationKey(rel: RelationRecord): string {
    return relationKey(rel, this.app);
  }

  /**
   * Makes the draft the model and returns what Juju would run next because of it: relation-changed for the
   * other side of every databag that changed, secret-changed for consumers tracking an older revision.
   */
  commit(): { followUps: FollowUpEvent[]; error?: string } {
    if (this.done) throw new Error("hook already finished");
    this.done = true;
    if (this.commitErrors.length) return { followUps: [], error: this.commitErrors.join("; ") };
    const before = this.live.state;
    const after = this.draft;
    this.live.state = after;
    return { followUps: followUps(before, after, this.unit) };
  }

  /** Drops every buffered change (the hook failed). Immediate effects stay, as in Juju. */
  abort(): void {
    this.done = true;
  }
}

function same(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => x[k] === y[k]);
}

function followUps(before: ModelState, after: ModelState, writer: string): FollowUpEvent[] {
  const out: FollowUpEvent[] = [];
  const app = after.units[writer]!.app;
  for (const rel of Object.values(after.relations)) {
    const old = before.relations[String(rel.id)];
    if (!old) continue;
    const watchers = isPeer(rel)
      ? unitsOf(after, app).filter((u) => u !== writer && rel.members.includes(u))
      : unitsOf(after, remoteAppOf(rel, app)).filter((u) => rel.members.includes(u));
    if (!same(old.appData[app], rel.appData[app])) {
      for (const unit of watchers) out.push({ unit, kind: "relation-changed", relationId: rel.id });
    }
    if (!same(old.unitData[writer], rel.unitData[writer])) {
      for (const unit of watchers)
        out.push({ unit, kind: "relation-changed", relationId: rel.id, remoteUnit: writer });
    }
  }
  for (const secret of Object.values(after.secrets)) {
    const old = before.secrets[secret.id];
    if (!old || old.latest === secret.latest) continue;
    for (const [unit, c] of Object.entries(secret.consumers)) {
      if (c.tracked !== undefined && c.tracked < secret.latest) {
        out.push({ unit, kind: "secret-changed", secretId: `secret:${secret.id}` });
      }
    }
  }
  return out;
}
