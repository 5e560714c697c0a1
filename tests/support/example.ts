import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCharm } from "../../lib/testing/charm-build.js";
import { loadCharmMeta } from "../../lib/testing/charm-meta.js";

export const EXAMPLE_DIR = join(import.meta.dirname, "..", "example-charm");
export const exampleMeta = loadCharmMeta(EXAMPLE_DIR);

/** Builds the example charm into a fresh folder; returns its dispatch path and a cleanup. */
export async function buildExample(): Promise<{ dispatch: string; bytes: number; cleanup: () => void }> {
  const outDir = mkdtempSync(join(tmpdir(), "example-charm-"));
  const built = await buildCharm({
    entry: join(EXAMPLE_DIR, "src", "main.ts"),
    charmDir: EXAMPLE_DIR,
    outDir,
  });
  return {
    dispatch: built.dispatch,
    bytes: built.bytes,
    cleanup: () => rmSync(outDir, { recursive: true, force: true }),
  };
}
