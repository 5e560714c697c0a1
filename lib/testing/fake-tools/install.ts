import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  access,
  chmod,
  constants,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { JUJU_HOOK_TOOLS } from "./tool-names.js";

export interface FakeTools {
  /** Directory holding one executable per hook tool name; put it first on PATH. */
  binDir: string;
  /** "native": the compiled C client (~2-3 ms per call); "node": the fallback script (~100 ms per call). */
  kind: "native" | "node";
  /** Environment for a charm process: PATH with binDir first, plus the two variables the tools read. */
  env(socketPath: string, contextId: string): Record<string, string>;
  /** Removes binDir if installFakeTools created it (a given `dir` is left alone). */
  cleanup(): Promise<void>;
}

export interface InstallOptions {
  /** Where to put the tool links; a fresh temp dir by default. */
  dir?: string;
  /** Tool names to install; JUJU_HOOK_TOOLS by default. */
  tools?: readonly string[];
  /** Use the Node fallback client even when a C compiler is available (tests of the fallback). */
  forceFallback?: boolean;
}

/** Flags for the install-time build; warnings are not fatal here, the test suite builds with -Werror. */
const CFLAGS = ["-O2", "-std=c11"];
const FALLBACK = "jujuc-fallback.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** Finds a non-TS file of this folder; when running from dist/, tsc has not copied it, so use lib/. */
async function asset(name: string): Promise<string> {
  const candidates = [join(here, name)];
  const i = here.lastIndexOf(`${sep}dist${sep}`);
  if (i >= 0) candidates.push(join(here.slice(0, i) + here.slice(i + `${sep}dist`.length), name));
  for (const path of candidates) {
    if (await exists(path)) return path;
  }
  throw new Error(`cannot find ${name} (looked in ${candidates.join(", ")})`);
}

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** The C compiler command: $CC (may carry flags, e.g. "ccache gcc") or plain `cc`. */
const compilerCommand = (): string[] => (process.env.CC?.trim() || "cc").split(/\s+/);

function compile(compiler: string[], args: string[]): Promise<void> {
  const [command = "cc", ...flags] = compiler;
  return new Promise((resolve, reject) => {
    execFile(command, [...flags, ...args], { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const detail = String(stderr).trim().split("\n")[0] || err.message;
      reject(new Error(`${command} failed: ${detail}`));
    });
  });
}

/**
 * Whether dir is a real directory owned by this user: the cache sits in a shared tmp, and a dir planted
 * there by someone else (or a symlink) could hold a binary we must not run.
 */
async function trusted(dir: string): Promise<boolean> {
  try {
    const info = await lstat(dir);
    return info.isDirectory() && (process.getuid === undefined || info.uid === process.getuid());
  } catch {
    return false;
  }
}

/**
 * Compiles jujuc.c once per source version (and compiler) into a cache dir shared by every test worker
 * and run (os.tmpdir()/kcck-jujuc-<sha256 prefix>/jujuc). Workers may race: each compiles in its own
 * private dir and renames the result into place, which is atomic, so nobody runs a half-written binary.
 */
async function buildNative(): Promise<string> {
  const sourcePath = await asset("jujuc.c");
  const compiler = compilerCommand();
  const hash = createHash("sha256")
    .update(await readFile(sourcePath))
    .update(`\0${compiler.join(" ")}\0${CFLAGS.join(" ")}\0${process.platform}-${process.arch}`)
    .digest("hex")
    .slice(0, 16);
  const cacheDir = join(tmpdir(), `kcck-jujuc-${hash}`);
  const binary = join(cacheDir, "jujuc");
  if ((await trusted(cacheDir)) && (await exists(binary, constants.X_OK))) return binary;

  const work = await mkdtemp(join(tmpdir(), "kcck-jujuc-build-"));
  try {
    await compile(compiler, [...CFLAGS, "-o", join(work, "jujuc"), sourcePath]);
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    if (!(await trusted(cacheDir))) throw new Error(`${cacheDir} is not a directory owned by this user`);
    await rename(join(work, "jujuc"), binary);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return binary;
}

// One build attempt per process; a failure is remembered too, so the fallback is announced once.
let nativeBuild: Promise<string> | undefined;
let warned = false;

/** Copies the fallback client into binDir, pointing its shebang at this very Node when that is safe. */
async function installFallback(binDir: string): Promise<string> {
  let script = await readFile(await asset(FALLBACK), "utf8");
  // A direct interpreter path skips `env`'s PATH search and cannot pick up some other node on PATH.
  if (/^\S+$/.test(process.execPath) && process.execPath.length < 120) {
    script = script.replace(/^#!.*\n/, `#!${process.execPath}\n`);
  }
  const target = join(binDir, `.${FALLBACK}`); // .mjs so Node loads it as ESM whatever the link is called
  await writeFile(target, script);
  await chmod(target, 0o755);
  return target;
}

/** Points binDir/<tool> at target, replacing any existing entry atomically (installs may share a dir). */
async function link(target: string, binDir: string, tool: string): Promise<void> {
  const tmp = join(binDir, `.${tool}.${randomBytes(6).toString("hex")}.tmp`);
  await symlink(target, tmp);
  await rename(tmp, join(binDir, tool));
}

/**
 * Puts fake hook tools in a directory: one symlink per tool name to the native client compiled from
 * jujuc.c with `$CC` (default `cc`), or, when that is missing or fails, to the Node fallback client (same
 * protocol, much slower).
 */
export async function installFakeTools(opts: InstallOptions = {}): Promise<FakeTools> {
  for (const tool of opts.tools ?? []) {
    if (!tool || tool.includes("/") || tool === "." || tool === "..") {
      throw new Error(`invalid tool name ${JSON.stringify(tool)}`);
    }
  }
  const ownDir = opts.dir === undefined;
  const binDir = opts.dir ?? (await mkdtemp(join(tmpdir(), "kcck-bin-")));
  if (!ownDir) await mkdir(binDir, { recursive: true });
  try {
    return await populate(binDir, ownDir, opts);
  } catch (e) {
    if (ownDir) await rm(binDir, { recursive: true, force: true });
    throw e;
  }
}

async function populate(binDir: string, ownDir: boolean, opts: InstallOptions): Promise<FakeTools> {
  let target: string | undefined;
  if (!opts.forceFallback) {
    nativeBuild ??= buildNative();
    try {
      target = await nativeBuild;
    } catch (e) {
      if (!warned) {
        warned = true;
        const reason = e instanceof Error ? e.message : String(e);
        process.stderr.write(
          `fake hook tools: cannot build the native client (${reason}); using the slow Node fallback\n`,
        );
      }
    }
  }
  const kind = target === undefined ? "node" : "native";
  target ??= await installFallback(binDir);

  const resolved = target;
  await Promise.all((opts.tools ?? JUJU_HOOK_TOOLS).map((tool) => link(resolved, binDir, tool)));

  return {
    binDir,
    kind,
    env: (socketPath, contextId) => ({
      PATH: process.env.PATH ? `${binDir}${delimiter}${process.env.PATH}` : binDir,
      JUJU_AGENT_SOCKET_ADDRESS: socketPath,
      JUJU_CONTEXT_ID: contextId,
    }),
    cleanup: async () => {
      if (ownDir) await rm(binDir, { recursive: true, force: true });
    },
  };
}
