#!/usr/bin/env node
/**
 * `connect-client validate`: checks connect_client v0 application databags (or any relation's databags
 * against a JSON Schema) in CI or by hand. The logic is `runCli`, a function of its arguments and I/O,
 * tested in-process; this file's main only wires the process to it.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { readFileBounded, readStreamBounded } from "./cli-read.js";
import { isRelationInterfaceSchema, SchemaError } from "./wire/ajv.js";
import { decodeProviderBag, decodeRequirerBag, type Problem } from "./wire/decode.js";
import { decodeInput, MAX_INPUT_BYTES } from "./wire/document.js";
import {
  classifyEntry,
  type EntryKind,
  type InputBag,
  InputError,
  inferRole,
  parseInputDocument,
  type RelatedUnitBag,
} from "./wire/input.js";
import type { ConnectClientRole } from "./wire/keys.js";
import {
  DEFAULT_SCHEMA_TIMEOUT_MS,
  startSchemaChecker,
  type TimedSchemaChecker,
} from "./wire/schema-worker.js";

export const USAGE = `Usage: connect-client validate [--role provider|requirer] [--endpoint NAME] [--schema FILE]
                               [--schema-timeout SECONDS] [--json] [FILE|-]...

Checks connect_client v0 databags. Each input (a file, or - for stdin; stdin when none is given) is
a JSON object or YAML mapping (one application databag), or relation-info as \`juju show-unit\`
prints it: the application-data of each entry is checked, and the data of its related units as unit
databags (where keys may be missing). Of several entries, only the connect_client ones are checked
unless --endpoint names one: peer relations and other interfaces are skipped, with a note.

Options:
  --role provider|requirer  which side wrote the databags (default: inferred from their keys)
  --endpoint NAME           check the relation-info entries of this endpoint only
  --schema FILE             check against this JSON Schema instead (draft-07, 2019-09 or 2020-12); a
                            charm-relation-interfaces schema (top-level app/unit) gets {app, unit}
  --schema-timeout SECONDS  stop a --schema check that runs longer than this (default ${DEFAULT_SCHEMA_TIMEOUT_MS / 1000});
                            a backtracking pattern could otherwise run for hours
  --json                    print {valid, role, problems, warnings, ...} (an array for several databags)
  -h, --help                print this help

Inputs and schemas are UTF-8, at most ${MAX_INPUT_BYTES / (1024 * 1024)} MiB each, nested at most 64 levels, without duplicate keys.

Exit status: 0 all valid, 1 some databag invalid, 2 usage error (bad flag, unreadable input or schema,
a schema check past its time limit, no connect_client databag found).
`;

/** Bytes are decoded as UTF-8 (and refused when they are not); a string is taken as already decoded. */
export type InputText = string | Uint8Array;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads standard input, at most `maxBytes` of it (the limit is checked again on what comes back). */
  readonly readStdin: (maxBytes: number) => Promise<InputText>;
  /** Defaults to reading the file system, at most `maxBytes`. */
  readonly readFile?: (path: string, maxBytes: number) => Promise<InputText>;
}

/** One checked databag, as `--json` prints it. */
export interface ValidationResult {
  source: string;
  entry?: string;
  /** The related unit whose unit databag this is; absent for an application databag. */
  unit?: string;
  valid: boolean;
  role: ConnectClientRole | null;
  schema?: string;
  problems: Problem[];
  warnings: string[];
  notes: string[];
}

/** A relation-info entry that was not checked, and why (in `notes`). */
export interface SkippedEntry {
  source: string;
  entry: string;
  skipped: true;
  notes: string[];
}

class UsageError extends Error {}

const ROLES: readonly string[] = ["provider", "requirer"];

