import { constants, createWriteStream, existsSync } from "node:fs";
import { type FileHandle, lstat, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import yazl from "yazl";

/**
 * A `.charm` is a zip. Juju unpacks it on the unit; the model emulator does the same with `extractCharm`, and a
 * zip is outside input: its entry count, sizes, names and modes are checked before a byte is written, the
 * inflated data is held to the declared size, and nothing in it can write outside `dir`.
 */

export interface ArchiveLimits {
  /** Entries in the central directory (files and directories). */
  readonly maxEntries: number;
  /** Sum of the declared uncompressed sizes. */
  readonly maxTotalBytes: number;
  /** One entry's declared uncompressed size. */
  readonly maxEntryBytes: number;
  /** Bytes of a name (UTF-8). */
  readonly maxNameLength: number;
  /** Path segments of a name. */
  readonly maxDepth: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 10_000,
  maxTotalBytes: 512 * 1024 * 1024,
  maxEntryBytes: 256 * 1024 * 1024,
  maxNameLength: 4096,
  maxDepth: 64,
};

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
/** `versionMadeBy >> 8`: only a zip made on Unix carries a mode in the external attributes' high half. */
const MADE_ON_UNIX = 3;

export class CharmArchiveError extends Error {
  override readonly name = "CharmArchiveError";
}

/** An entry's name as error texts show it: quoted, control characters escaped, at most 200 characters. */
function shown(name: string): string {
  const q = JSON.stringify(name);
  return q.length > 200 ? `${q.slice(0, 197)}..."` : q;
}

/** Why a name is refused, or undefined. yauzl has already refused absolute paths, `..` and backslashes. */
function nameProblem(name: string, limits: ArchiveLimits): string | undefined {
  if (Buffer.byteLength(name) > limits.maxNameLength) return `name longer than ${limits.maxNameLength} bytes`;
  const segments = (name.endsWith("/") ? name.slice(0, -1) : name).split("/");
  if (segments.length > limits.maxDepth) return `deeper than ${limits.maxDepth} levels`;
  if (name.includes("\0")) return "NUL in the name";
  if (segments.some((s) => s === "" || s === "." || s === "..")) return "empty, `.` or `..` path segment";
  if (name.startsWith("/") || name.includes("\\")) return "absolute path or backslash";
  return undefined;
}

type Kind = "file" | "dir";

/** The entry's kind and the mode to give it: only the exec bit survives (0755/0644); links and devices fail. */
function kindAndMode(entry: yauzl.Entry): { kind: Kind; mode: number } | string {
  const isDirName = entry.fileName.endsWith("/");
  const unix = entry.versionMadeBy >> 8 === MADE_ON_UNIX ? entry.externalFileAttributes >>> 16 : 0;
  const type = unix & S_IFMT;
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR)
    return type === 0o120000 ? "a symbolic link" : `a special file (mode ${type.toString(8)})`;
  if (type === S_IFDIR || isDirName) {
    if (!isDirName || (type !== 0 && type !== S_IFDIR)) return "a directory whose name has no trailing /";
    return { kind: "dir", mode: 0o755 };
  }
  return { kind: "file", mode: unix & 0o111 ? 0o755 : 0o644 };
}

function openZip(archive: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      archive,
      // strictFileNames: a backslash is an error, not a separator (`..\x` must not become `../x` silently).
      {
        lazyEntries: true,
        validateEntrySizes: true,
        strictFileNames: true,
        decodeStrings: true,
        autoClose: true,
      },
      (err, zip) => (err || !zip ? reject(err) : resolve(zip)),
    );
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(err) : resolve(stream)));
  });
}

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** O_EXCL|O_NOFOLLOW: an existing file or a planted link at the path is an error, never a write target. */
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Where entries go: each path is resolved from an open handle on its parent directory, never from `dir`'s
 * path again, so a directory swapped for a link after it was made (by anyone writing in `dir` meanwhile)
 * cannot send a write outside. Node has no openat(2); `/proc/self/fd/<fd>/<name>` is Linux's equivalent:
 * the kernel resolves `<fd>` to the directory itself, wherever it now is, and O_NOFOLLOW guards `<name>`.
 */
class Target {
  private constructor(
    private readonly root: FileHandle,
    private readonly rootPath: string,
  ) {}

  static async open(dir: string): Promise<Target> {
    return new Target(await open(dir, DIR_FLAGS), dir);
  }

