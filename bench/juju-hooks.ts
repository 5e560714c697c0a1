import { spawnSync } from "node:child_process";
import {
  BlackBoxContext,
  Context,
  measureToolCallCost,
  on,
  type State,
  secretId,
} from "../lib/testing/index.js";
import { charm } from "../tests/example-charm/src/charm.js";
import { buildExample, exampleMeta } from "../tests/support/example.js";
import { ms, summary } from "./stats.js";

export interface Result {
  readonly name: string;
  readonly value: string;
  readonly target?: string;
  readonly ok?: boolean;
}

const RUNS = 30;
const WARMUP = 3;

/** The relation-changed scenario the issue names: db data and a granted secret, as leader. */
function relationChangedState(): State {
  const id = secretId();
  return {
    leader: true,
    relations: [
      {
        id: 1,
        endpoint: "db",
        remoteApp: "pg",
        remoteAppData: { endpoint: "pg:5432", "secret-user": `secret:${id}` },
      },
      { id: 2, endpoint: "client", remoteApp: "web" },
    ],
    secrets: [
      { id, from: { app: "pg", relationId: 1 }, revisions: { 1: { username: "u", password: "p4ss" } } },
    ],
  };
}

function nodeStartup(): number[] {
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ["-e", ""], { env: { PATH: process.env.PATH ?? "" } });
    samples.push(performance.now() - t0);
  }
  return samples;
}

export async function benchJujuHooks(): Promise<Result[]> {
  const results: Result[] = [];

  const tool = await measureToolCallCost(200);
  const toolStats = summary(tool.samples);
  results.push({
    name: `fake hook tool, per call (${tool.kind} jujuc, ${toolStats.n} calls)`,
    value: `median ${ms(toolStats.median)}, p95 ${ms(toolStats.p95)}`,
    target: "median ≤ 5 ms",
    ok: toolStats.median <= 5,
  });

  const node = summary(nodeStartup());
  results.push({
    name: "baseline: `node -e ''` process",
    value: `median ${ms(node.median)}, p95 ${ms(node.p95)}`,
  });

  const built = await buildExample();
  results.push({ name: "bundled charm", value: `one file, ${(built.bytes / 1024).toFixed(0)} KiB` });
  const blackBox = new BlackBoxContext(built.dispatch, exampleMeta);
  try {
    const state = relationChangedState();
    const samples: number[] = [];
    let calls = 0;
    for (let i = 0; i < WARMUP + RUNS; i++) {
      await blackBox.run(on.relationChanged(1), state);
      if (i >= WARMUP) {
        samples.push(blackBox.last!.hookMs);
        calls = blackBox.last!.toolCalls.length;
      }
    }
    const hook = summary(samples);
    results.push({
      name: `relation-changed hook, black-box (dispatch as a process, ${hook.n} runs)`,
      value: `median ${ms(hook.median)}, p95 ${ms(hook.p95)}`,
      target: "median < 100 ms",
      ok: hook.median < 100,
    });
    results.push({ name: "hook-tool calls per relation-changed hook", value: String(calls) });
    results.push({
      name: "of which fake tools (calls × median tool cost)",
      value: `${ms(calls * toolStats.median)} (${((calls * toolStats.median * 100) / hook.median).toFixed(0)}% of the hook)`,
    });
    results.push({
      name: "of which node start-up (baseline)",
      value: `${ms(node.median)} (${((node.median * 100) / hook.median).toFixed(0)}% of the hook)`,
    });

    const inProcess = new Context(charm, exampleMeta);
    const fast: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      await inProcess.run(on.relationChanged(1), state);
      if (i >= WARMUP) fast.push(inProcess.last!.hookMs);
    }
    const f = summary(fast);
    results.push({
      name: `same hook, in-process kit (${f.n} runs)`,
      value: `median ${ms(f.median)}, p95 ${ms(f.p95)}`,
    });
  } finally {
    await blackBox.close();
    built.cleanup();
  }
  return results;
}
