import { readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { expect } from "vitest";
import type { HookToolError } from "../../lib/juju/errors.js";
import type { CharmMeta } from "../../lib/juju/meta.js";
import { ProcessToolRunner, type ToolResult, type ToolRunner } from "../../lib/juju/tools/runner.js";
import {
  type FakeTools,
  installFakeTools,
  startToolServer,
  type ToolServer,
} from "../../lib/testing/fake-tools/index.js";
import { type BeganHook, JujuEmulator } from "../../lib/testing/juju/emulator.js";
import { type KitEvent, on } from "../../lib/testing/juju/events.js";
import type { HookSession } from "../../lib/testing/juju/session.js";

/** The charm under test: config with and without defaults, a requires endpoint, a peer endpoint, an action. */
export const APP_META: CharmMeta = {
  name: "app",
  requires: { db: { interface: "pg" } },
  peers: { cluster: { interface: "app-cluster" } },
  config: {
    options: {
      "log-level": { type: "string", default: "info" },
      port: { type: "int", default: 8080 },
      debug: { type: "boolean" },
      ratio: { type: "float" },
    },
  },
  actions: {
    backup: {
      params: { target: { type: "string", default: "/backups" }, compress: { type: "boolean" } },
      additionalProperties: false,
    },
  },
};

/** The remote application on the other side of `db`. */
export const PG_META: CharmMeta = { name: "pg", provides: { db: { interface: "pg" } } };

/** Relation ids as `app` sees them (pg sees `db:0` too: both ends use the endpoint name `db`). */
export const DB = "db:0";
export const CLUSTER = "cluster:1";
export const BLOB_PATH = "/var/lib/juju/agents/unit-app-0/resources/blob/blob.tar.gz";

/**
 * A fresh model: app/0 (leader) and app/1, pg/0 (leader) and pg/1, `db` related (id 0), the `cluster` peer
 * relation (id 1), and a resource attached to app/0.
 */
export function newModel(): JujuEmulator {
  const model = new JujuEmulator();
  model.deploy("app", APP_META, { units: 2, config: { debug: true } });
  model.deploy("pg", PG_META, { units: 2 });
  model.relate({ app: "app", endpoint: "db" }, { app: "pg", endpoint: "db" });
  model.relate({ app: "app", endpoint: "cluster" });
  model.state.units["app/0"]!.resources.blob = BLOB_PATH;
  return model;
}

/** What the runtime handed to one tool process, and the modes of any `key#file=` files while it ran. */
export interface RecordedRun {
  readonly tool: string;
  readonly args: readonly string[];
  readonly stdin?: string;
  readonly files: readonly { path: string; mode: number; dirMode: number; content: string }[];
}

/** Wraps the process runner to record stdin and value files, which the emulator's toolCalls do not show. */
class SpyRunner implements ToolRunner {
  readonly runs: RecordedRun[] = [];
  constructor(private readonly inner: ToolRunner) {}

  run(tool: string, args: readonly string[], stdin?: string): Promise<ToolResult> {
    const files = args.flatMap((arg) => {
      const m = /#file=(.*)$/s.exec(arg);
      if (!m) return [];
      const path = m[1]!;
      return [
        {
          path,
          mode: statSync(path).mode & 0o777,
          dirMode: statSync(dirname(path)).mode & 0o777,
          content: readFileSync(path, "utf8"),
        },
      ];
    });
    this.runs.push({ tool, args: [...args], ...(stdin !== undefined ? { stdin } : {}), files });
    return this.inner.run(tool, args, stdin);
  }
}

/** One running hook whose tools are real processes talking to the emulator. */
export interface Hook {
  readonly unit: string;
  readonly event: KitEvent;
  readonly began: BeganHook;
  readonly session: HookSession;
  /** The runner to hand to the wrappers: a ProcessToolRunner behind a recording spy. */
  readonly runner: ToolRunner;
  /** Every tool process started, with stdin and value files. */
  readonly runs: readonly RecordedRun[];
  /** The tool calls the emulator received (tool + argv), in order. */
  calls(): { tool: string; args: string[] }[];
  /** Ends the hook (exit 0 commits, anything else discards) and returns what Juju would run next. */
  finish(exitCode?: number): ReturnType<JujuEmulator["finish"]>;
}

/** One tool server and one fake-tools install for a whole test file; hooks of any model run through them. */
export class ToolBed {
  private seq = 0;

  private constructor(
    private readonly sessions: Map<string, HookSession>,
    readonly tools: FakeTools,
    readonly server: ToolServer,
  ) {}

  static async start(): Promise<ToolBed> {
    const sessions = new Map<string, HookSession>();
    const tools = await installFakeTools();
    const server = await startToolServer((req) => {
      const session = sessions.get(req.contextId);
      if (!session) throw new Error(`no hook is running with context id "${req.contextId}"`);
      return session.run(req.tool, req.args, req.stdin, req.dir);
    });
    return new ToolBed(sessions, tools, server);
  }

  /** Environment for a tool process of the given context (PATH with the fake tools first). */
  env(contextId: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, ...extra, ...this.tools.env(this.server.socketPath, contextId) };
  }

  async hook(model: JujuEmulator, unit: string, event: KitEvent = on.updateStatus()): Promise<Hook> {
    const began = await model.begin(unit, event);
    // Every model numbers its contexts from 1, so make the id unique across the models of this file.
    const contextId = `${began.env.JUJU_CONTEXT_ID}#${++this.seq}`;
    this.sessions.set(contextId, began.session);
    const spy = new SpyRunner(new ProcessToolRunner(this.env(contextId, began.env)));
    return {
      unit,
      event,
      began,
      session: began.session,
      runner: spy,
      runs: spy.runs,
      calls: () => began.session.effects.toolCalls.map((c) => ({ tool: c.tool, args: [...c.args] })),
      finish: (exitCode = 0) => model.finish(began, event, exitCode),
    };
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.tools.cleanup();
  }
}

/** The rejection of `promise`; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

type ErrorClass = abstract new (tool: string, message: string, exitCode: number) => HookToolError;

/** Awaits a failing wrapper call and checks it threw exactly `cls` (not a sub- or superclass) with these fields. */
export async function expectToolError(
  promise: Promise<unknown>,
  cls: ErrorClass,
  fields: { tool: string; message: string; exitCode: number },
): Promise<HookToolError> {
  const err = await rejection(promise);
  expect(err).toBeInstanceOf(cls);
  expect((err as object).constructor).toBe(cls);
  const e = err as HookToolError;
  expect({ tool: e.tool, message: e.message, exitCode: e.exitCode, name: e.name }).toEqual({
    ...fields,
    name: cls.name,
  });
  return e;
}

/** Checks that no argv element of any call contains any of the values. */
export function expectNotInArgv(calls: readonly { args: readonly string[] }[], values: readonly string[]) {
  for (const call of calls) {
    for (const arg of call.args) {
      for (const value of values)
        expect(arg.includes(value), `argv element ${JSON.stringify(arg)}`).toBe(false);
    }
  }
}
