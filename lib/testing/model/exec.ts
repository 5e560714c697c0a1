import { readlink, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/** What a caller outside any hook passes as its context id (the shim refuses to run without one). */
export const NO_CONTEXT = "juju-exec:no-context";
export const JUJU_EXEC = "juju-exec";

/** Juju 3's refusal inside a hook (cmd/jujud/run: Init checks JUJU_CONTEXT_ID). */
export const refusedInHook = (contextId: string): string =>
  `juju-exec cannot be called from within a hook, have context ${JSON.stringify(contextId)}`;

const MAX_ARGS = 256;
const MAX_ARGV_BYTES = 128 * 1024;

export interface ExecRequest {
  readonly unit: string;
  /** The commands, joined by spaces, as `sh -c` gets them. */
  readonly commands: string;
}

/** A usage error: Juju's cmd package prints it and exits 2. */
export class ExecUsageError extends Error {
  override name = "ExecUsageError";
}

const sq = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Puts `juju-exec` in `binDir`: a sh wrapper that runs the fake tools' native client, linked as
 * `<libexecDir>/juju-exec` so it names itself "juju-exec", against the model's agent socket. The caller's
 * JUJU_CONTEXT_ID travels with the request so the model can refuse a call from inside a hook.
 */
export async function installJujuExec(opts: {
  binDir: string;
  libexecDir: string;
  toolsBinDir: string;
  socketPath: string;
}): Promise<string> {
  // Any installed tool link points at the client binary (native, or the Node fallback script).
  const link = join(opts.toolsBinDir, "is-leader");
  const client = resolve(opts.toolsBinDir, await readlink(link));
  const shim = join(opts.libexecDir, JUJU_EXEC);
  await symlink(client, shim);
  const wrapper = join(opts.binDir, JUJU_EXEC);
  await writeFile(
    wrapper,
    `#!/bin/sh
# juju-exec for an emulated model: the request goes to the model over its agent socket, which runs the
# commands in a fresh hook context of the unit, under the machine lock, and sends back their output.
# Juju's juju-exec passes no stdin to the commands: /dev/null, so \`--file -\` among them never reads ours.
JUJU_AGENT_SOCKET_ADDRESS=${sq(opts.socketPath)} JUJU_CONTEXT_ID="\${JUJU_CONTEXT_ID:-${NO_CONTEXT}}" exec ${sq(shim)} "$@" </dev/null
`,
    { mode: 0o755 },
  );
  return wrapper;
}

/**
 * Parses `juju-exec -u <unit> [--] <commands...>` or `juju-exec <unit> <commands...>` as Juju 3 does (its
 * other flags are not emulated and are refused like unknown ones). Bounded: argument count and total size.
 */
export function parseExecArgs(args: readonly string[]): ExecRequest {
  if (args.length > MAX_ARGS) throw new ExecUsageError(`too many arguments (${args.length} > ${MAX_ARGS})`);
  const bytes = args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
  if (bytes > MAX_ARGV_BYTES) throw new ExecUsageError(`arguments too long (${bytes} bytes)`);
  let unit: string | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (a === "-u" || a === "--unit") {
      const v = args[++i];
      if (v === undefined) throw new ExecUsageError(`flag needs an argument: ${a}`);
      unit = v;
    } else if (a.startsWith("--unit=")) unit = a.slice("--unit=".length);
    else if (a.startsWith("-u") && a.length > 2) unit = a.slice(2);
    else if (a.startsWith("-") && a !== "-") throw new ExecUsageError(`flag provided but not defined: ${a}`);
    else break;
  }
  let rest = args.slice(i);
  if (unit === undefined) {
    if (!rest.length) throw new ExecUsageError("missing unit-name");
    unit = rest[0]!;
    rest = rest.slice(1);
  }
  if (!rest.length) throw new ExecUsageError("missing commands");
  // Juju also accepts the agent tag form, unit-<app>-<n>.
  const tag = /^unit-(.+)-(\d+)$/.exec(unit);
  if (tag) unit = `${tag[1]}/${tag[2]}`;
  return { unit, commands: rest.join(" ") };
}

/** The custom hook a juju-exec command dispatches (`JUJU_DISPATCH_PATH=hooks/<name> .../dispatch`), if any. */
export function dispatchedHook(commands: string): string | undefined {
  // Bounded like a hook name: the record keeps it.
  return /(?:^|\s)JUJU_DISPATCH_PATH=["']?hooks\/([a-z0-9][a-z0-9-]{0,63})(?![a-z0-9-])/.exec(commands)?.[1];
}
