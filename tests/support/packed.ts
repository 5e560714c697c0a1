import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { CHARM_PROJECT } from "../../charm/build.js";
import { packIntegrator } from "../../charm/pack.js";
import { alive } from "../../charm/src/service.js";

/**
 * The packed integrator for end-to-end tests, packed once per source tree: `.build/packed/<hash>/<name>.charm`.
 * vitest runs test files in parallel processes, so the first caller takes a mkdir lock (atomic) and packs; the
 * others wait for the file (the pack renames it into place complete). A lock whose owner died is taken over.
 */

const PACKED_ROOT = join(CHARM_PROJECT, ".build", "packed");
/** What the pack is made of: the charm's and the library's code, the metadata, the lock file. */
const SOURCES = ["charm", "lib"];
const ROOT_FILES = ["metadata.yaml", "config.yaml", "actions.yaml", "charmcraft.yaml", "package-lock.json"];
/** Packing takes ~10 s here; a loaded machine gets far more before a waiter gives up. */
const WAIT_MS = 5 * 60_000;
/** Other trees' packs older than this are removed when a new one is made (each is ~36 MiB). */
const KEEP_MS = 60 * 60_000;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.parentPath.split("/").includes("node_modules"))
    .map((e) => join(e.parentPath, e.name));
}

/** sha256 over the relative path and content of every source file, and the Node that gets shipped. */
export async function sourceTreeHash(): Promise<string> {
  const files = [
    ...(await Promise.all(SOURCES.map((d) => filesUnder(join(CHARM_PROJECT, d))))).flat(),
    ...ROOT_FILES.map((f) => join(CHARM_PROJECT, f)).filter((f) => existsSync(f)),
  ].sort();
  const hash = createHash("sha256");
  hash.update(`${process.execPath} ${process.version}\n`);
  for (const file of files) {
    hash.update(`${relative(CHARM_PROJECT, file)}\n`);
    hash.update(await readFile(file));
  }
  return hash.digest("hex").slice(0, 16);
}

let cached: Promise<string> | undefined;

/** The path of the packed integrator `.charm` for the current source tree (packing it at most once). */
export function packedIntegrator(): Promise<string> {
  cached ??= packInto(PACKED_ROOT).catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function charmIn(dir: string): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => []);
  const name = names.find((n) => n.endsWith(".charm"));
  return name ? join(dir, name) : undefined;
}

/** Packs into `<root>/<hash>/` unless it is there; any number of processes may call it at once. */
export async function packInto(root: string): Promise<string> {
  const hash = await sourceTreeHash();
  const dir = join(root, hash);
  const lock = `${dir}.lock`;
  await mkdir(root, { recursive: true });
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const done = await charmIn(dir);
    if (done) return done;
    if (await takeLock(lock)) {
      try {
        const again = await charmIn(dir);
        if (again) return again;
        await mkdir(dir, { recursive: true });
        const { path } = await packIntegrator({ outDir: dir });
        await pruneOthers(root, hash);
        return path;
      } finally {
        await rm(lock, { recursive: true, force: true });
      }
    }
    if (Date.now() > deadline) throw new Error(`waited ${WAIT_MS} ms for another process to pack ${dir}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** mkdir is atomic: whoever creates the lock dir packs. A lock whose owner is gone is removed and retried. */
async function takeLock(lock: string): Promise<boolean> {
  try {
    await mkdir(lock);
    await writeFile(join(lock, "pid"), String(process.pid));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const owner = Number(await readFile(join(lock, "pid"), "utf8").catch(() => ""));
  if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
    await rm(lock, { recursive: true, force: true });
    return false;
  }
  // No pid yet: the owner is between mkdir and writeFile, unless it died there; give it a minute.
  if (!owner) {
    const st = await lstat(lock).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > 60_000) await rm(lock, { recursive: true, force: true });
  }
  return false;
}

async function pruneOthers(root: string, keep: string): Promise<void> {
  for (const name of await readdir(root)) {
    if (name === keep || name.endsWith(".lock")) continue;
    const path = join(root, name);
    const st = await stat(path).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > KEEP_MS && !existsSync(`${path}.lock`))
      await rm(path, { recursive: true, force: true });
  }
}
