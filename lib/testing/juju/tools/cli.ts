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
  readonly [name: string]: {
    readonly kind: "bool" | "string";
    readonly short?: string;
    /** Values the option accepts; anything else is refused while parsing (gnuflag's Value.Set). */
    readonly choices?: readonly string[];
  };
}

export interface Parsed {
  readonly opts: Record<string, string | boolean | undefined>;
  readonly args: string[];
  /** How each given option was spelled (`-r` or `--relation`); gnuflag names it that way in errors. */
  readonly spelled: Record<string, string>;
}

const TRUE = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const FALSE = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/** gnuflag's flagWithMinus: `-x` for one-rune names, `--name` otherwise. */
const withMinus = (name: string) => `${[...name].length > 1 ? "--" : "-"}${name}`;

/**
 * GNU-style parsing as juju/gnuflag does it: interspersed options, `--` ends options, `-` is a positional.
 * `--name value` and `--name=value`; `-x` runs may bundle one-rune options (`-r3` is `-r 3`); a bool
 * option takes a value only as `--name=value`. Names are looked up as given, long or short alike.
 */
export function parseOptions(argv: readonly string[], spec: OptionSpec): Parsed {
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(spec)) if (o.short) byShort.set(o.short, name);
  const lookup = (given: string) => (spec[given] ? given : byShort.get(given));
  const opts: Record<string, string | boolean | undefined> = {};
  const spelled: Record<string, string> = {};
  const args: string[] = [];
  const set = (given: string, inline: string | undefined, next: () => string | undefined) => {
    const name = lookup(given);
    const shown = withMinus(given);
    if (!name) throw usage(`option provided but not defined: ${shown}`);
    const o = spec[name]!;
    spelled[name] = shown;
    if (o.kind === "bool" && inline === undefined) {
      opts[name] = true;
      return;
    }
    const value = inline ?? next();
    if (value === undefined) throw usage(`option needs an argument: ${shown}`);
    if (o.kind === "bool") {
      if (TRUE.has(value)) opts[name] = true;
      else if (FALSE.has(value)) opts[name] = false;
      else {
        throw usage(
          `invalid value "${value}" for option ${shown}: strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
      }
      return;
    }
    if (o.choices && !o.choices.includes(value)) {
      // cmd.Output's formatter value refuses an unknown format as the option is parsed.
      throw usage(`invalid value "${value}" for option ${shown}: unknown format "${value}"`);
    }
    opts[name] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => (i + 1 < argv.length ? argv[++i]! : undefined);
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a === "-" || a === "" || !a.startsWith("-")) {
      args.push(a);
      continue;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq === 2) throw usage(`empty flag in argument "${a}"`);
      set(eq < 0 ? a.slice(2) : a.slice(2, eq), eq < 0 ? undefined : a.slice(eq + 1), next);
      continue;
    }
    // A run of one-rune options: a bool takes no value; any other option takes the rest of the run
    // (`-r3`, and `-r=3` as the facts document it), or else the next argument.
    let rest = [...a.slice(1)];
    while (rest.length) {
      const letter = rest[0]!;
      rest = rest.slice(1);
      const name = lookup(letter);
      if (name && spec[name]!.kind === "bool") {
        set(letter, undefined, next);
        continue;
      }
      const inline = rest.length ? rest.join("").replace(/^=/, "") : undefined;
      rest = [];
      set(letter, inline, next);
    }
  }
  return { opts, args, spelled };
}

/** `-r/--relation`, taken by every tool that can name a relation. */
export const RELATION_OPTION = { relation: { kind: "string", short: "r" } } as const satisfies OptionSpec;

export const FORMAT_OPTIONS = {
  format: { kind: "string", choices: ["smart", "yaml", "json"] },
  output: { kind: "string", short: "o" },
} as const satisfies OptionSpec;

/** secret-get and secret-info-get: yaml (their default) or json only. */
export const SECRET_FORMAT_OPTIONS = {
  format: { kind: "string", choices: ["yaml", "json"] },
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

/**
 * Renders a value the way juju/cmd's formatters do. Go sorts map keys in both yaml and json; a Go struct
 * (network-get, secret-info-get) keeps its field order instead: pass `structOrder` for those.
 */
export function render(value: unknown, format: Format, structOrder = false): string {
  if (format === "json") return `${goJson(value, structOrder)}\n`;
  if (value === null || value === undefined) return "";
  const yaml = () => `${toYaml(structOrder ? value : sortKeys(value)).replace(/\n+$/, "")}\n`;
  if (format === "yaml") return yaml();
  // smart
  if (typeof value === "string") return value === "" ? "" : `${value}\n`;
  if (typeof value === "boolean") return value ? "True\n" : "False\n";
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return value.length ? `${value.join("\n")}\n` : "";
  }
  return yaml();
}

/** Go's json.Marshal: compact, map keys sorted (struct fields in order), `<`, `>`, `&` escaped. */
export function goJson(value: unknown, structOrder = false): string {
  return JSON.stringify((structOrder ? value : sortKeys(value)) ?? null)
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
