import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildCharm } from "../lib/testing/charm-build.js";

/** The repository root is the charm project: metadata.yaml, config.yaml, actions.yaml, charmcraft.yaml. */
export const CHARM_PROJECT = resolve(import.meta.dirname, "..");

/**
 * Builds the integrator as Juju runs it: `dispatch`, `charm.mjs` (the hooks; chunks for what only some hooks
 * load), `workload.mjs` (the service the charm starts on every unit) and the metadata files.
 */
export async function buildIntegrator(outDir: string, opts: { minify?: boolean } = {}) {
  await rm(outDir, { recursive: true, force: true });
  return buildCharm({
    entry: join(CHARM_PROJECT, "charm", "src", "main.ts"),
    charmDir: CHARM_PROJECT,
    outDir,
    programs: { workload: join(CHARM_PROJECT, "charm", "workload", "main.ts") },
    ...(opts.minify === undefined ? {} : { minify: opts.minify }),
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: "string", default: ".build/charm" } } });
  const out = resolve(values.out!);
  const built = await buildIntegrator(out);
  console.log(
    `built ${out}: dispatch, charm.mjs, workload.mjs (${(built.bytes / 1024).toFixed(0)} KiB in all)`,
  );
}
