import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { writeZip, type ZipEntry } from "../lib/testing/charm-archive.js";
import { buildIntegrator, CHARM_PROJECT } from "./build.js";

/**
 * `npm run pack`: the integrator as `charmcraft pack` lays it out (charmcraft.yaml's parts), without charmcraft
 * or the network: the bundles, the Node runtime at `bin/node` (where craft-parts' npm plugin with
 * `npm-include-node` puts it; here the node running this, or `--node`), the metadata files copied from the
 * project, and a generated `manifest.yaml`.
 *
 * What charmcraft does, read in its source (canonical/charmcraft, services/package.py, models/manifest.py,
 * utils/file.py):
 * - the zip holds every primed file plus `manifest.yaml`, `metadata.yaml`, and `actions.yaml`/`config.yaml`
 *   when defined, each copied from the project dir when the file exists; `charmcraft.yaml` is not in it;
 * - the file is named `f"{name}_{platform}.charm"` with `:` → `-`;
 * - `manifest.yaml` is the Manifest model dumped with `sort_keys=False` in field order: `charmcraft-version`,
 *   `charmcraft-started-at`, `bases` (from a base-qualified platform key: `{name, channel, architectures}`),
 *   `analysis.attributes` (the linters' attribute results: `language` and `framework`, `unknown` for a charm
 *   that is not Python), and `image-info` only when set (it is not here).
 * charmcraft stamps `started-at` with Python's `isoformat()`; here it is ISO 8601 in UTC (`…Z`). Juju reads
 * only `bases` from the manifest.
 */

/** The only Node major the bundles target (esbuild `node20`) and charmcraft.yaml's `npm-node-version`. */
const NODE_MAJOR = 20;

/** Made executable in the zip; everything else is 0644. */
const EXECUTABLES = new Set(["dispatch", "charm.mjs", "workload.mjs", "bin/node"]);

/** Copied from the project as charmcraft does (it leaves charmcraft.yaml out). */
const METADATA_FILES = ["metadata.yaml", "config.yaml", "actions.yaml"];

/** Entry mtime when SOURCE_DATE_EPOCH is not set: fixed, so the same tree packs to the same bytes. */
const FIXED_MTIME = new Date(Date.UTC(2000, 0, 1));

export interface PackOptions {
  /** Where the .charm goes (default: the repository root). */
  readonly outDir?: string;
  /** The Node runtime to ship as `bin/node` (default: the one running this). Must be Node 20. */
  readonly node?: string;
  /** Seconds since the epoch: entry mtimes and `charmcraft-started-at` (default: $SOURCE_DATE_EPOCH). */
  readonly sourceDateEpoch?: number;
}

export interface Platform {
  readonly key: string;
  readonly base: { readonly name: string; readonly channel: string; readonly architectures: string[] };
}

/** The one base-qualified platform of charmcraft.yaml (`ubuntu@24.04:amd64`): the file name and manifest bases. */
export function platformOf(charmcraft: unknown): Platform {
  const platforms = (charmcraft as { platforms?: Record<string, unknown> } | null)?.platforms ?? {};
  const keys = Object.keys(platforms);
  const m = keys.length === 1 ? /^([a-z]+)@([\d.]+):([a-z0-9]+)$/.exec(keys[0]!) : null;
  if (!m)
    throw new Error(
      `charmcraft.yaml must declare exactly one platform of the form <distro>@<series>:<arch>, found: ${keys.join(", ") || "none"}`,
    );
  return { key: keys[0]!, base: { name: m[1]!, channel: m[2]!, architectures: [m[3]!] } };
}

/** `<name>_<platform>.charm` with `:` → `-`, as charmcraft names it. */
export function charmFileName(name: string, platform: Platform): string {
  return `${name}_${platform.key.replaceAll(":", "-")}.charm`;
}

/** manifest.yaml as charmcraft dumps it (PyYAML block style, keys in model order, strings that look numeric quoted). */
export function manifestYaml(opts: { version: string; startedAt: string; platform: Platform }): string {
  const { base } = opts.platform;
  return [
    `charmcraft-version: ${opts.version}`,
    `charmcraft-started-at: '${opts.startedAt}'`,
    "bases:",
    `- name: ${base.name}`,
    `  channel: '${base.channel}'`,
    "  architectures:",
    ...base.architectures.map((a) => `  - ${a}`),
    "analysis:",
    "  attributes:",
    "  - name: language",
    "    result: unknown",
    "  - name: framework",
    "    result: unknown",
    "",
  ].join("\n");
}

