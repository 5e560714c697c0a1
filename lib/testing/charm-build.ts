import { chmod, copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import { loadCharmMeta } from "./charm-meta.js";

export interface BuildCharmOptions {
  /** The charm's TypeScript entry point (it calls runCharm). */
  readonly entry: string;
  /** Folder with charmcraft.yaml (and optionally metadata/config/actions.yaml). */
  readonly charmDir: string;
  /** Where the built charm goes: dispatch, charm.mjs and the YAML files. */
  readonly outDir: string;
  readonly minify?: boolean;
  /**
   * More programs shipped with the charm, by output name: e.g. `{ workload: "charm/workload/main.ts" }` makes
   * `workload.mjs`, a service the charm starts. They share chunks with the charm where code is common.
   */
  readonly programs?: Readonly<Record<string, string>>;
}

/** Imported dynamically by the runtime (ajv: action params only); each is built as chunks/<name>.mjs. */
const LAZY = ["ajv"];

/** CommonJS code bundled into ESM may call require() for node builtins. */
const REQUIRE_SHIM =
  "import { createRequire as __kcckRequire } from 'node:module'; const require = __kcckRequire(import.meta.url);";

const DISPATCH = `#!/bin/sh
# Juju runs this for every hook and action (JUJU_DISPATCH_PATH says which), from the charm directory.
# The Node runtime packed with the charm (bin/node, where craft-parts' npm plugin puts it) wins over the system one.
PATH="\${JUJU_CHARM_DIR:-.}/bin:$PATH"
export PATH
exec ./charm.mjs
`;

/**
 * Bundles a TypeScript charm into ONE ES module (`charm.mjs`, executable, with a node shebang) and writes a
 * `dispatch` whose last token is that file, as charmcraft's entrypoint linter expects. Code only some hooks
 * need is split into chunks loaded on demand: ajv (action params) always, and whatever the charm imports with
 * a dynamic `import()` (a YAML parser, an HTTP client), so a hook loads only what it uses. The charm's
 * metadata is resolved at build time (import "virtual:charm-meta"), so a hook parses no YAML.
 */
export async function buildCharm(
  opts: BuildCharmOptions,
): Promise<{ dispatch: string; bundle: string; bytes: number }> {
  await mkdir(opts.outDir, { recursive: true });
  const meta = loadCharmMeta(opts.charmDir);
  const bundle = join(opts.outDir, "charm.mjs");
  const entryPoints = { charm: opts.entry, ...(opts.programs ?? {}) };
  const common = {
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: opts.minify ?? false,
    sourcemap: false,
    legalComments: "none",
    logLevel: "silent",
    metafile: true,
  } as const;
  const result = await build({
    ...common,
    entryPoints,
    outdir: opts.outDir,
    splitting: true,
    entryNames: "[name]",
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    banner: { js: `#!/usr/bin/env node\n${REQUIRE_SHIM}` },
    plugins: [
      {
        name: "charm-meta",
        setup(b) {
          b.onResolve({ filter: /^virtual:charm-meta$/ }, () => ({
            path: "charm-meta",
            namespace: "charm-meta",
          }));
          b.onLoad({ filter: /.*/, namespace: "charm-meta" }, () => ({
            contents: JSON.stringify(meta),
            loader: "json",
          }));
        },
      },
      {
        // Dependencies only some hooks need become files of their own, imported on demand.
        name: "lazy-deps",
        setup(b) {
          const filter = new RegExp(`^(${LAZY.join("|")})$`);
          b.onResolve({ filter }, (a) => ({ path: `./chunks/${a.path}.mjs`, external: true }));
        },
      },
    ],
  });
  // An external import keeps its text, so `./chunks/ajv.mjs` is right from the charm's root but not from a
  // chunk that holds runtime code (a charm that loads its actions on demand shares the runtime in one):
  // there it must name its sibling.
  for (const out of Object.keys(result.metafile.outputs)) {
    const file = resolve(out);
    if (dirname(file) !== resolve(opts.outDir, "chunks")) continue;
    const text = await readFile(file, "utf8");
    const fixed = LAZY.reduce((t, dep) => t.replaceAll(`"./chunks/${dep}.mjs"`, `"./${dep}.mjs"`), text);
    if (fixed !== text) await writeFile(file, fixed);
  }
  for (const dep of LAZY) {
    await build({
      ...common,
      stdin: { contents: `import m from "${dep}"; export default m;`, resolveDir: process.cwd() },
      outfile: join(opts.outDir, "chunks", `${dep}.mjs`),
      banner: { js: REQUIRE_SHIM },
    });
  }
  for (const name of Object.keys(entryPoints)) await chmod(join(opts.outDir, `${name}.mjs`), 0o755);
  const dispatch = join(opts.outDir, "dispatch");
  await writeFile(dispatch, DISPATCH, { mode: 0o755 });
  for (const name of ["charmcraft.yaml", "metadata.yaml", "config.yaml", "actions.yaml"]) {
    await copyFile(join(opts.charmDir, name), join(opts.outDir, name)).catch(() => undefined);
  }
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { dispatch, bundle, bytes };
}
