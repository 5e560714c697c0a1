import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCli } from "../lib/connect-client/cli.js";
import { buildCharm } from "../lib/testing/charm-build.js";
import type { Result } from "./juju-hooks.js";
import { ms, summary } from "./stats.js";

const RUNS = 20;
const ROOT = resolve(import.meta.dirname, "..");
/** Printed by every measured process on exit: its peak resident set, in KiB. */
const PRINT_RSS = "process.on('exit', () => process.stdout.write(String(process.resourceUsage().maxRSS)));";

/** What a charm's bundle holds, one probe per line: the entry code that imports it. */
const PROBES: readonly { name: string; code: string }[] = [
  {
    name: "juju runtime alone (runCharm)",
    code: `import { runCharm } from ${JSON.stringify(join(ROOT, "lib/juju/index.ts"))};\nglobalThis.keep = runCharm;`,
  },
  {
    name: "ConnectClientRequirer alone",
    code:
      `import { ConnectClientRequirer } from ${JSON.stringify(join(ROOT, "lib/connect-client/index.ts"))};\n` +
      "globalThis.keep = ConnectClientRequirer;",
  },
  {
    name: "ConnectClientRequirer + one provider databag decoded",
    code:
      "import { ConnectClientRequirer, decodeProviderBag } from " +
      `${JSON.stringify(join(ROOT, "lib/connect-client/index.ts"))};\n` +
      "globalThis.keep = [ConnectClientRequirer, decodeProviderBag({ endpoints: 'http://10.0.0.1:8083', " +
      "'secret-user': 'secret:cjqub6vubg2s77p3nio0' })];",
  },
];

interface Sample {
  wall: number;
  rssKiB: number;
}

function runOnce(args: readonly string[]): Sample {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env: { PATH: process.env.PATH ?? "" }, encoding: "utf8" });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  return { wall, rssKiB: Number(r.stdout) };
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

/**
 * The import cost of the connect_client library in a hook: each probe is bundled as a charm is (buildCharm,
 * esbuild), then run as a process, interleaved with `node -e` (the baseline, measured in the same run), and
 * reported as wall time and peak RSS over that baseline. Also `connect-client validate` on 40 000 keys.
 */
export async function benchConnectClientImport(): Promise<Result[]> {
  const results: Result[] = [];
  const dir = mkdtempSync(join(tmpdir(), "connect-client-import-"));
  try {
    writeFileSync(join(dir, "charmcraft.yaml"), "name: import-probe\n");
    const bundles: { name: string; path: string }[] = [];
    for (const [i, probe] of PROBES.entries()) {
      const entry = join(dir, `probe-${i}.ts`);
      writeFileSync(entry, `${probe.code}\n${PRINT_RSS}\n`);
      const built = await buildCharm({ entry, charmDir: dir, outDir: join(dir, `out-${i}`) });
      bundles.push({ name: probe.name, path: built.bundle });
    }
    const baseline: Sample[] = [];
    const samples: Sample[][] = bundles.map(() => []);
    for (let run = 0; run < RUNS + 2; run++) {
      const warm = run >= 2;
      const b = runOnce(["-e", PRINT_RSS]);
      if (warm) baseline.push(b);
      for (const [i, bundle] of bundles.entries()) {
        const s = runOnce([bundle.path]);
        if (warm) samples[i]!.push(s);
      }
    }
    const base = summary(baseline.map((s) => s.wall));
    const baseRss = summary(baseline.map((s) => s.rssKiB));
    results.push({
      name: `baseline: \`node -e\` (${base.n} runs, interleaved)`,
      value: `median ${ms(base.median)}, RSS ${mib(baseRss.median)}`,
    });
    for (const [i, bundle] of bundles.entries()) {
      const wall = summary(samples[i]!.map((s) => s.wall));
      const rss = summary(samples[i]!.map((s) => s.rssKiB));
      const kib = statSync(bundle.path).size / 1024;
      results.push({
        name: `${bundle.name}: bundle ${kib.toFixed(0)} KiB`,
        value: `+${ms(wall.median - base.median)} wall, +${mib(rss.median - baseRss.median)} RSS over node`,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const keys = 40_000;
  const bag: Record<string, string> = {
    "plugin-url": "http://10.1.1.200:8080/api/v1/plugin",
    "requested-secrets": '["username", "password"]',
  };
  for (let i = 0; i < keys; i++) bag[`extra-${i}`] = "v";
  const text = JSON.stringify(bag);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const code = await runCli(["validate", "bag.json"], {
      stdout: () => {},
      stderr: (t) => {
        throw new Error(t);
      },
      readStdin: async () => "",
      readFile: async () => Buffer.from(text),
    });
    times.push(performance.now() - t0);
    if (code !== 0) throw new Error(`validate exited ${code}`);
  }
  const v = summary(times);
  results.push({
    name: `connect-client validate, one databag of ${keys} keys (${(text.length / 1024).toFixed(0)} KiB, in-process)`,
    value: `median ${ms(v.median)}`,
    target: "< 1 s",
    ok: v.median < 1000,
  });
  return results;
}
