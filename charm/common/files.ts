import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Local files between the charm and its workload: written atomically and 0600, read with a size bound. */

export const DESIRED_FILE = "desired.json";
export const SNAPSHOT_FILE = "status.json";
/** Both files are small; anything bigger is not ours and is refused, not parsed. */
export const MAX_STATE_FILE_BYTES = 16 * 1024 * 1024;

/** Write to a private temp file in the same folder, fsync, rename over: readers see old or new, never half. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * The file's text, or undefined when it does not exist; throws when it is larger than `max` bytes or is not a
 * regular file. Opened non-blocking, so a FIFO or device planted at the path cannot hang a hook.
 */
export async function readBoundedFile(path: string, max = MAX_STATE_FILE_BYTES): Promise<string | undefined> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    const { size } = stat;
    if (size > max) throw new Error(`${path} is ${size} bytes, over the ${max}-byte limit`);
    const buf = Buffer.alloc(Math.min(size, max) + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead > max) throw new Error(`${path} grew past the ${max}-byte limit while read`);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await fh.close();
  }
}
