#!/usr/bin/env node
/**
 * `connect-client validate`: checks connect_client v0 application databags (or any relation's databags
 * against a JSON Schema) in CI or by hand. The logic is `runCli`, a function of its arguments and I/O,
 * tested in-process; this file's main only wires the process to it.
 */
import { realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  compileJsonSchema,
  isRelationInterfaceSchema,
  type JsonSchemaValidator,
  SchemaError,
} from "./wire/ajv.js";
import { decodeProviderBag, decodeRequirerBag, type Problem } from "./wire/decode.js";
import { type InputBag, InputError, inferRole, parseInputDocument } from "./wire/input.js";
import type { ConnectClientRole } from "./wire/keys.js";

export const USAGE = `Usage: connect-client validate [--role provider|requirer] [--schema FILE] [--json] [FILE|-]...

Checks connect_client v0 application databags. Each input (a file, or - for stdin; stdin when none is
given) is a JSON object, a YAML mapping, or relation-info as \`juju show-unit\` prints it (the
application-data of every entry is checked).

Options:
  --role provider|requirer  which side wrote the databags (default: inferred from their keys)
  --schema FILE             check against this JSON Schema instead (draft-07, 2019-09 or 2020-12); a
                            charm-relation-interfaces schema (top-level app/unit) gets {app, unit}
  --json                    print {valid, role, problems, warnings, ...} (an array for several databags)
  -h, --help                print this help

Exit status: 0 all valid, 1 some databag invalid, 2 usage error (bad flag, unreadable input or schema).
`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  /** Defaults to reading the file system. */
  readonly readFile?: (path: string) => Promise<string>;
}

/** One checked databag, as `--json` prints it. */
export interface ValidationResult {
  source: string;
  entry?: string;
  valid: boolean;
  role: ConnectClientRole | null;
  schema?: string;
  problems: Problem[];
  warnings: string[];
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

  const read = io.readFile ?? ((path: string) => readFile(path, "utf8"));
  const schema = values.schema === undefined ? undefined : await loadSchema(values.schema, read);
  const inputs: { source: string; bags: InputBag[] }[] = [];
  for (const source of sources) {
    const text = source === "-" ? await io.readStdin() : await readInput(source, read);
    const name = source === "-" ? "<stdin>" : source;
    try {
      inputs.push({ source: name, bags: parseInputDocument(text) });
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`${name}: ${e.message}`);
      throw e;
    }
  }

  const results: ValidationResult[] = [];
  for (const { source, bags } of inputs) {
    for (const bag of bags) {
      const bagRole = role ?? inferRole(bag.app);
      if (schema) {
        results.push(checkWithSchema(source, bag, bagRole ?? null, schema));
      } else if (bagRole === undefined) {
        const where = bag.label ? `${source} ${bag.label}` : source;
        throw new UsageError(
          `cannot tell whether ${where} is a provider or a requirer databag: pass --role provider|requirer`,
        );
      } else {
        results.push(checkConnectClient(source, bag, bagRole));
      }
    }
  }

  if (values.json) {
    const [only] = results;
    io.stdout(`${JSON.stringify(results.length === 1 ? only : results, null, 2)}\n`);
  } else {
    io.stdout(results.map(formatResult).join(""));
  }
  return results.every((r) => r.valid) ? 0 : 1;
}

function parseValidateArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: {
      role: { type: "string" },
      schema: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
}

async function readInput(path: string, read: (path: string) => Promise<string>): Promise<string> {
  try {
    return await read(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

interface LoadedSchema {
  path: string;
  validate: JsonSchemaValidator;
  relationInterface: boolean;
}

async function loadSchema(path: string, read: (path: string) => Promise<string>): Promise<LoadedSchema> {
  const text = await readInput(path, read).catch((e: Error) => {
    throw new SchemaError(`--schema: ${e.message}`);
  });
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    throw new SchemaError(`--schema: ${path} is not valid JSON`);
  }
  try {
    return {
      path,
      validate: await compileJsonSchema(schema),
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

function checkWithSchema(
  source: string,
  bag: InputBag,
  role: ConnectClientRole | null,
  schema: LoadedSchema,
): ValidationResult {
  const data = schema.relationInterface ? { app: bag.app, ...(bag.unit ? { unit: bag.unit } : {}) } : bag.app;
  const problems = schema.validate(data);
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

function formatResult(r: ValidationResult): string {
  const where = r.entry ? `${r.source} ${r.entry}` : r.source;
  const against = r.schema ? `schema ${r.schema}` : `${r.role} databag`;
  const lines = [`${where}: ${r.valid ? "valid" : "invalid"} (${against})`];
  for (const p of r.problems) lines.push(`  ${p.key}: ${p.message}`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return `${lines.join("\n")}\n`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin,
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
