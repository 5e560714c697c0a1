import { spawn } from "node:child_process";
import { dirname } from "node:path";
import { Hook } from "../juju/hook.js";
import { type Charm, runHook } from "../juju/main.js";
import type { CharmMeta } from "../juju/meta.js";
import type { ToolResult, ToolRunner } from "../juju/tools/runner.js";
import { type FakeTools, installFakeTools } from "./fake-tools/install.js";
import { startToolServer, type ToolServer } from "./fake-tools/server.js";
import type { BeganHook, JujuEmulator } from "./juju/emulator.js";
import type { KitEvent } from "./juju/events.js";
import type { FollowUpEvent, HookEffects, HookSession } from "./juju/session.js";
import { buildModel, checkConsistency, projectState, type UnitUnderTest } from "./scenario.js";
import type { State } from "./state.js";

/** What one run left behind besides the output State (what Scenario keeps on its Context). */
export interface RunRecord extends HookEffects {
  readonly exitCode: number;
  /** Whether the hook's changes were committed to the model. */
  readonly committed: boolean;
  /** Wall time of the hook itself (the process, or the charm function in-process), in milliseconds. */
  readonly hookMs: number;
  readonly followUps: readonly FollowUpEvent[];
  /** The hook's stderr (black-box) or the uncaught error's text (in-process). */
  readonly stderr: string;
}

