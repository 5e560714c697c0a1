import { stringify as toYaml } from "yaml";
import type { ToolResult } from "../../../juju/tools/runner.js";

/**
 * What every emulated hook tool shares with juju/cmd + gnuflag: option parsing (errors say "option", as Juju's
 * jujuc commands do), `--format smart|yaml|json` and `-o`, and `ERROR <message>` with exit 2 for usage
 * errors (Init) and exit 1 for run-time errors (Run).
 */
export class ToolFailure extends Error {
  constructor(
    message: string,
    readonly code: 1 | 2 = 1,
  ) {
    super(message);
  }
}

export const usage = (message: string) => new ToolFailure(message, 2);

export interface OptionSpec {
  /** Long name without dashes; `short` is a one-letter alias. */
  readonly [name: string]: { readonly kind: "bool" | "string"; readonly short?: string };
}

export interface Parsed {
  readonly opts: Record<string, string | boolean | undefined>;
  readonly args: string[];
}

const TRUE = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const FALSE = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/** GNU-style parsing as gnuflag does it: interspersed options, `--` ends options, `-` is a positional. */
export function parseOptions(argv: readonly string[], spec: OptionSpec): Parsed {
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(spec)) if (o.short) byShort.set(o.short, name);
  const opts: Record<string, string | boolean | undefined> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a === "-" || !a.startsWith("-")) {
      args.push(a);
      continue;
    }
    const long = a.startsWith("--");
    const body = a.slice(long ? 2 : 1);
    const eq = body.indexOf("=");
    const given = eq >= 0 ? body.slice(0, eq) : body;
    const name = long
      ? spec[given]
        ? given
        : undefined
      : (byShort.get(given) ?? (spec[given] ? given : undefined));
    const shown = `${given.length > 1 ? "--" : "-"}${given}`;
    if (!name) throw usage(`option provided but not defined: ${shown}`);
    const o = spec[name]!;
    if (o.kind === "bool") {
      if (eq < 0) opts[name] = true;
      else {
        const v = body.slice(eq + 1);
        if (TRUE.has(v)) opts[name] = true;
        else if (FALSE.has(v)) opts[name] = false;
        else throw usage(`invalid value "${v}" for option ${shown}: parse error`);
      }
      continue;
    }
    if (eq >= 0) opts[name] = body.slice(eq + 1);
    else if (i + 1 < argv.length) opts[name] = argv[++i]!;
    else throw usage(`option needs an argument: ${shown}`);
  }
  return { opts, args };
}

export const FORMAT_OPTIONS = {
  format: { kind: "string" },
  output: { kind: "string", short: "o" },
} as const satisfies OptionSpec;

export type Format = "smart" | "yaml" | "json";

export function formatOf(
  opts: Parsed["opts"],
  fallback: Format = "smart",
  allowed: readonly Format[] = ["smart", "yaml", "json"],
): Format {
  const f = (opts.format as string | undefined) ?? fallback;
  if (!(allowed as readonly string[]).includes(f))
    throw usage(`invalid value "${f}" for option --format: unknown format "${f}"`);
  return f as Format;
}

/** Renders a value the way juju/cmd's formatters do. */
export function render(value: unknown, format: Format): string {
  if (format === "json") return `${goJson(value)}\n`;
  if (value === null || value === undefined) return "";
  if (format === "yaml") return `${toYaml(value).replace(/\n+$/, "")}\n`;
  // smart
  if (typeof value === "string") return value === "" ? "" : `${value}\n`;
  if (typeof value === "boolean") return value ? "True\n" : "False\n";
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return value.length ? `${value.join("\n")}\n` : "";
  }
  return `${toYaml(value).replace(/\n+$/, "")}\n`;
}

/** Go's json.Marshal: compact, map keys sorted, `<`, `>`, `&` escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value) ?? null)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026");
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function noExtraArgs(args: readonly string[]): void {
  if (args.length) throw usage(`unrecognized args: [${args.map((a) => JSON.stringify(a)).join(" ")}]`);
}

export const ok = (stdout = "", stderr = ""): ToolResult => ({ code: 0, stdout, stderr });
