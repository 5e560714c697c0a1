import { randomBytes } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";

/**
 * Names under the plugin root. A plugin lives in `relation-<id>-<first 16 hex of sha512>`; work in progress in
 * dot-prefixed `.relation-<id>-<random>.<what>` entries beside it (same file system: the final rename is atomic).
 */
export function pluginDirName(relationId: number, sha512hex: string): string {
  return `relation-${relationId}-${sha512hex.slice(0, 16).toLowerCase()}`;
}

export function tempName(relationId: number, what: "download" | "extract"): string {
  return `.relation-${relationId}-${randomBytes(6).toString("hex")}.${what}`;
}

export function assertRelationId(relationId: number): void {
  if (!Number.isSafeInteger(relationId) || relationId < 0) {
    throw new TypeError(`relation id must be a non-negative integer, got ${relationId}`);
  }
}

/**
 * Removes every `relation-<id>-*` directory (ours and those named by Canonical's provider after a sha256) and
 * any `.relation-<id>-*` leftover of an interrupted fetch, except `except` (a path or a name). For
 * relation-broken, and after switching a relation to new content once workers use it. Returns what it removed.
 */
export async function removePluginDirs(
  pluginRoot: string,
  relationId: number,
  options: { except?: string } = {},
): Promise<string[]> {
  assertRelationId(relationId);
  const root = resolve(pluginRoot);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const keep = options.except === undefined ? undefined : resolve(root, options.except);
  const prefix = `relation-${relationId}-`;
  const removed: string[] = [];
  for (const name of names.sort()) {
    if (!name.startsWith(prefix) && !name.startsWith(`.${prefix}`)) continue;
    const path = join(root, name);
    if (path === keep) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
