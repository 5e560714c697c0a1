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
  /** The model as it was when the hook began: `commit()` applies only what differs from it. */
  private readonly base: ModelState;
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
  /** The working directory of the tool call being answered (`-o FILE` is relative to it, as in Juju). */
  private callDir = "/";

  constructor(
    private readonly live: { state: ModelState },
    readonly unit: string,
    readonly env: Readonly<Record<string, string>>,
    readonly action: RunningAction | undefined,
    readonly tools: Readonly<Record<string, ToolImpl>>,
  ) {
    this.base = structuredClone(live.state);
    this.draft = structuredClone(live.state);
  }

  /** The model as the controller has it right now (what a tool that asks the controller sees). */
  get committed(): ModelState {
    return this.live.state;
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
    this.callDir = cwd;
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
    change(this.base);
    change(this.live.state);
  }

  /** Prints `value` in the requested format, or writes it to `-o FILE`. */
  emit(
    parsed: Parsed,
    value: unknown,
    fallback: Format = "smart",
    allowed?: readonly Format[],
    structOrder = false,
  ): ToolResult {
    const text = render(value, formatOf(parsed.opts, fallback, allowed), structOrder);
    const file = parsed.opts.output as string | undefined;
    if (file) {
      writeFileSync(isAbsolute(file) ? file : join(this.callDir, file), text);
      return ok();
    }
    return ok(text);
  }

  /** Resolves `-r` (or the hook's own relation) to a relation this unit takes part in. */
  relation(parsed: Parsed): RelationRecord {
    const flag = parsed.opts.relation;
    const given = typeof flag === "string" ? flag : this.env.JUJU_RELATION_ID;
    if (!given) throw usage("no relation id specified");
    // gnuflag names the option as it was typed: `-r` or `--relation`.
    const shown = typeof flag === "string" ? (parsed.spelled.relation ?? "-r") : "-r";
    const tail = given.slice(given.lastIndexOf(":") + 1);
    if (!/^[+-]?\d+$/.test(tail))
      throw usage(`invalid value "${given}" for option ${shown}: invalid relation id`);
    const rel = this.draft.relations[String(Number(tail))];
    if (!rel || !(this.app in rel.endpoints))
      throw usage(`invalid value "${given}" for option ${shown}: relation not found`);
    return rel;
  }

  relationKey(rel: RelationRecord): string {
    return relationKey(rel, this.app);
  }

  /**
   * Applies the hook's changes to the model and returns what Juju would run next because of them:
   * relation-changed for the other side of every databag that changed, secret-changed for consumers tracking
   * an older revision. Only what this hook changed is written (a diff of the draft against the model as the
   * hook began), so hooks of other units that committed meanwhile are not undone.
   */
  commit(): { followUps: FollowUpEvent[]; error?: string } {
    if (this.done) throw new Error("hook already finished");
    this.done = true;
    if (this.commitErrors.length) return { followUps: [], error: this.commitErrors.join("; ") };
    const tree = (m: ModelState) => m as unknown as Tree;
    applyChanges(tree(this.base), tree(this.draft), tree(this.live.state));
    return { followUps: followUps(this.base, this.draft, this.live.state, this.unit) };
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

type Tree = Record<string, unknown>;

const isTree = (v: unknown): v is Tree => v !== null && typeof v === "object" && !Array.isArray(v);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isTree(a) && isTree(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Three-way merge of one hook's work: every key the draft added, changed or removed relative to `base` is
 * written to `live`. Arrays are values. A change inside an object that is gone from `live` (a relation
 * another hook removed meanwhile) is dropped rather than resurrecting a partial object.
 */
function applyChanges(base: Tree, draft: Tree, live: Tree): void {
  for (const key of new Set([...Object.keys(base), ...Object.keys(draft)])) {
    const b = base[key];
    const d = draft[key];
    if (!(key in draft)) delete live[key];
    else if (!(key in base)) live[key] = structuredClone(d);
    else if (isTree(b) && isTree(d)) {
      const l = live[key];
      if (isTree(l)) applyChanges(b, d, l);
    } else if (!deepEqual(b, d)) live[key] = structuredClone(d);
  }
}

function followUps(base: ModelState, draft: ModelState, live: ModelState, writer: string): FollowUpEvent[] {
  const out: FollowUpEvent[] = [];
  const app = live.units[writer]!.app;
  for (const rel of Object.values(draft.relations)) {
    const old = base.relations[String(rel.id)];
    const now = live.relations[String(rel.id)];
    if (!old || !now) continue;
    const watchers = isPeer(now)
      ? unitsOf(live, app).filter((u) => u !== writer && now.members.includes(u))
      : unitsOf(live, remoteAppOf(now, app)).filter((u) => now.members.includes(u));
    if (!same(old.appData[app], rel.appData[app])) {
      for (const unit of watchers) out.push({ unit, kind: "relation-changed", relationId: rel.id });
    }
    if (!same(old.unitData[writer], rel.unitData[writer])) {
      for (const unit of watchers)
        out.push({ unit, kind: "relation-changed", relationId: rel.id, remoteUnit: writer });
    }
  }
  for (const secret of Object.values(draft.secrets)) {
    const old = base.secrets[secret.id];
    const now = live.secrets[secret.id];
    if (!old || !now || old.latest === secret.latest) continue;
    for (const [unit, c] of Object.entries(now.consumers)) {
      if (c.tracked !== undefined && c.tracked < now.latest) {
        out.push({ unit, kind: "secret-changed", secretId: `secret:${secret.id}` });
      }
    }
  }
  return out;
}