/** The charm failed (uncaught error, non-zero exit, or a change Juju refused at commit): nothing was committed. */
export class UncaughtCharmError extends Error {
  override name = "UncaughtCharmError";
  constructor(
    message: string,
    readonly record: RunRecord,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ContextOptions {
  /** Application name of the unit under test (default: the charm's name). */
  readonly app?: string;
  readonly unitId?: number;
}

/** Runs one event against a State and returns the output State. Both test modes implement it. */
export interface ScenarioRunner {
  run(event: KitEvent, state: State): Promise<State>;
  /** The record of the last run. */
  readonly last: RunRecord | undefined;
  close?(): Promise<void>;
}

abstract class BaseContext implements ScenarioRunner {
  last: RunRecord | undefined;
  protected readonly unit: UnitUnderTest;

  constructor(
    protected readonly meta: CharmMeta,
    opts: ContextOptions,
  ) {
    this.unit = { app: opts.app ?? meta.name, unitId: opts.unitId ?? 0 };
  }

  /** Runs the hook; resolves with the exit code and what the charm printed to stderr. */
  protected abstract execute(
    began: BeganHook,
  ): Promise<{ exitCode: number; stderr: string; cause?: unknown }>;

  async run(event: KitEvent, state: State): Promise<State> {
    checkConsistency(this.meta, state, event);
    const { model, unitName } = buildModel(this.meta, state, this.unit);
    const record = await this.runOn(model, unitName, event);
    if (!record.committed) {
      throw new UncaughtCharmError(`${event.kind} failed; ${record.stderr.trim()}`, record, {
        cause: record.cause,
      });
    }
    return projectState(model, state, unitName);
  }

  /**
   * Runs one event for one unit of a long-lived model (several applications, many hooks in a row), commits
   * or discards its changes, and returns the record. `run` is this plus a State in and a State out.
   */
  async runOn(model: JujuEmulator, unit: string, event: KitEvent): Promise<RunRecord & { cause?: unknown }> {
    const began = await model.begin(unit, event, this.charmDir());
    const t0 = performance.now();
    const { exitCode, stderr, cause } = await this.execute(began);
    const hookMs = performance.now() - t0;
    const result = model.finish(began, event, exitCode);
    const why = result.error
      ? `Juju refused the hook's changes at commit: ${result.error}`
      : exitCode !== 0
        ? `the hook exited ${exitCode}: ${stderr.trim()}`
        : "";
    const record = {
      ...began.session.effects,
      exitCode,
      committed: result.committed,
      hookMs,
      followUps: result.followUps,
      stderr: why || stderr,
      ...(cause !== undefined ? { cause } : {}),
    };
    this.last = record;
    return record;
  }

  protected charmDir(): string {
    return "/var/lib/juju/agents/unit/charm";
  }
}

/** Hands tool calls straight to the hook's session: same argv, same output, no process. */
export class SessionToolRunner implements ToolRunner {
  constructor(private readonly session: HookSession) {}
  async run(tool: string, args: readonly string[], stdin?: string): Promise<ToolResult> {
    return this.session.run(tool, args, stdin);
  }
}

/**
 * The in-process kit (Scenario-style): the charm function runs in this process with a Hook built from the
 * exact environment Juju would give it and a runner that answers from the emulated model.
 */
export class Context<M extends CharmMeta> extends BaseContext {
  constructor(
    private readonly charm: Charm<M>,
    meta: M,
    opts: ContextOptions = {},
  ) {
    super(meta, opts);
  }

  protected async execute(began: BeganHook) {
    const runner = new SessionToolRunner(began.session);
    const hook = new Hook({ meta: this.meta as M, env: began.env, runner });
    const outcome = await runHook(this.charm, hook);
    if (outcome.failure === undefined) return { exitCode: 0, stderr: "" };
    return { exitCode: 1, stderr: `ERROR ${outcome.failure}\n`, cause: outcome.error };
  }
}

export interface BlackBoxOptions extends ContextOptions {
  /** Milliseconds before a hook process is killed (default 30 s). */
  readonly timeoutMs?: number;
  /**
   * Variables the machine gives the charm process besides Juju's (a state folder, a supervisor mode, a
   * profiler). Juju's hook variables and the fake tools' PATH win over them.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The black-box kit: runs a built charm's `dispatch` as a process, exactly as Juju does (no arguments, cwd
 * the charm dir, an environment built from scratch), with fake hook tools on PATH that talk to the emulated
 * model over a socket. Relation and secret writes commit only if the process exits 0.
 */
export class BlackBoxContext extends BaseContext {
  private tools?: FakeTools;
  private server?: ToolServer;
  private readonly sessions = new Map<string, HookSession>();

  constructor(
    private readonly dispatchPath: string,
    meta: CharmMeta,
    private readonly opts: BlackBoxOptions = {},
  ) {
    super(meta, opts);
  }

  protected override charmDir(): string {
    return dirname(this.dispatchPath);
  }

  private async ensureStarted(): Promise<{ tools: FakeTools; server: ToolServer }> {
    this.tools ??= await installFakeTools();
    this.server ??= await startToolServer((req) => {
      const session = this.sessions.get(req.contextId);
      if (!session) return { code: 1, stdout: "", stderr: `ERROR no hook context "${req.contextId}"\n` };
      return session.run(req.tool, req.args, req.stdin, req.dir);
    });
    return { tools: this.tools, server: this.server };
  }

  protected async execute(began: BeganHook) {
    const { tools, server } = await this.ensureStarted();
    const contextId = began.env.JUJU_CONTEXT_ID!;
    this.sessions.set(contextId, began.session);
    try {
      const env = { ...this.opts.env, ...began.env, ...tools.env(server.socketPath, contextId) };
      return await runProcess(this.dispatchPath, env, this.charmDir(), this.opts.timeoutMs ?? 30_000);
    } finally {
      this.sessions.delete(contextId);
    }
  }

  async close(): Promise<void> {
    await this.server?.close();
    await this.tools?.cleanup();
    this.server = undefined;
    this.tools = undefined;
  }
}

function runProcess(
  file: string,
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number,
): Promise<{ exitCode: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], { env, cwd, stdio: ["ignore", "ignore", "pipe"] });
    const err: Buffer[] = [];
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString("utf8") + (signal ? `killed by ${signal}\n` : "");
      resolve({ exitCode: code ?? 128, stderr });
    });
  });
}
