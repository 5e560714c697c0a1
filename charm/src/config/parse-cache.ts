import { createHash } from "node:crypto";
import { join } from "node:path";
import { writeFileAtomic } from "../../common/files.js";
import { isParseCache } from "../../common/generated/validators.js";
import { readJsonFile } from "../json-file.js";
import { type ParsedConnectors, parseConnectorsText, type YamlParser } from "./connectors.js";

/**
 * The parsed `connectors` option, cached in the state dir by the sha256 of its text: the YAML parser is
 * imported only when the text changed, so ordinary hooks (update-status, relation-changed) load none.
 */

export const PARSE_CACHE_FILE = "connectors.parsed.json";

export function textSha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The declarations for this text; `parsedNow` says whether the YAML parser had to run. */
export async function declarationsFor(
  text: string,
  stateDir: string,
): Promise<{ parsed: ParsedConnectors; parsedNow: boolean }> {
  const sha256 = textSha256(text);
  const path = join(stateDir, PARSE_CACHE_FILE);
  // A torn or foreign cache file reads as no cache, and is rewritten.
  const hit = await readJsonFile(path, isParseCache);
  if (hit?.sha256 === sha256) return { parsed: hit.result, parsedNow: false };
  const parsed =
    text.trim() === "" ? parseConnectorsText(text, NO_YAML) : parseConnectorsText(text, await loadYaml());
  await writeFileAtomic(path, JSON.stringify({ sha256, result: parsed }));
  return { parsed, parsedNow: true };
}

/** `yaml` is CommonJS: bundled, its dynamic import may come back as `{ default: module }`. */
async function loadYaml(): Promise<YamlParser> {
  const mod = (await import("yaml")) as unknown as YamlParser & { default?: YamlParser };
  return typeof mod.parse === "function" ? mod : mod.default!;
}

/** An empty option needs no parser. */
const NO_YAML = {
  parse(): unknown {
    return null;
  },
};