  /** Opens (making it if missing) the directory `segments` under the root; none may be a link or a file. */
  async dir(segments: readonly string[]): Promise<FileHandle> {
    let parent = this.root;
    let shownPath = this.rootPath;
    try {
      for (const segment of segments) {
        const path = `/proc/self/fd/${parent.fd}/${segment}`;
        shownPath = join(shownPath, segment);
        await mkdir(path, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "EEXIST") throw err;
        });
        const next = await open(path, DIR_FLAGS).catch((err: NodeJS.ErrnoException) => {
          if (err.code === "ELOOP" || err.code === "ENOTDIR")
            throw new CharmArchiveError(`${shownPath} exists and is not a directory`);
          throw err;
        });
        if (parent !== this.root) await parent.close();
        parent = next;
      }
      return parent;
    } catch (err) {
      if (parent !== this.root) await parent.close();
      throw err;
    }
  }

  /** Creates the file `name` in `parent` (never an existing one, never through a link). */
  createFile(parent: FileHandle, name: string): Promise<FileHandle> {
    return open(`/proc/self/fd/${parent.fd}/${name}`, FILE_FLAGS, 0o600);
  }

  /** Closes a handle `dir` gave (the root stays open until `close`). */
  async release(handle: FileHandle): Promise<void> {
    if (handle !== this.root) await handle.close();
  }

  close(): Promise<void> {
    return this.root.close();
  }
}

/** Whether this system has /proc/self/fd (Linux); without it entries are made by path (see ensureDirs). */
const HAS_PROC_FD = existsSync("/proc/self/fd");

/** Creates each missing directory of `rel` under `root`; an existing one must be a real directory, not a link. */
async function ensureDirs(root: string, segments: readonly string[], made: Set<string>): Promise<void> {
  let path = root;
  for (const segment of segments) {
    path = join(path, segment);
    if (made.has(path)) continue;
    try {
      await mkdir(path, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const st = await lstat(path);
      if (!st.isDirectory() || st.isSymbolicLink())
        throw new CharmArchiveError(`${path} exists and is not a directory`);
    }
    made.add(path);
  }
}

/** For tests: called for each file entry once its directory exists, right before the file is created. */
export interface ExtractObserver {
  beforeFile?(name: string): void | Promise<void>;
}

/**
 * Unpacks a `.charm` (a zip) into `dir` (created if missing; existing entries are never overwritten and
 * links in it never followed), refusing anything hostile with an error naming the entry: too many entries,
 * declared sizes over the limits, data that inflates past its declared size, absolute, `..`, backslash or
 * duplicate names, symbolic links, devices, encrypted entries. On an error, `dir` may hold a partial tree:
 * the caller removes it.
 */
export async function extractCharm(
  archive: string,
  dir: string,
  limits: Partial<ArchiveLimits> = {},
  observer: ExtractObserver = {},
): Promise<void> {
  const lim = { ...DEFAULT_ARCHIVE_LIMITS, ...limits };
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(archive);
  } catch (err) {
    throw new CharmArchiveError(`${archive}: not a readable zip: ${(err as Error).message}`);
  }
  try {
    if (zip.entryCount > lim.maxEntries)
      throw new CharmArchiveError(
        `${archive}: ${zip.entryCount} entries, more than the ${lim.maxEntries} allowed`,
      );
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const rootStat = await lstat(dir);
    if (!rootStat.isDirectory()) throw new CharmArchiveError(`${dir} is not a directory`);
    const target = HAS_PROC_FD ? await Target.open(dir) : undefined;
    try {
      await extractEntries(zip, archive, dir, lim, target, observer);
    } finally {
      await target?.close();
    }
  } finally {
    zip.close();
  }
}

