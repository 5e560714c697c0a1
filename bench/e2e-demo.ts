import { spawnSync } from "node:child_process";
import { INTEGRATOR, runDemo } from "../scripts/demo/scenario.js";
import type { Result } from "./juju-hooks.js";
import { ms, summary } from "./stats.js";

/**
 * The demo scenario of `npm start`, end to end: the PACKED integrator (its own bin/node) in the model
 * emulator next to the reference provider, each hook a process with the fake hook tools. Reports the hook
 * latency per hook kind (median, p95, as the model timed them: spawn of dispatch → exit), the hook-tool calls
 * per hook, and the time from `juju integrate` to every connector and task RUNNING. `node -e 0` is spawned
 * in the same run as the baseline, since this machine is shared and noisy.
 */
export async function benchE2eDemo(): Promise<Result[]> {
  const baseline = nodeBaseline(15);
  const result = await runDemo({});
  const byKind = new Map<string, { ms: number[]; tools: number[] }>();
  for (const h of result.hooks) {
    if (!h.unit.startsWith(`${INTEGRATOR}/`) || !h.ok) continue;
    const kind = h.via === "action" ? `action ${h.hook}` : h.hook;
    const entry = byKind.get(kind) ?? { ms: [], tools: [] };
    entry.ms.push(h.ms);
    entry.tools.push(h.toolCalls);
    byKind.set(kind, entry);
  }
  const out: Result[] = [
    {
      name: "baseline: node -e 0 (spawn → exit), median / p95",
      value: `${ms(baseline.median)} / ${ms(baseline.p95)}`,
    },
  ];
  for (const [kind, e] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
    const t = summary(e.ms);
    const tools = summary(e.tools);
    out.push({
      name: `packed charm ${kind}: median / p95 (n=${t.n}); tool calls median / max`,
      value: `${ms(t.median)} / ${ms(t.p95)}; ${tools.median.toFixed(0)} / ${Math.max(...e.tools)}`,
    });
  }
  const toRunning = result.integrateToRunningMs / 1000;
  out.push(
    {
      name: "demo: juju integrate → every connector and task RUNNING",
      value: `${toRunning.toFixed(1)} s`,
      target: "≤ 30 s",
      ok: toRunning <= 30,
    },
    {
      name: "demo: task failure → Juju status shows it (workload-changed via juju-exec)",
      value: `${(result.failureToStatusMs / 1000).toFixed(1)} s`,
      target: "≤ 10 s",
      ok: result.failureToStatusMs <= 10_000,
    },
    {
      name: "demo: hooks run in all / REST requests / whole scenario",
      value: `${result.hooks.length} / ${result.restRequests} / ${(result.totalMs / 1000).toFixed(1)} s`,
    },
  );
  return out;
}

function nodeBaseline(runs: number) {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    samples.push(performance.now() - t0);
  }
  return summary(samples);
}
