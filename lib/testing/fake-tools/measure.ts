import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { installFakeTools } from "./install.js";
import { startToolServer } from "./server.js";

export interface ToolCallCost {
  kind: "native" | "node";
  medianMs: number;
  p95Ms: number;
  /** Wall time of each call in milliseconds, in call order. */
  samples: number[];
}

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted: readonly number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

function runOnce(tool: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, [], { env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.resume();
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${tool} exited with ${code}`))));
  });
}

/**
 * Wall time of a fake hook tool call as a charm sees it (spawn, connect, trivial handler, exit), measured
 * over n sequential calls after one warm-up call. Uses the native client unless `forceFallback` is set.
 */
export async function measureToolCallCost(
  n: number,
  opts: { forceFallback?: boolean } = {},
): Promise<ToolCallCost> {
  const tools = await installFakeTools({ tools: ["is-leader"], forceFallback: opts.forceFallback ?? false });
  const server = await startToolServer(() => ({ code: 0, stdout: "True\n", stderr: "" }));
  try {
    const env = { ...process.env, ...tools.env(server.socketPath, "measure-0") };
    await runOnce("is-leader", env); // warm-up: page cache, first-connection costs
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      await runOnce("is-leader", env);
      samples.push(performance.now() - start);
    }
    const sorted = [...samples].sort((a, b) => a - b);
    return { kind: tools.kind, medianMs: percentile(sorted, 50), p95Ms: percentile(sorted, 95), samples };
  } finally {
    await server.close();
    await tools.cleanup();
  }
}