/** The Node runtime's version, asked of the binary itself (bounded: 10 s, 1 KiB). */
async function nodeVersion(node: string): Promise<string> {
  if (resolve(node) === process.execPath) return process.version;
  const { stdout } = await promisify(execFile)(node, ["--version"], { timeout: 10_000, maxBuffer: 1024 });
  return stdout.trim();
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

function epochFrom(opts: PackOptions): number | undefined {
  if (opts.sourceDateEpoch !== undefined) return opts.sourceDateEpoch;
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env === undefined || env === "") return undefined;
  if (!/^\d{1,12}$/.test(env))
    throw new Error(`SOURCE_DATE_EPOCH must be whole seconds, got ${JSON.stringify(env)}`);
  return Number(env);
}

/** Builds and zips the integrator; returns the .charm's path and size. */
export async function packIntegrator(opts: PackOptions = {}): Promise<{ path: string; bytes: number }> {
  const node = resolve(opts.node ?? process.execPath);
  const version = await nodeVersion(node);
  if (!version.startsWith(`v${NODE_MAJOR}.`))
    throw new Error(
      `${node} is Node ${version}: the charm ships Node ${NODE_MAJOR} (its bundles target node20)`,
    );
  if (!(await stat(node)).isFile()) throw new Error(`${node} is not a file`);

  const project = (name: string) => join(CHARM_PROJECT, name);
  const [charmcraft, metadata, pkg] = await Promise.all([
    readFile(project("charmcraft.yaml"), "utf8").then(parseYaml),
    readFile(project("metadata.yaml"), "utf8").then(parseYaml),
    readFile(project("package.json"), "utf8").then(JSON.parse),
  ]);
  const platform = platformOf(charmcraft);
  const name = (metadata as { name?: unknown } | null)?.name;
  if (typeof name !== "string" || !/^[a-z][a-z0-9-]*$/.test(name))
    throw new Error(`metadata.yaml has no valid charm name: ${JSON.stringify(name)}`);

  const epoch = epochFrom(opts);
  const startedAt = new Date(epoch === undefined ? Date.now() : epoch * 1000).toISOString();
  const mtime = epoch === undefined ? FIXED_MTIME : new Date(epoch * 1000);

  const work = await mkdtemp(join(tmpdir(), "kci-pack-"));
  const outDir = resolve(opts.outDir ?? CHARM_PROJECT);
  const path = join(outDir, charmFileName(name, platform));
  const partial = `${path}.partial-${process.pid}`;
  try {
    const built = join(work, "charm");
    await buildIntegrator(built);
    // The build also copies the project's YAML files; those come from the project below, as charmcraft does.
    const bundles = (await filesUnder(built)).filter((f) => !f.endsWith(".yaml"));
    const entries: ZipEntry[] = [
      ...bundles.map((f) => ({ name: f, data: { file: join(built, f) } })),
      { name: "bin/node", data: { file: node } },
      ...METADATA_FILES.map((f) => ({ name: f, data: { file: project(f) } })),
      {
        name: "manifest.yaml",
        data: manifestYaml({ version: `kafka-connect-charm-kit-${pkg.version}`, startedAt, platform }),
      },
    ].map((e) => ({ ...e, executable: EXECUTABLES.has(e.name) }));
    const bytes = await writeZip(entries, partial, { mtime });
    // Renamed into place when complete: a reader never sees half a charm under the final name.
    await rename(partial, path);
    return { path, bytes };
  } finally {
    await rm(partial, { force: true });
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: "string" }, node: { type: "string" } } });
  const began = performance.now();
  const packed = await packIntegrator({
    ...(values.out ? { outDir: values.out } : {}),
    ...(values.node ? { node: values.node } : {}),
  });
  const secs = ((performance.now() - began) / 1000).toFixed(1);
  console.log(`packed ${packed.path} (${(packed.bytes / 1024 / 1024).toFixed(1)} MiB, ${secs} s)`);
}
