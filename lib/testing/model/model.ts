import type { ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { copyFile, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import type { ToolResult } from "../../juju/tools/runner.js";
import { extractCharm } from "../charm-archive.js";
import { loadCharmMeta } from "../charm-meta.js";
import { type FakeTools, installFakeTools } from "../fake-tools/install.js";
import { startToolServer, type ToolRequest, type ToolServer } from "../fake-tools/server.js";
import { type BeganHook, defaultUnitBag, InconsistentScenarioError, JujuEmulator } from "../juju/emulator.js";
import { followUpEvent, type KitEvent } from "../juju/events.js";
import { emptyModel, unitsOf } from "../juju/model.js";
import type { HookSession } from "../juju/session.js";
import {
  dispatchedHook,
  ExecUsageError,
  installJujuExec,
  NO_CONTEXT,
  parseExecArgs,
  refusedInHook,
} from "./exec.js";
import {
  hookName,
  integrated,
  type PlannedHook,
  type RelationSides,
  relationRemoved,
  unitRemoved,
  unitsUp,
} from "./lifecycle.js";
import {
  killMarked,
  MACHINE_MARKER,
  machineAddress,
  machineName,
  markerValue,
  nextAddressBlock,
} from "./machines.js";
import { runProcess } from "./process.js";
import { HookQueue, type HookVia, LockError, MachineLock, type QueuedHook } from "./queue.js";
import { addUserSecret, grantUserSecret, removeUserSecret, updateUserSecret } from "./secrets.js";
import { type ModelStatus, modelStatus } from "./status.js";

export type ConfigValue = string | number | boolean;

/** Where a unit lives: its machine's loopback address and dir, and the charm dir its hooks run in. */
export interface UnitInfo {
  readonly name: string;
  readonly app: string;
  readonly address: string;
  readonly machineDir: string;
  readonly charmDir: string;
}

export interface DeployOptions {
  /** A packed `.charm` (unzipped into the model's dir) or a built charm directory (used as is). */
  readonly charm: string;
  readonly units?: number;
  readonly config?: Readonly<Record<string, ConfigValue>>;
  /** Resource name → file to attach before the units install. */
  readonly resources?: Readonly<Record<string, string>>;
  /** Variables the machine gives every process of the unit (Juju's own variables win over them). */
  readonly env?: (unit: UnitInfo) => Record<string, string>;
}

export interface HookRecord {
  readonly unit: string;
  /** Juju's hook name (`db-relation-changed`), the action's name, or the custom hook juju-exec dispatched. */
  readonly hook: string;
  readonly via: HookVia;
  /** Exit 0 and committed. */
  readonly ok: boolean;
  readonly exitCode: number;
  readonly ms: number;
  /** Hook tool calls the process made. */
  readonly toolCalls: number;
  /** The tail of what the process wrote to stderr: its last 8 KiB at most, so 10 000 records stay small. */
  readonly stderr: string;
}

export interface ActionOutcome {
  status: "completed" | "failed";
  results: Record<string, unknown>;
  message?: string;
  logs: string[];
}

export interface ModelOptions {
  readonly name?: string;
  /** Where the model keeps machines, charms and tools; a fresh temp dir (removed on close) by default. */
  readonly dir?: string;
  /** A hook process running longer is killed and counts as failed (default 120 s). */
  readonly hookTimeoutMs?: number;
}

/** Juju's machine lock timeout for juju-exec. */
const LOCK_WAIT_MS = 5 * 60_000;
const MAX_RECORDS = 10_000;
/** Bytes of a hook's stderr a record keeps (its tail, where the error is). */
export const RECORD_STDERR_BYTES = 8 * 1024;
/**
 * juju-exec callers that may wait for the machine lock at once. Juju has no such bound (its callers queue on a
 * file lock); here each waiter holds a socket and a timer in the test process, so one more is refused at once.
 */
export const MAX_EXEC_WAITERS = 64;
/** Hooks one settle may run before the model calls it a loop (hooks causing hooks forever). */
const MAX_HOOKS_PER_SETTLE = 10_000;

interface AppInfo {
  readonly charmDir: string;
  readonly env?: (unit: UnitInfo) => Record<string, string>;
  /** Resource name → the source file last attached. */
  readonly resources: Record<string, string>;
}

/**
 * An emulated Juju model that runs charms as Juju does: every hook is the charm's `dispatch` run as a process
 * with fake hook tools, in Juju's documented order, one at a time (the machine lock), with each unit on a
 * machine of its own (a loopback address, a dir, the processes it started). Every method that changes the
 * model returns once it has settled: no hook queued or running.
 */
export class Model {
  readonly juju: JujuEmulator;
  private readonly apps = new Map<string, AppInfo>();
  private readonly units = new Map<string, UnitInfo>();
  private readonly queue = new HookQueue();
  private readonly lock = new MachineLock();
  /** Units in error state → the hook that failed (re-run by resolve). */
  private readonly failed = new Map<string, { item: QueuedHook; hook: string }>();
  private readonly running = new Set<string>();
  private readonly sessions = new Map<string, HookSession>();
  private readonly children = new Set<ChildProcess>();
  private readonly records: HookRecord[] = [];
  private machines = 0;
  /** The next unit number per application: Juju never gives a removed unit's number to a new one. */
  private readonly nextUnit = new Map<string, number>();
  private execWaiters = 0;
  private closed = false;
  private pumping: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly id: string,
    readonly dir: string,
    private readonly ownDir: boolean,
    private readonly addressBlock: number,
    private readonly hookTimeoutMs: number,
    private readonly tools: FakeTools,
    private readonly server: ToolServer,
    private readonly binDir: string,
    name: string,
  ) {
    this.juju = new JujuEmulator(emptyModel(name, randomUUID()));
  }

  static async create(opts: ModelOptions = {}): Promise<Model> {
    const ownDir = opts.dir === undefined;
    const dir = opts.dir !== undefined ? resolve(opts.dir) : await mkdtemp(join(tmpdir(), "kcck-model-"));
    const binDir = join(dir, "bin");
    let server: ToolServer | undefined;
    let tools: FakeTools | undefined;
    try {
      await mkdir(join(dir, "libexec"), { recursive: true });
      await mkdir(join(dir, "machines"), { recursive: true });
      tools = await installFakeTools({ dir: binDir });
      let model: Model | undefined;
      server = await startToolServer((req) =>
        model ? model.answer(req) : { code: 1, stdout: "", stderr: "ERROR the model is starting\n" },
      );
      await installJujuExec({
        binDir,
        libexecDir: join(dir, "libexec"),
        toolsBinDir: binDir,
        socketPath: server.socketPath,
      });
      model = new Model(
        randomBytes(4).toString("hex"),
        dir,
        ownDir,
        nextAddressBlock(),
        opts.hookTimeoutMs ?? 120_000,
        tools,
        server,
        binDir,
        opts.name ?? "test-model",
      );
      return model;
    } catch (e) {
      await server?.close();
      await rm(ownDir ? dir : binDir, { recursive: true, force: true });
      throw e;
    }
  }

  /** juju-exec commands waiting for the machine lock now. */
  get execWaiting(): number {
    return this.execWaiters;
  }

  /** Every hook run so far (the last 10 000). */
  get hooks(): readonly HookRecord[] {
    return this.records;
  }

  unit(name: string): UnitInfo {
    const u = this.units.get(name);
    if (!u) throw new Error(`unit "${name}" not found`);
    return u;
  }

  status(): ModelStatus {
    return modelStatus(this.juju.state, {
      failedHook: (u) => this.failed.get(u)?.hook,
      executing: (u) => this.running.has(u),
      machineOf: (u) => String(this.units.get(u)?.address.split(".").slice(2).join(".") ?? ""),
    });
  }

  // ---- operations (each returns once the model has settled) ----

  async deploy(app: string, opts: DeployOptions): Promise<string[]> {
    this.open();
    const charmDir = await this.prepareCharm(app, opts.charm);
    const meta = loadCharmMeta(charmDir);
    const config = { ...(opts.config ?? {}) };
    this.checkConfig(app, meta.config?.options ?? {}, config);
    this.juju.deploy(app, meta, { units: 0, config, leader: null });
    const resources: Record<string, string> = {};
    for (const [name, path] of Object.entries(opts.resources ?? {})) resources[name] = resolve(path);
    this.apps.set(app, { charmDir, ...(opts.env ? { env: opts.env } : {}), resources });
    for (const endpoint of Object.keys(meta.peers ?? {})) this.juju.relate({ app, endpoint });
    const units = await this.createUnits(app, opts.units ?? 1);
    const leader = units[0];
    if (leader) this.juju.setLeader(leader);
    this.queue.push(...unitsUp(units, this.relationsOf(app), leader));
    await this.settle();
    return units;
  }

  async addUnit(app: string, n = 1): Promise<string[]> {
    this.open();
    this.appInfo(app);
    const units = await this.createUnits(app, n);
    const state = this.juju.state.apps[app]!;
    let leader: string | undefined;
    if (!state.leader && units[0]) {
      leader = units[0];
      this.juju.setLeader(leader);
    }
    this.queue.push(...unitsUp(units, this.relationsOf(app), leader));
    await this.settle();
    return units;
  }

  async removeUnit(unit: string): Promise<void> {
    this.open();
    const info = this.unit(unit);
    const relations = this.relationsOf(info.app).filter((r) => r.sides[info.app]?.includes(unit));
    const planned = unitRemoved(unit, relations).map((h) => ({
      ...h,
      ...(h.unit === unit && h.event.kind === "relation-broken" ? { unitLeaving: true } : {}),
    }));
    this.queue.push(...planned);
    await this.settle();
    // The unit is gone even if one of its last hooks failed (Juju would wait for `resolve`; a test wants out).
    this.failed.delete(unit);
    this.queue.dropUnit(unit);
    const wasLeader = this.juju.state.apps[info.app]?.leader === unit;
    this.forgetUnit(unit);
    await killMarked({ value: markerValue(this.id, unit) });
    await rm(info.machineDir, { recursive: true, force: true });
    if (wasLeader) {
      // Juju elects another unit; it runs leader-elected. The lowest-numbered remaining unit here.
      const next = unitsOf(this.juju.state, info.app)[0];
      const appState = this.juju.state.apps[info.app]!;
      delete appState.leader;
      if (next) {
        appState.leader = next;
        this.queue.push({ unit: next, event: { kind: "leader-elected" } });
      }
      await this.settle();
    }
  }

  async config(app: string, values: Readonly<Record<string, ConfigValue | null>>): Promise<void> {
    this.open();
    const state = this.juju.state.apps[app];
    if (!state) throw new Error(`application "${app}" not found`);
    const next = { ...state.config };
    for (const [k, v] of Object.entries(values)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    this.checkConfig(app, state.meta.config?.options ?? {}, next);
    state.config = next;
    this.queue.push(...this.everyUnit(app, { kind: "config-changed" }));
    await this.settle();
  }

  /** `juju attach-resource`: the file goes to every unit's machine, then upgrade-charm runs on each. */
  async attachResource(app: string, name: string, path: string): Promise<void> {
    this.open();
    const info = this.appInfo(app);
    const meta = this.juju.state.apps[app]!.meta;
    if (!meta.resources?.[name]) throw new Error(`charm "${meta.name}" has no resource "${name}"`);
    info.resources[name] = resolve(path);
    for (const unit of unitsOf(this.juju.state, app))
      await this.placeResource(unit, name, info.resources[name]);
    this.queue.push(...this.everyUnit(app, { kind: "upgrade-charm" }));
    await this.settle();
  }

  async addSecret(content: Record<string, string>, opts: { label?: string; description?: string } = {}) {
    this.open();
    return addUserSecret(this.juju.state, content, opts);
  }

  async grantSecret(uri: string, app: string): Promise<void> {
    this.open();
    grantUserSecret(this.juju.state, uri, app);
  }

  /** `juju update-secret`: a new revision; units that read the secret get secret-changed. */
  async updateSecret(uri: string, content: Record<string, string>): Promise<void> {
    this.open();
    for (const unit of updateUserSecret(this.juju.state, uri, content)) {
      this.queue.push({ unit, event: { kind: "secret-changed", secretId: uri } });
    }
    await this.settle();
  }

  async removeSecret(uri: string): Promise<void> {
    this.open();
    removeUserSecret(this.juju.state, uri);
  }

  async integrate(a: string, b: string): Promise<number> {
    this.open();
    const id = this.juju.relate(endpointOf(a), endpointOf(b));
    this.queue.push(...integrated(this.sidesOf(id)));
    await this.settle();
    return id;
  }

  async removeRelation(id: number): Promise<void> {
    this.open();
    if (!this.juju.state.relations[String(id)]) throw new Error(`relation ${id} not found`);
    this.queue.push(...relationRemoved(this.sidesOf(id)));
    await this.settle();
  }

  /**
   * Writes one side of relation `id` as a charm no test runs would (a far side played by the test, e.g. a
   * misbehaving provider): `side` is an application (its app databag, as its leader's `relation-set --app`)
   * or a unit (its unit databag). A key set to null is deleted. When something changed, Juju's
   * relation-changed runs on every unit of the other application, and the model settles.
   */
  async setRelationData(
    id: number,
    side: string,
    data: Readonly<Record<string, string | null>>,
  ): Promise<void> {
    this.open();
    const rel = this.juju.state.relations[String(id)];
    if (!rel) throw new Error(`relation ${id} not found`);
    const isUnit = side.includes("/");
    const app = isUnit ? side.slice(0, side.lastIndexOf("/")) : side;
    if (!(app in rel.endpoints)) throw new Error(`"${app}" is not in relation ${id}`);
    if (isUnit && !rel.members.includes(side)) throw new Error(`unit "${side}" is not in relation ${id}`);
    const bags = isUnit ? rel.unitData : rel.appData;
    const key0 = isUnit ? side : app;
    if (!bags[key0]) bags[key0] = {};
    const bag = bags[key0];
    let changed = false;
    for (const [key, value] of Object.entries(data)) {
      if (value === null ? !(key in bag) : bag[key] === value) continue;
      if (value === null) delete bag[key];
      else bag[key] = value;
      changed = true;
    }
    if (!changed) return;
    for (const other of Object.keys(rel.endpoints).filter((a) => a !== app)) {
      this.queue.push(
        ...this.everyUnit(other, {
          kind: "relation-changed",
          relationId: id,
          ...(isUnit ? { remoteUnit: side } : {}),
        }),
      );
    }
    await this.settle();
  }

  /**
   * Runs one event on `unit` as Juju would run it, then settles: Scenario's "run any event", for what a test
   * plays that the model has no verb for (a grant a provider took back, then the relation-changed a real
   * provider's next write would cause). An event that could not happen here is refused.
   */
  async emit(unit: string, event: KitEvent): Promise<void> {
    this.open();
    this.unit(unit);
    this.juju.hookEnv(unit, event); // throws InconsistentScenarioError for an impossible event
    this.queue.push({ unit, event });
    await this.settle();
  }

  /** Moves leadership to `unit`; leader-elected runs on it (the old leader learns from is-leader). */
  async setLeader(unit: string): Promise<void> {
    this.open();
    const info = this.unit(unit);
    this.juju.state.apps[info.app]!.leader = unit;
    this.queue.push({ unit, event: { kind: "leader-elected" } });
    await this.settle();
  }

  async updateStatus(app?: string): Promise<void> {
    this.open();
    const apps = app === undefined ? Object.keys(this.juju.state.apps) : [app];
    for (const a of apps) this.queue.push(...this.everyUnit(a, { kind: "update-status" }));
    await this.settle();
  }

  /** `juju run <unit> <action>`: waits for the queue, then runs the action under the machine lock. */
  async runAction(unit: string, name: string, params: Record<string, unknown> = {}): Promise<ActionOutcome> {
    this.open();
    this.unit(unit);
    await this.settle();
    const release = await this.lock.acquire(LOCK_WAIT_MS);
    let outcome: ActionOutcome;
    try {
      const run = await this.runHook(unit, { kind: "action", action: name, params }, "action");
      const effects = run.began.session.effects;
      const failed = run.exitCode !== 0 || effects.actionFailure !== undefined;
      const message =
        effects.actionFailure ?? (run.exitCode !== 0 ? `exit status ${run.exitCode}` : undefined);
      outcome = {
        status: failed ? "failed" : "completed",
        results: { ...effects.actionResults },
        ...(message !== undefined ? { message } : {}),
        logs: [...effects.actionLogs],
      };
    } finally {
      release();
    }
    await this.settle();
    return outcome;
  }

  /** `juju resolve <unit>` (with retry): the failed hook runs again, then whatever waited behind it. */
  async resolve(unit: string): Promise<void> {
    this.open();
    const failed = this.failed.get(unit);
    if (!failed) throw new Error(`unit "${unit}" is not in an error state`);
    this.failed.delete(unit);
    this.queue.unshift(failed.item);
    await this.settle();
  }

  /** Runs queued hooks until none is left to run (units in error state wait for resolve) and none runs. */
  async settle(): Promise<void> {
    let ran = 0;
    for (;;) {
      if (this.closed) return;
      if (!this.pumping) {
        const pump: Promise<void> = this.pump().finally(() => {
          if (this.pumping === pump) this.pumping = undefined;
        });
        this.pumping = pump;
      }
      const before = this.records.length;
      await this.pumping;
      ran += this.records.length - before;
      if (ran > MAX_HOOKS_PER_SETTLE) throw new Error(`the model did not settle after ${ran} hooks`);
      if (this.closed || this.queue.hasRunnable(this.blocked)) continue;
      if (!this.lock.busy) return;
      // A juju-exec command holds the lock: wait for it, then look again (it may have queued follow-ups).
      try {
        (await this.lock.acquire(LOCK_WAIT_MS))();
      } catch (e) {
        if (this.closed) return;
        throw e;
      }
    }
  }

  async waitFor(
    pred: (s: ModelStatus) => boolean,
    opts: { timeoutMs: number; what: string },
  ): Promise<ModelStatus> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      this.open();
      const s = this.status();
      if (pred(s)) return s;
      if (Date.now() >= deadline) {
        throw new Error(
          `timed out after ${opts.timeoutMs} ms waiting for ${opts.what}; status: ${JSON.stringify(s)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops every process of every machine, answers waiting juju-exec callers, removes the model's dirs. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.lock.close();
      for (const child of this.children) child.kill("SIGKILL");
      await killMarked({ prefix: `${this.id}:` });
      await this.pumping?.catch(() => undefined);
      // Let refused juju-exec waiters get their answer out before the sockets go.
      await new Promise((r) => setImmediate(r));
      await this.server.close();
      await this.tools.cleanup();
      await rm(this.ownDir ? this.dir : join(this.dir, "machines"), { recursive: true, force: true });
      if (!this.ownDir) {
        for (const sub of ["bin", "libexec", "charms"])
          await rm(join(this.dir, sub), { recursive: true, force: true });
      }
    })();
    return this.closing;
  }

  // ---- internals ----

  private open(): void {
    if (this.closed) throw new Error("the model is closed");
  }

  private readonly blocked = (unit: string) => this.failed.has(unit);

  private async pump(): Promise<void> {
    while (!this.closed) {
      let release: () => void;
      try {
        release = await this.lock.acquire(LOCK_WAIT_MS);
      } catch (e) {
        if (e instanceof LockError && this.closed) return;
        throw e;
      }
      try {
        const item = this.queue.take(this.blocked);
        if (!item) return;
        await this.runQueued(item);
      } finally {
        release();
      }
    }
  }

  private async runQueued(item: QueuedHook): Promise<void> {
    if (!this.units.has(item.unit)) return;
    let run: Awaited<ReturnType<Model["runHook"]>>;
    try {
      run = await this.runHook(item.unit, item.event, "juju");
    } catch (e) {
      // A follow-up for a relation that went away meanwhile: Juju would not run it either.
      if (e instanceof InconsistentScenarioError) return;
      throw e;
    }
    if (!run.ok) this.failed.set(item.unit, { item, hook: run.hook });
    if (item.unitLeaving && item.event.kind === "relation-broken") {
      // The leaving unit's relation-broken ends its own scope only: the relation lives on for the others.
      const rel = this.juju.state.relations[String(item.event.relationId)];
      if (rel) delete rel.dying;
    }
  }

  /** Runs one hook (or action) of `unit` as a process; the caller holds the machine lock. */
  private async runHook(unit: string, event: KitEvent, via: HookVia, command?: string) {
    const info = this.unit(unit);
    const began: BeganHook = await this.juju.begin(unit, event, info.charmDir);
    const contextId = began.env.JUJU_CONTEXT_ID!;
    const env = this.processEnv(info, began.env);
    if (command !== undefined) delete env.JUJU_DISPATCH_PATH;
    this.sessions.set(contextId, began.session);
    this.running.add(unit);
    const t0 = performance.now();
    let result: { code: number; stdout: string; stderr: string };
    try {
      const [file, args] =
        command === undefined ? [join(info.charmDir, "dispatch"), []] : ["/bin/sh", ["-c", command]];
      result = await runProcess(file, args, {
        env,
        cwd: info.charmDir,
        timeoutMs: this.hookTimeoutMs,
        onSpawn: (c) => {
          this.children.add(c);
          c.once("exit", () => this.children.delete(c));
        },
      });
    } finally {
      this.sessions.delete(contextId);
      this.running.delete(unit);
    }
    const ms = performance.now() - t0;
    const finished = this.juju.finish(began, event, result.code);
    const hook =
      command !== undefined
        ? (dispatchedHook(command) ?? "juju-exec")
        : (began.env.JUJU_HOOK_NAME ?? hookName(event));
    const ok = result.code === 0 && finished.committed;
    this.record({
      unit,
      hook,
      via,
      ok,
      exitCode: result.code,
      ms,
      toolCalls: began.session.effects.toolCalls.length,
      stderr: tailBytes(
        finished.error
          ? `${result.stderr}Juju refused the hook's changes: ${finished.error}\n`
          : result.stderr,
        RECORD_STDERR_BYTES,
      ),
    });
    for (const f of finished.followUps) {
      if (this.units.has(f.unit)) this.queue.push({ unit: f.unit, event: followUpEvent(f) });
    }
    return { ...result, exitCode: result.code, ok, hook, began };
  }

  private record(r: HookRecord): void {
    this.records.push(r);
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
  }

  /** The machine's variables, the marker, Juju's variables (they win), the tools' socket and PATH. */
  private processEnv(info: UnitInfo, jujuEnv: Record<string, string>): Record<string, string> {
    const app = this.appInfo(info.app);
    return {
      ...(app.env?.(info) ?? {}),
      [MACHINE_MARKER]: markerValue(this.id, info.name),
      ...jujuEnv,
      JUJU_AGENT_SOCKET_ADDRESS: this.server.socketPath,
      PATH: process.env.PATH ? `${this.binDir}:${process.env.PATH}` : this.binDir,
    };
  }

  /** The tool server's handler: hook tool calls go to their hook's session; juju-exec is the model's own. */
  private async answer(req: ToolRequest): Promise<ToolResult> {
    if (req.tool === "juju-exec") return this.exec(req);
    const session = this.sessions.get(req.contextId);
    if (!session) return { code: 1, stdout: "", stderr: `ERROR no hook context "${req.contextId}"\n` };
    return session.run(req.tool, req.args, req.stdin, req.dir);
  }

  private async exec(req: ToolRequest): Promise<ToolResult> {
    const fail = (code: number, message: string): ToolResult => ({
      code,
      stdout: "",
      stderr: `ERROR ${message}\n`,
    });
    if (req.contextId !== NO_CONTEXT) return fail(2, refusedInHook(req.contextId));
    let parsed: ReturnType<typeof parseExecArgs>;
    try {
      parsed = parseExecArgs(req.args);
    } catch (e) {
      if (e instanceof ExecUsageError) return fail(2, e.message);
      throw e;
    }
    if (this.closed) return fail(1, "the model is closed");
    if (!this.units.has(parsed.unit)) return fail(1, `unit "${parsed.unit}" not found on this machine`);
    if (this.execWaiters >= MAX_EXEC_WAITERS)
      return fail(1, `${MAX_EXEC_WAITERS} juju-exec commands already wait for the machine lock`);
    // A caller that hangs up while it waits does not take its command back: it runs when the lock comes, as
    // Juju's does once the request reached the agent; its output goes nowhere.
    let release: () => void;
    this.execWaiters++;
    try {
      release = await this.lock.acquire(LOCK_WAIT_MS);
    } catch (e) {
      return fail(1, e instanceof Error ? e.message : String(e));
    } finally {
      this.execWaiters--;
    }
    try {
      if (!this.units.has(parsed.unit)) return fail(1, `unit "${parsed.unit}" not found on this machine`);
      const run = await this.runHook(
        parsed.unit,
        { kind: "custom", hook: "juju-exec" },
        "juju-exec",
        parsed.commands,
      );
      return { code: run.code & 0xff, stdout: run.stdout, stderr: run.stderr };
    } finally {
      release();
      // Follow-ups of a committed command run as Juju would run them: without anyone asking.
      if (!this.closed && this.queue.hasRunnable(this.blocked)) void this.settle().catch(() => undefined);
    }
  }

  private appInfo(app: string): AppInfo {
    const info = this.apps.get(app);
    if (!info) throw new Error(`application "${app}" not found`);
    return info;
  }

  private async prepareCharm(app: string, charm: string): Promise<string> {
    const path = resolve(charm);
    const info = await stat(path);
    if (info.isDirectory()) return path;
    const dir = join(this.dir, "charms", app);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await extractCharm(path, dir);
    return dir;
  }

  private checkConfig(
    app: string,
    options: Readonly<Record<string, unknown>>,
    config: Record<string, ConfigValue>,
  ) {
    for (const key of Object.keys(config)) {
      if (!(key in options)) throw new Error(`unknown option "${key}" for application "${app}"`);
    }
  }

  private async createUnits(app: string, n: number): Promise<string[]> {
    const info = this.appInfo(app);
    const created: string[] = [];
    for (let i = 0; i < n; i++) {
      const n = this.nextUnit.get(app) ?? 0;
      const name = this.juju.addUnit(app, n);
      this.nextUnit.set(app, n + 1);
      const address = machineAddress(this.addressBlock, ++this.machines);
      this.juju.state.units[name]!.address = address;
      const machineDir = join(this.dir, "machines", machineName(name));
      await mkdir(machineDir, { recursive: true });
      this.units.set(name, { name, app, address, machineDir, charmDir: info.charmDir });
      for (const [res, path] of Object.entries(info.resources)) await this.placeResource(name, res, path);
      for (const rel of Object.values(this.juju.state.relations)) {
        if (!(app in rel.endpoints)) continue;
        if (!rel.members.includes(name)) rel.members.push(name);
        rel.unitData[name] = defaultUnitBag(address);
      }
      created.push(name);
    }
    return created;
  }

  private async placeResource(unit: string, name: string, source: string): Promise<void> {
    const dir = join(this.unit(unit).machineDir, "resources", name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const target = join(dir, basename(source));
    await copyFile(source, target);
    this.juju.state.units[unit]!.resources[name] = target;
  }

  private forgetUnit(unit: string): void {
    const state = this.juju.state;
    delete state.units[unit];
    for (const rel of Object.values(state.relations)) {
      rel.members = rel.members.filter((m) => m !== unit);
      delete rel.unitData[unit];
      if (rel.broken) rel.broken = rel.broken.filter((m) => m !== unit);
    }
    for (const secret of Object.values(state.secrets)) {
      delete secret.consumers[unit];
      secret.grants = secret.grants.filter((g) => g.to !== unit);
    }
    this.units.delete(unit);
  }

  private everyUnit(app: string, event: KitEvent): PlannedHook[] {
    return unitsOf(this.juju.state, app).map((unit) => ({ unit, event }));
  }

  private sidesOf(id: number): RelationSides {
    const rel = this.juju.state.relations[String(id)]!;
    const sides: Record<string, string[]> = {};
    for (const app of Object.keys(rel.endpoints)) sides[app] = unitsOf(this.juju.state, app);
    return { id, sides };
  }

  private relationsOf(app: string): RelationSides[] {
    return Object.values(this.juju.state.relations)
      .filter((r) => app in r.endpoints && !r.dying)
      .sort((a, b) => a.id - b.id)
      .map((r) => this.sidesOf(r.id));
  }
}

/** The last `max` bytes of `text` (cut at a character boundary). */
function tailBytes(text: string, max: number): string {
  const b = Buffer.from(text, "utf8");
  if (b.length <= max) return text;
  let start = b.length - max;
  while (start < b.length && (b[start]! & 0xc0) === 0x80) start++;
  return b.subarray(start).toString("utf8");
}

function endpointOf(spec: string): { app: string; endpoint: string } {
  const i = spec.indexOf(":");
  if (i <= 0 || i === spec.length - 1) throw new Error(`"${spec}" is not <application>:<endpoint>`);
  return { app: spec.slice(0, i), endpoint: spec.slice(i + 1) };
}