function extractEntries(
  zip: yauzl.ZipFile,
  archive: string,
  dir: string,
  lim: ArchiveLimits,
  target: Target | undefined,
  observer: ExtractObserver,
) {
  const seen = new Set<string>();
  const made = new Set<string>();
  let total = 0;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const fail = (err: unknown, entry?: string) => {
      if (done) return;
      done = true;
      const text = err instanceof Error ? err.message : String(err);
      reject(
        err instanceof CharmArchiveError
          ? err
          : new CharmArchiveError(`${archive}: ${entry ? `entry ${shown(entry)}: ` : ""}${text}`),
      );
    };
    zip.on("error", (err) => fail(err));
    zip.on("end", () => {
      if (!done) {
        done = true;
        resolve();
      }
    });
    zip.on("entry", (entry: yauzl.Entry) => {
      const name = entry.fileName;
      const refuse = (why: string) => fail(new CharmArchiveError(`${archive}: entry ${shown(name)}: ${why}`));
      const problem = nameProblem(name, lim);
      if (problem) return refuse(problem);
      const key = name.endsWith("/") ? name.slice(0, -1) : name;
      if (seen.has(key)) return refuse("duplicate name");
      seen.add(key);
      const km = kindAndMode(entry);
      if (typeof km === "string") return refuse(`is ${km}`);
      if (entry.isEncrypted()) return refuse("is encrypted");
      if (entry.uncompressedSize > lim.maxEntryBytes)
        return refuse(`declares ${entry.uncompressedSize} bytes, more than the ${lim.maxEntryBytes} allowed`);
      total += entry.uncompressedSize;
      if (total > lim.maxTotalBytes)
        return refuse(`brings the archive past the ${lim.maxTotalBytes} bytes allowed in all`);
      const segments = key.split("/");
      const write = target
        ? writeUnder(target, zip, entry, segments, km, observer)
        : km.kind === "dir"
          ? ensureDirs(dir, segments, made)
          : ensureDirs(dir, segments.slice(0, -1), made).then(async () => {
              await observer.beforeFile?.(name);
              await writeEntry(zip, entry, () => open(join(dir, ...segments), FILE_FLAGS, 0o600), km.mode);
            });
      write.then(
        () => zip.readEntry(),
        (err) => fail(err, name),
      );
    });
    zip.readEntry();
  });
}

/** Makes a directory entry, or a file entry's directory and then the file, all through `target`. */
async function writeUnder(
  target: Target,
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  segments: readonly string[],
  km: { kind: Kind; mode: number },
  observer: ExtractObserver,
): Promise<void> {
  const parent = await target.dir(km.kind === "dir" ? segments : segments.slice(0, -1));
  try {
    if (km.kind === "dir") return;
    await observer.beforeFile?.(entry.fileName);
    await writeEntry(zip, entry, () => target.createFile(parent, segments.at(-1)!), km.mode);
  } finally {
    await target.release(parent);
  }
}

async function writeEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  create: () => Promise<FileHandle>,
  mode: number,
) {
  const handle = await create();
  try {
    // validateEntrySizes: the stream errors as soon as it inflates past the declared size.
    for await (const chunk of await openEntry(zip, entry)) await handle.write(chunk as Buffer);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

/** True when `path` is a regular file that starts like a zip (a local header, or an empty zip's end record). */
export async function isCharmArchive(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isFile() || st.size < 4) return false;
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    const sig = head.readUInt32LE(0);
    return sig === 0x04034b50 || sig === 0x06054b50;
  } finally {
    await handle.close();
  }
}

export interface ZipEntry {
  /** The name in the zip (`/`-separated, relative). */
  readonly name: string;
  /** The content (a string is UTF-8 text), or `{ file }`: a file to stream it from. */
  readonly data: Buffer | string | { readonly file: string };
  /** Executable (0755) or not (0644). */
  readonly executable?: boolean;
}

/**
 * Writes `entries` to `out` as a deflated zip with Unix modes, sorted by name, each with the same `mtime`, so
 * the same entries make the same bytes. Returns the archive's size.
 */
export async function writeZip(
  entries: readonly ZipEntry[],
  out: string,
  opts: { mtime?: Date } = {},
): Promise<number> {
  const mtime = opts.mtime ?? new Date(Date.UTC(2000, 0, 1));
  const zip = new yazl.ZipFile();
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of sorted) {
    const options = { mtime, mode: S_IFREG | (e.executable ? 0o755 : 0o644), compress: true };
    if (typeof e.data === "string" || Buffer.isBuffer(e.data))
      zip.addBuffer(Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data), e.name, options);
    else zip.addFile(e.data.file, e.name, options);
  }
  // yazl reports a file it cannot read on the ZipFile, not on its output stream.
  const failed = new Promise<never>((_, reject) => zip.on("error", reject));
  failed.catch(() => undefined);
  zip.end();
  let bytes = 0;
  zip.outputStream.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  await Promise.race([pipeline(zip.outputStream, createWriteStream(out, { mode: 0o644 })), failed]);
  return bytes;
}
