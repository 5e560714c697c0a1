#!/usr/bin/env node
import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { type KafkaConnectCluster, startKafkaConnectCluster } from "./cluster.js";
import { extractPluginTarball } from "./plugins.js";
import { parseVersion } from "./versions.js";

export const USAGE = `usage: kafka-connect-emulator [--workers N] [--version X.Y] [--tls]
                             [--auth USER[:PASSWORD] | --auth-file FILE] [--port PORT] [--plugin TARBALL]...
                             [--record-limit N]

Runs N emulated Kafka Connect workers on 127.0.0.1 until SIGINT or SIGTERM.
It keeps a record of the last N requests (default 10000), dropping the oldest.
Prints the endpoints on one line (comma-separated), then the CA file (--tls) and, when it made one up,
the password for --auth USER. Without a password in --auth, KAFKA_CONNECT_EMULATOR_PASSWORD is used.
`;

export const PASSWORD_ENV = "KAFKA_CONNECT_EMULATOR_PASSWORD";

/** Requests the command keeps a record of: a long session must not grow without bound. */
export const DEFAULT_RECORD_LIMIT = 10_000;

export interface CliIo {
  /** One line of stdout (no trailing newline). */
  out(line: string): void;
  /** One line of stderr. */
  err(line: string): void;
  env: Record<string, string | undefined>;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export interface CliOptions {
  workers: number;
  version: string;
  tls: boolean;
  auth?: { user: string; password?: string; passwordInArgv: boolean };
  authFile?: string;
  port?: number;
  plugins: string[];
  /** The cluster's `recordLimit`. */
  recordLimit: number;
}

/** Parses argv (no side effects); a UsageError says what is wrong. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    // Never echo a value: a mistyped option may carry a password (`--pasword=...`).
    const message = e instanceof Error ? e.message : String(e);
    throw new UsageError(message.replace(/(--[\w-]+)=\S*/g, "$1=…"));
  }
  const v = parsed.values;
  // Nor a stray argument: `--auth admin secret` would put the password here.
  if (parsed.positionals.length > 0)
    throw new UsageError(
      `${parsed.positionals.length} unexpected argument(s); this command takes options only`,
    );
  const workers = Number(v.workers ?? "3");
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new UsageError(`--workers must be an integer from 1 to 64, got ${v.workers}`);
  const version = v.version ?? "3.9";
  try {
    parseVersion(version);
  } catch (e) {
    throw new UsageError(`--version: ${e instanceof Error ? e.message : String(e)}`);
  }
  let port: number | undefined;
  if (v.port !== undefined) {
    port = Number(v.port);
    if (!Number.isInteger(port) || port < 1 || port + workers - 1 > 65535)
      throw new UsageError(`--port must leave room for ${workers} ports below 65536, got ${v.port}`);
  }
  if (v.auth !== undefined && v["auth-file"] !== undefined)
    throw new UsageError("give --auth or --auth-file, not both");
  const recordLimit = Number(v["record-limit"] ?? DEFAULT_RECORD_LIMIT);
  if (!Number.isSafeInteger(recordLimit) || recordLimit < 1)
    throw new UsageError(`--record-limit must be a positive integer, got ${v["record-limit"]}`);
  const opts: CliOptions = {
    workers,
    version,
    tls: v.tls ?? false,
    plugins: v.plugin ?? [],
    recordLimit,
  };
  if (port !== undefined) opts.port = port;
  if (v["auth-file"] !== undefined) opts.authFile = v["auth-file"];
  if (v.auth !== undefined) {
    const colon = v.auth.indexOf(":");
    const user = colon < 0 ? v.auth : v.auth.slice(0, colon);
    if (user === "") throw new UsageError("--auth needs a user name");
    opts.auth =
      colon < 0
        ? { user, passwordInArgv: false }
        : { user, password: v.auth.slice(colon + 1), passwordInArgv: true };
  }
  return opts;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      workers: { type: "string" },
      version: { type: "string" },
      tls: { type: "boolean" },
      auth: { type: "string" },
      "auth-file": { type: "string" },
      port: { type: "string" },
      plugin: { type: "string", multiple: true },
      "record-limit": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/**
 * Runs the emulator until `stopped` resolves: prints what a client needs, then closes everything. Returns the
 * exit code (0, or 2 on a usage error). Secrets: a password never goes to stderr, and to stdout only when it
 * was generated here (a dev tool must say how to log in).
 */
export async function runCli(argv: readonly string[], io: CliIo, stopped: Promise<unknown>): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    for (const line of USAGE.trimEnd().split("\n")) io.out(line);
    return 0;
  }
  let opts: CliOptions;
  try {
    opts = parseCliArgs(argv);
  } catch (e) {
    io.err(`kafka-connect-emulator: ${e instanceof Error ? e.message : String(e)}`);
    io.err(USAGE.split("\n\n")[0]!);
    return 2;
  }

  const work = await mkdtemp(join(tmpdir(), "kafka-connect-emulator-"));
  let cluster: KafkaConnectCluster | undefined;
  try {
    const pluginPath = join(work, "plugins");
    for (const tarball of opts.plugins) await extractPluginTarball(pluginPath, resolve(tarball));

    let generated: string | undefined;
    let users: Record<string, string> | undefined;
    if (opts.auth) {
      if (opts.auth.passwordInArgv)
        io.err(
          "kafka-connect-emulator: warning: a password in --auth is visible in the process list; " +
            `prefer --auth-file FILE or ${PASSWORD_ENV}`,
        );
      let password = opts.auth.password ?? io.env[PASSWORD_ENV];
      if (password === undefined || password === "")
        password = generated = randomBytes(18).toString("base64url");
      users = { [opts.auth.user]: password };
    }

    cluster = await startKafkaConnectCluster({
      workers: opts.workers,
      version: opts.version,
      tls: opts.tls,
      pluginPath,
      recordLimit: opts.recordLimit,
      ...(opts.port === undefined ? {} : { basePort: opts.port }),
      ...(opts.authFile !== undefined ? { auth: resolve(opts.authFile) } : users ? { auth: { users } } : {}),
    });

    let caFile: string | undefined;
    if (cluster.caPem !== undefined) {
      caFile = join(work, "ca.pem");
      await writeFile(caFile, cluster.caPem);
    }
    // Everything a client needs is printed at once, endpoints first, so a reader of line 1 can go ahead.
    io.out(cluster.endpoints.join(","));
    if (caFile !== undefined) io.out(`tls-ca: ${caFile}`);
    if (opts.auth) io.out(`username: ${opts.auth.user}`);
    if (generated !== undefined) io.out(`password: ${generated}`);
    io.err(
      `kafka-connect-emulator: Kafka ${cluster.version}, ${opts.workers} worker(s); SIGINT or SIGTERM stops it`,
    );

    await stopped;
    return 0;
  } catch (e) {
    io.err(`kafka-connect-emulator: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await cluster?.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** The command: stdout/stderr, the environment, and SIGINT/SIGTERM as the stop signal. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const stopped = new Promise<void>((done) => {
    process.once("SIGINT", () => done());
    process.once("SIGTERM", () => done());
  });
  return runCli(
    argv,
    {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      env: process.env,
    },
    stopped,
  );
}

/** Run as the command (directly, or through an npm bin symlink, which Node resolves for import.meta.url). */
function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`kafka-connect-emulator: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
