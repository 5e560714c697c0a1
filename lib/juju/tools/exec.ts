import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolError } from "../errors.js";
import type { ToolRunner } from "./runner.js";

/** Runs a tool and returns stdout, or throws the typed error its `ERROR …` line maps to. */
export async function exec(runner: ToolRunner, tool: string, args: readonly string[], stdin?: string) {
  const r = await runner.run(tool, args, stdin);
  if (r.code !== 0) throw toolError(tool, r.stderr, r.code);
  return r.stdout;
}

/** Runs a tool with `--format=json` and parses its output (empty output is null, as Juju prints nothing). */
export async function execJson<T>(
  runner: ToolRunner,
  tool: string,
  args: readonly string[],
  stdin?: string,
): Promise<T> {
  const out = await exec(runner, tool, ["--format=json", ...args], stdin);
  const text = out.trim();
  return (text === "" ? null : JSON.parse(text)) as T;
}

/**
 * A string map as JSON for a tool's `--file -`. Juju reads that file with yaml.v2 (YAML 1.1), which refuses C1
 * control characters and U+FFFE/U+FFFF, and folds the line breaks U+0085, U+2028 and U+2029 inside a quoted
 * string into a space; as `\uXXXX` escapes (valid JSON and YAML) every character arrives unchanged.
 */
export function settingsJson(map: Readonly<Record<string, string>>): string {
  return JSON.stringify(map).replace(
    /[\u0080-\u009f\u2028\u2029\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Writes secret values to files in a private temporary folder (0700, files 0600) for the `key#file=` form,
 * and removes them after the call: values never reach argv, where any process could read them.
 */
export async function withValueFiles<T>(
  content: Readonly<Record<string, string>>,
  use: (args: string[]) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "juju-secret-"));
  try {
    const args: string[] = [];
    let i = 0;
    for (const [key, value] of Object.entries(content)) {
      const file = join(dir, String(i++));
      await writeFile(file, value, { mode: 0o600 });
      args.push(`${key}#file=${file}`);
    }
    return await use(args);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
