import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { CharmMeta } from "../juju/meta.js";

/**
 * Reads a charm's metadata the way charmcraft does: charmcraft.yaml, plus the older metadata.yaml,
 * config.yaml and actions.yaml when present (their keys fill what charmcraft.yaml leaves out).
 */
export function loadCharmMeta(charmDir: string): CharmMeta {
  const read = (name: string): Record<string, unknown> => {
    const path = join(charmDir, name);
    if (!existsSync(path)) return {};
    const doc = parseYaml(readFileSync(path, "utf8"));
    if (doc !== null && (typeof doc !== "object" || Array.isArray(doc))) {
      throw new Error(`${path} is not a YAML map`);
    }
    return (doc ?? {}) as Record<string, unknown>;
  };
  const charmcraft = read("charmcraft.yaml");
  const metadata = read("metadata.yaml");
  const config = read("config.yaml");
  const actions = read("actions.yaml");
  const meta = {
    ...metadata,
    ...charmcraft,
    ...(charmcraft.config === undefined && Object.keys(config).length ? { config } : {}),
    ...(charmcraft.actions === undefined && Object.keys(actions).length ? { actions } : {}),
  } as Record<string, unknown>;
  if (typeof meta.name !== "string" || meta.name === "") {
    throw new Error(`no charm name in ${charmDir} (set "name" in charmcraft.yaml or metadata.yaml)`);
  }
  return meta as unknown as CharmMeta;
}
