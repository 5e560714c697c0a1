import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Reads at most `max` bytes of a file; undefined when it does not exist. Longer files are an error. */
export async function readBounded(path: string, max: number): Promise<string | undefined> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    while (n <= max) {
      const { bytesRead } = await fh.read(buf, n, max + 1 - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > max) throw new Error(`${basename(path)} is larger than ${max} bytes`);
    return buf.subarray(0, n).toString("latin1");
  } finally {
    await fh.close();
  }
}

/**
 * Writes a file that holds passwords: a 0600 temporary file in the same directory, then rename, so a worker
 * (re)starting meanwhile reads the old file or the new one, never half of one.
 */
export async function writeSecretFileAtomically(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, text, { encoding: "latin1", mode: 0o600, flag: "wx" });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Relation numbers that own a plugin directory (`relation-<n>-…`, or a `.relation-<n>-…` staging dir). */
export async function pluginDirRelations(pluginRoot: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(pluginRoot);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out = new Set<number>();
  for (const name of names) {
    const m = /^\.?relation-(0|[1-9][0-9]{0,8})-/.exec(name);
    if (m) out.add(Number(m[1]));
  }
  return [...out].sort((a, b) => a - b);
}