/** Runs `connect-client <argv...>`; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === "--help" || command === "-h" || command === "help") {
      io.stdout(USAGE);
      return 0;
    }
    if (command !== "validate") {
      throw new UsageError(command === undefined ? "no command given" : `unknown command "${command}"`);
    }
    return await validateCommand(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`connect-client: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof InputError || e instanceof SchemaError) {
      io.stderr(`connect-client: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function validateCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseValidateArgs>;
  try {
    parsed = parseValidateArgs(args);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (values.role !== undefined && !ROLES.includes(values.role)) {
    throw new UsageError(`--role must be provider or requirer, not "${values.role}"`);
  }
  const role = values.role as ConnectClientRole | undefined;
  const sources = positionals.length > 0 ? positionals : ["-"];
  if (sources.filter((s) => s === "-").length > 1) throw new UsageError("stdin (-) can be read only once");

  const timeoutMs = schemaTimeoutMs(values["schema-timeout"]);
  const read = io.readFile ?? readFileBounded;
  const inputs: { source: string; bags: InputBag[] }[] = [];
  for (const source of sources) {
    const name = source === "-" ? "<stdin>" : source;
    try {
      const bytes = source === "-" ? await io.readStdin(MAX_INPUT_BYTES) : await readInput(source, read);
      inputs.push({ source: name, bags: parseInputDocument(decodeInput(bytes)) });
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`${name}: ${e.message}`);
      throw e;
    }
  }
  const schema = values.schema === undefined ? undefined : await loadSchema(values.schema, read, timeoutMs);
  try {
    return await checkInputs(inputs, values, role, schema, io);
  } finally {
    await schema?.checker.close();
  }
}

async function checkInputs(
  inputs: readonly { source: string; bags: InputBag[] }[],
  values: ReturnType<typeof parseValidateArgs>["values"],
  role: ConnectClientRole | undefined,
  schema: LoadedSchema | undefined,
  io: CliIo,
): Promise<number> {
  const results: (ValidationResult | SkippedEntry)[] = [];
  for (const { source, bags } of inputs) {
    for (const chosen of chooseEntries(source, bags, values.endpoint, schema !== undefined)) {
      const { bag } = chosen;
      if (chosen.skip !== undefined) {
        results.push({ source, entry: bag.label, skipped: true, notes: [chosen.skip] });
        continue;
      }
      const bagRole = role ?? chosen.role ?? inferRole(bag.app);
      if (schema) {
        results.push(await checkWithSchema(source, bag, bagRole ?? null, schema));
      } else if (bagRole === undefined) {
        const where = bag.label ? `${source} ${bag.label}` : source;
        throw new UsageError(
          `cannot tell whether ${where} is a provider or a requirer databag: pass --role provider|requirer`,
        );
      } else {
        results.push(checkConnectClient(source, bag, bagRole));
        for (const unit of bag.relatedUnits ?? []) results.push(checkUnitBag(source, bag, unit, bagRole));
      }
    }
  }

  if (values.json) {
    const [only] = results;
    io.stdout(`${JSON.stringify(results.length === 1 ? only : results, null, 2)}\n`);
  } else {
    io.stdout(results.map(formatResult).join(""));
  }
  return results.every((r) => "skipped" in r || r.valid) ? 0 : 1;
}

interface ChosenEntry {
  bag: InputBag;
  /** The side its keys tell, when it was chosen for them. */
  role?: ConnectClientRole;
  /** Why it is not checked. */
  skip?: string;
}

/**
 * The entries of one document to check. --endpoint picks entries by name. Otherwise a document of several
 * relation-info entries (`juju show-unit` lists every relation of the unit) is checked for its connect_client
 * entries only, as their keys tell; a single databag or entry is checked as it is.
 */
function chooseEntries(
  source: string,
  bags: readonly InputBag[],
  endpoint: string | undefined,
  schemaMode: boolean,
): ChosenEntry[] {
  if (endpoint !== undefined) {
    if (bags.every((b) => b.label === "")) {
      throw new UsageError(
        `--endpoint applies to relation-info (juju show-unit output); ${source} is a databag`,
      );
    }
    const matching = bags.filter((b) => b.endpoint === endpoint);
    if (matching.length === 0) {
      const names = [...new Set(bags.flatMap((b) => (b.endpoint === undefined ? [] : [b.endpoint])))];
      const known = names.length > 0 ? ` (its endpoints: ${names.join(", ")})` : "";
      throw new UsageError(`${source} has no relation-info entry for endpoint "${endpoint}"${known}`);
    }
    return matching.map((bag) => ({ bag }));
  }
  if (schemaMode || bags.length <= 1) return bags.map((bag) => ({ bag }));
  const chosen = bags.map((bag): ChosenEntry => {
    const kind = classifyEntry(bag);
    if (kind.kind === "connect_client") return { bag, role: kind.role };
    const name = bag.endpoint ?? "NAME";
    const role = inferRole(bag.app) === undefined ? " --role provider|requirer" : "";
    return {
      bag,
      skip: `it ${whyNotConnectClient(kind)}; to check it anyway, pass --endpoint ${name}${role}`,
    };
  });
  if (chosen.every((c) => c.skip !== undefined)) {
    const reasons = bags.map((bag) => `${bag.label} ${whyNotConnectClient(classifyEntry(bag))}`);
    throw new UsageError(
      `cannot find a connect_client databag in ${source}: ${reasons.join("; ")}. Pass --endpoint NAME to ` +
        "choose an entry (and --role provider|requirer if its keys do not tell)",
    );
  }
  return chosen;
}

function whyNotConnectClient(kind: EntryKind): string {
  switch (kind.kind) {
    case "peer":
      return "is a peer relation (juju shows local-unit only for those)";
    case "empty":
      return "has an empty application-data";
    case "no-role":
      return kind.both
        ? "has both requirer and provider keys"
        : "has no key that tells a connect_client side";
    case "foreign":
      return `has keys connect_client does not use (${kind.keys.join(", ")}): another interface`;
    case "connect_client":
      return `is a connect_client ${kind.role} databag`;
  }
}

function parseValidateArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: {
      role: { type: "string" },
      endpoint: { type: "string" },
      schema: { type: "string" },
      "schema-timeout": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
}

type ReadFile = (path: string, maxBytes: number) => Promise<InputText>;

async function readInput(path: string, read: ReadFile): Promise<InputText> {
  try {
    return await read(path, MAX_INPUT_BYTES);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function schemaTimeoutMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SCHEMA_TIMEOUT_MS;
  const seconds = /^[0-9]+(?:\.[0-9]+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds > 0 && seconds <= 3600)) {
    throw new UsageError(`--schema-timeout must be a number of seconds from 0.001 to 3600, not "${text}"`);
  }
  return Math.max(1, Math.round(seconds * 1000));
}

interface LoadedSchema {
  path: string;
  checker: TimedSchemaChecker;
  relationInterface: boolean;
}

async function loadSchema(path: string, read: ReadFile, timeoutMs: number): Promise<LoadedSchema> {
  const bytes = await readInput(path, read).catch((e: Error) => {
    throw new SchemaError(`--schema: ${e.message}`);
  });
  let schema: unknown;
  try {
    schema = JSON.parse(decodeInput(bytes));
  } catch (e) {
    if (e instanceof InputError) throw new SchemaError(`--schema: ${path}: ${e.message}`);
    throw new SchemaError(`--schema: ${path} is not valid JSON`);
  }
  try {
    return {
      path,
      checker: await startSchemaChecker(schema, timeoutMs),
      relationInterface: isRelationInterfaceSchema(schema),
    };
  } catch (e) {
    throw new SchemaError(`--schema: ${path}: ${(e as Error).message}`);
  }
}

function checkConnectClient(source: string, bag: InputBag, role: ConnectClientRole): ValidationResult {
  const decoded = role === "requirer" ? decodeRequirerBag(bag.app) : decodeProviderBag(bag.app);
  return {
    source,
    ...(bag.label ? { entry: bag.label } : {}),
    valid: decoded.ok,
    role,
    problems: decoded.ok ? [] : decoded.problems,
    warnings: decoded.warnings,
    notes: bag.notes,
  };
}

/** A related unit's databag: nothing is required there, but any connect_client key present must be valid. */
function checkUnitBag(
  source: string,
  entry: InputBag,
  unit: RelatedUnitBag,
  role: ConnectClientRole,
): ValidationResult {
  const options = { partial: true };
  const decoded =
    role === "requirer" ? decodeRequirerBag(unit.bag, options) : decodeProviderBag(unit.bag, options);
  return {
    source,
    entry: entry.label,
    unit: unit.name,
    valid: decoded.ok,
    role,
    problems: decoded.ok ? [] : decoded.problems,
    warnings: decoded.warnings,
    notes: unit.notes,
  };
}

async function checkWithSchema(
  source: string,
  bag: InputBag,
  role: ConnectClientRole | null,
  schema: LoadedSchema,
): Promise<ValidationResult> {
  const data = schema.relationInterface ? { app: bag.app, ...(bag.unit ? { unit: bag.unit } : {}) } : bag.app;
  const what = [source, bag.label].filter(Boolean).join(" ");
  let problems: Problem[];
  try {
    problems = await schema.checker.check(data, what);
  } catch (e) {
    throw new SchemaError(`--schema: ${schema.path}: ${(e as Error).message}`);
  }
  return {
    source,
    ...(bag.label ? { entry: bag.label } : {}),
    valid: problems.length === 0,
    role,
    schema: schema.path,
    problems,
    warnings: [],
    notes: bag.notes,
  };
}

function formatResult(r: ValidationResult | SkippedEntry): string {
  const where = [r.source, r.entry, "unit" in r ? `unit ${r.unit}` : undefined].filter(Boolean).join(" ");
  if ("skipped" in r) return `${where}: skipped\n${r.notes.map((n) => `  note: ${n}\n`).join("")}`;
  const against = r.schema ? `schema ${r.schema}` : `${r.role} ${r.unit === undefined ? "" : "unit "}databag`;
  const lines = [`${where}: ${r.valid ? "valid" : "invalid"} (${against})`];
  for (const p of r.problems) lines.push(`  ${p.key}: ${p.message}`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: (maxBytes) => readStreamBounded(process.stdin, maxBytes),
  });
}

// Run only as a program (node cli.js, tsx, or an npm bin symlink), never on import.
const entry = process.argv[1];
if (entry !== undefined && isThisFile(entry)) {
  main().catch((e: unknown) => {
    process.stderr.write(`connect-client: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  });
}

function isThisFile(path: string): boolean {
  try {
    return pathToFileURL(realpathSync(path)).href === import.meta.url;
  } catch {
    return false;
  }
}
