import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import yauzl from "yauzl";
import { CHARM_PROJECT } from "../../../charm/build.js";
import { packIntegrator } from "../../../charm/pack.js";
import { alive } from "../../../charm/src/service.js";
import { extractCharm } from "../../../lib/testing/charm-archive.js";
import { BlackBoxContext, loadCharmMeta, on } from "../../../lib/testing/index.js";
import { eventually } from "../../support/eventually.js";
import { freePort, unitAddress } from "../e2e/support.js";

/**
 * `npm run pack` as the model emulator and Juju see it: the zip's listing is what charmcraft.yaml primes plus
 * what charmcraft generates, with the modes and manifest charmcraft writes; unpacked, its dispatch runs a
 * hook with the Node inside it.
 */

const EPOCH = 1_700_000_000;
const out = join(CHARM_PROJECT, ".build", `pack-test-${process.pid}`);
const work = mkdtempSync(join(tmpdir(), "kci-pack-test-"));
let packed: { path: string; bytes: number };
let listing: Map<string, number>;
/** The archive unpacked once (99 MB of node inflates in seconds): read by one test, run by another. */
const charmDir = join(work, "unit");

/** Entry name → unix mode, from the central directory. */
function listZip(path: string): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const names = new Map<string, number>();
      zip.on("entry", (e: yauzl.Entry) => {
        names.set(e.fileName, (e.externalFileAttributes >>> 16) & 0o177777);
        zip.readEntry();
      });
      zip.on("end", () => resolve(names));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  packed = await packIntegrator({ outDir: out, sourceDateEpoch: EPOCH });
  listing = await listZip(packed.path);
  await extractCharm(packed.path, charmDir);
}, 120_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe("npm run pack", () => {
  it("names the file <name>_<platform>.charm with : → -, as charmcraft does", () => {
    expect(basename(packed.path)).toBe("kafka-connect-integrator_ubuntu@24.04-amd64.charm");
    expect(packed.bytes).toBe(readFileSync(packed.path).length);
  });

  it("holds what charmcraft.yaml primes plus the files charmcraft generates, and never charmcraft.yaml", () => {
    const project = parseYaml(readFileSync(join(CHARM_PROJECT, "charmcraft.yaml"), "utf8")) as {
      parts: Record<string, { prime?: string[] }>;
    };
    const primed = Object.values(project.parts).flatMap((p) => p.prime ?? []);
    const generated = ["metadata.yaml", "config.yaml", "actions.yaml", "manifest.yaml"];
    const names = [...listing.keys()];
    // Every entry is primed (a file, or under a primed folder) or generated; every primed path is there.
    const covered = (n: string) =>
      primed.some((p) => n === p || n.startsWith(`${p}/`)) || generated.includes(n);
    expect(names.filter((n) => !covered(n))).toEqual([]);
    for (const p of [...primed, ...generated])
      expect(names.some((n) => n === p || n.startsWith(`${p}/`))).toBe(true);
    expect(names).not.toContain("charmcraft.yaml");
    expect(names).toEqual([...names].sort());
    expect(names.filter((n) => n.startsWith("chunks/")).length).toBeGreaterThan(0);
  });

  it("keeps unix modes: dispatch, the bundles and bin/node executable, the rest 0644", () => {
    const executable = ["dispatch", "charm.mjs", "workload.mjs", "bin/node"];
    for (const [name, mode] of listing) {
      expect([name, mode]).toEqual([name, executable.includes(name) ? 0o100755 : 0o100644]);
    }
  });

  it("writes manifest.yaml with charmcraft's fields and copies the metadata files from the project", async () => {
    const dir = charmDir;
    const manifest = parseYaml(readFileSync(join(dir, "manifest.yaml"), "utf8"));
    expect(Object.keys(manifest)).toEqual([
      "charmcraft-version",
      "charmcraft-started-at",
      "bases",
      "analysis",
    ]);
    expect(manifest).toMatchObject({
      "charmcraft-started-at": new Date(EPOCH * 1000).toISOString(),
      bases: [{ name: "ubuntu", channel: "24.04", architectures: ["amd64"] }],
      analysis: {
        attributes: [
          { name: "language", result: "unknown" },
          { name: "framework", result: "unknown" },
        ],
      },
    });
    expect(typeof manifest["charmcraft-version"]).toBe("string");
    for (const f of ["metadata.yaml", "config.yaml", "actions.yaml"]) {
      expect(readFileSync(join(dir, f), "utf8")).toBe(readFileSync(join(CHARM_PROJECT, f), "utf8"));
    }
    expect(readFileSync(join(dir, "bin/node")).equals(readFileSync(process.execPath))).toBe(true);
  });

  it("refuses a Node runtime that is not 20", async () => {
    const fake = join(work, "node18");
    writeFileSync(fake, "#!/bin/sh\necho v18.20.0\n", { mode: 0o755 });
    await expect(packIntegrator({ outDir: out, node: fake })).rejects.toThrow(
      /is Node v18\.20\.0: the charm ships Node 20/,
    );
  });
});

describe("the packed charm, unpacked, runs with its own Node", () => {
  it("dispatch runs install with no node on PATH, and the workload it starts is bin/node listening on the unit's address", async () => {
    const stateDir = join(work, "state");
    const address = unitAddress(3);
    const port = await freePort(address);
    const ctx = new BlackBoxContext(join(charmDir, "dispatch"), loadCharmMeta(CHARM_PROJECT), {
      env: { KCI_STATE_DIR: stateDir, KCI_SUPERVISOR: "process" },
    });
    // The hook's PATH is the fake tools' folder and then this process's PATH: here, a folder with no node.
    const saved = process.env.PATH;
    const noNode = join(work, "empty-bin");
    mkdirSync(noNode);
    process.env.PATH = noNode;
    let pid: number | undefined;
    try {
      const state = await ctx.run(on.install(), {
        leader: true,
        address,
        config: { "plugin-port": port, "plugin-mode": "not-required" },
      });
      expect(ctx.last!.toolCalls.length).toBeGreaterThan(0);
      expect(state.unitStatus?.status).toBe("blocked");
      pid = Number(readFileSync(join(stateDir, "workload.pid"), "utf8"));
      expect(alive(pid)).toBe(true);
      expect(readlinkSync(`/proc/${pid}/exe`)).toBe(join(charmDir, "bin", "node"));
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      expect(argv.slice(-3, -1)).toEqual(["--host", address]);
      const res = await eventually(
        () =>
          fetch(`http://${address}:${port}/metrics`).then(
            (r) => r.status,
            () => 0,
          ),
        (s) => s === 200,
        20_000,
      );
      expect(res).toBe(200);
    } finally {
      process.env.PATH = saved;
      if (pid !== undefined && alive(pid)) process.kill(pid, "SIGKILL");
      await ctx.close();
    }
  });
});
