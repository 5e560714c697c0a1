/**
 * Pure rules for what a plugin tarball may contain. Every entry is checked before anything is written, and one
 * bad entry refuses the whole archive: a worker never sees a partly extracted plugin.
 */
export interface ArchiveEntry {
  /** The effective path (after pax / GNU long-name headers). */
  readonly path: string;
  /** node-tar's type name: File, Directory, SymbolicLink, Link, CharacterDevice, … */
  readonly type: string;
  readonly linkpath?: string;
  readonly size: number;
}

export interface ArchiveLimits {
  readonly maxEntries: number;
  readonly maxUnpackedBytes: number;
}

/**
 * Bounds no real plugin tarball reaches, checked before any other rule so that no check costs more than the
 * path's length: Java packages nest deep, but not 256 levels (node-tar itself stops at 1024), and Linux's
 * PATH_MAX is 4096 bytes. The totals bound what the checker keeps in memory until `finish()`.
 */
export const ARCHIVE_PATH_LIMITS = {
  /** Bytes (UTF-8) of one entry path or link target. */
  maxPathBytes: 4096,
  /** Segments of one entry path or link target. */
  maxPathDepth: 256,
  /** All entry paths and link targets together. */
  maxTotalPathBytes: 32 * 1024 * 1024,
  /** Symlinks in one archive (plugins ship jars; a few native libraries may come with version links). */
  maxSymlinks: 1024,
} as const;

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
const DIRECTORY_TYPES = new Set(["Directory", "GNUDumpDir"]);
const TYPE_WORDS: Record<string, string> = {
  CharacterDevice: "a character device",
  BlockDevice: "a block device",
  FIFO: "a FIFO",
};

/** An entry path for messages: quoted, escaped, and short (never more than ~80 characters of it are read). */
export function showPath(path: string): string {
  const shown = JSON.stringify(path.length > 100 ? path.slice(0, 100) : path);
  return shown.length > 82 ? `${shown.slice(0, 80)}…"` : shown;
}

function isAbsolute(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:/.test(path);
}

/** Path segments without "" and "." (".." kept). */
function splitPath(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}

/**
 * The segments of a path or link target, or why it is too long or too deep to check. The length is checked
 * before the path is split, so no later step costs more than 4096 bytes' worth.
 */
function measure(path: string, what: () => string): string[] | string {
  const { maxPathBytes, maxPathDepth } = ARCHIVE_PATH_LIMITS;
  // UTF-8 takes at least 1 byte per UTF-16 unit: a longer string is refused before it is measured.
  if (path.length > maxPathBytes || Buffer.byteLength(path) > maxPathBytes) {
    return `${what()} is longer than ${maxPathBytes} bytes`;
  }
  const parts = splitPath(path);
  return parts.length > maxPathDepth ? `${what()} is more than ${maxPathDepth} levels deep` : parts;
}

/** Resolves a symlink target against the link's directory; false when it climbs above the root. */
function staysInside(linkDirDepth: number, target: readonly string[]): boolean {
  let depth = linkDirDepth;
  for (const part of target) {
    depth += part === ".." ? -1 : 1;
    if (depth < 0) return false;
  }
  return true;
}

/** An entry's problem, or its path segments (no "", ".", "..") and its link target's. */
function examine(entry: ArchiveEntry): string | { parts: string[]; target: string[] } {
  const name = () => showPath(entry.path);
  const parts = measure(entry.path, () => `entry ${name()}`);
  if (typeof parts === "string") return parts;
  const target =
    entry.linkpath === undefined ? [] : measure(entry.linkpath, () => `the target of link ${name()}`);
  if (typeof target === "string") return target;
  if (isAbsolute(entry.path)) return `entry ${name()} has an absolute path`;
  if (parts.includes("..")) return `entry ${name()} has a ".." segment`;
  const word = TYPE_WORDS[entry.type];
  if (word) return `entry ${name()} is ${word}`;
  const isLink = entry.type === "SymbolicLink" || entry.type === "Link";
  if (!isLink && !FILE_TYPES.has(entry.type) && !DIRECTORY_TYPES.has(entry.type)) {
    return `entry ${name()} has an unsupported type (${entry.type})`;
  }
  if (parts.length === 0 && !DIRECTORY_TYPES.has(entry.type))
    return `entry ${name()} would replace the plugin directory`;
  const linkpath = entry.linkpath ?? "";
  if (entry.type === "SymbolicLink") {
    if (linkpath === "" || isAbsolute(linkpath)) return `symlink ${name()} points to an absolute path`;
    if (!staysInside(parts.length - 1, target))
      return `symlink ${name()} points outside the plugin directory`;
  }
  if (entry.type === "Link" && (linkpath === "" || isAbsolute(linkpath) || target.includes(".."))) {
    return `hardlink ${name()} points outside the plugin directory`;
  }
  return { parts, target };
}

/** The problem with one entry on its own, or undefined. */
export function entryProblem(entry: ArchiveEntry): string | undefined {
  const result = examine(entry);
  return typeof result === "string" ? result : undefined;
}

/** A node of the tree of symlink paths: the archive's symlinks and the directories leading to them. */
interface SymlinkNode {
  readonly children: Map<string, SymlinkNode>;
  /** The symlink's path when this node is one. */
  symlink?: string;
}

/**
 * Feeds entries one by one (so limits stop a hostile archive early), then checks what needs the whole list:
 * nothing may be written through a symlink, and no symlink may resolve through another one (a link to "."
 * followed by "../x" escapes although each looks harmless on its own). Symlinks are kept as a tree of path
 * segments, so each check walks an entry's path once: linear in its length, however deep.
 */
export class ArchiveChecker {
  entries = 0;
  unpackedBytes = 0;
  #pathBytes = 0;
  #symlinkCount = 0;
  readonly #files = new Set<string>();
  readonly #symlinks: SymlinkNode = { children: new Map() };
  readonly #seen: { key: string; entry: ArchiveEntry }[] = [];

  constructor(private readonly limits: ArchiveLimits) {}

  /** The entries accepted so far, in order. */
  get accepted(): readonly ArchiveEntry[] {
    return this.#seen.map(({ entry }) => entry);
  }

  add(entry: ArchiveEntry): string | undefined {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries)
      return `archive has more than ${this.limits.maxEntries} entries`;
    this.unpackedBytes += entry.size;
    if (this.unpackedBytes > this.limits.maxUnpackedBytes) {
      return `archive unpacks to more than ${this.limits.maxUnpackedBytes} bytes`;
    }
    const examined = examine(entry);
    if (typeof examined === "string") return examined;
    const { maxTotalPathBytes, maxSymlinks } = ARCHIVE_PATH_LIMITS;
    this.#pathBytes += entry.path.length + (entry.linkpath?.length ?? 0);
    if (this.#pathBytes > maxTotalPathBytes) {
      return `archive's paths add up to more than ${maxTotalPathBytes} bytes`;
    }
    const { parts } = examined;
    const key = parts.join("/");
    if (entry.type === "Link") {
      // Tar writes a hardlink after the file it repeats; anything else (a link to a symlink re-anchors the
      // symlink's relative target) is refused.
      if (!this.#files.has(examined.target.join("/"))) {
        return `hardlink ${showPath(entry.path)} does not point to a file earlier in the archive`;
      }
    }
    if (FILE_TYPES.has(entry.type)) this.#files.add(key);
    else this.#files.delete(key);
    if (entry.type === "SymbolicLink") {
      this.#symlinkCount += 1;
      if (this.#symlinkCount > maxSymlinks) return `archive has more than ${maxSymlinks} symlinks`;
      this.#addSymlink(parts, key);
    }
    this.#seen.push({ key, entry });
    return undefined;
  }

  #addSymlink(parts: readonly string[], key: string): void {
    let node = this.#symlinks;
    for (const part of parts) {
      let child = node.children.get(part);
      if (!child) {
        child = { children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    }
    node.symlink = key;
  }

  /** The symlink among the proper ancestors of `parts`, if any. */
  #symlinkAbove(parts: readonly string[]): string | undefined {
    let node: SymlinkNode | undefined = this.#symlinks;
    for (let i = 0; i < parts.length - 1 && node; i++) {
      node = node.children.get(parts[i] as string);
      if (node?.symlink !== undefined) return node.symlink;
    }
    return undefined;
  }

  /** The symlink a link target passes through on its way (its last segment excluded), if any. */
  #symlinkPassed(linkDir: readonly string[], target: string): string | undefined {
    // The walk keeps the tree nodes of the current path: ".." pops, a name pushes; off the tree is undefined.
    const path: (SymlinkNode | undefined)[] = [];
    let node: SymlinkNode | undefined = this.#symlinks;
    for (const part of linkDir) {
      node = node?.children.get(part);
      path.push(node);
    }
    const parts = splitPath(target);
    for (const [i, part] of parts.entries()) {
      if (part === "..") {
        path.pop();
        continue;
      }
      const parent: SymlinkNode | undefined = path.length === 0 ? this.#symlinks : path[path.length - 1];
      const child = parent?.children.get(part);
      path.push(child);
      if (i < parts.length - 1 && child?.symlink !== undefined) return child.symlink;
    }
    return undefined;
  }

  finish(): string | undefined {
    // Without symlinks there is nothing to pass through.
    if (this.#symlinkCount === 0) return undefined;
    for (const { key, entry } of this.#seen) {
      const parts = key === "" ? [] : key.split("/");
      const above = this.#symlinkAbove(parts);
      if (above !== undefined) {
        return `entry ${showPath(entry.path)} is inside symlink ${showPath(above)}`;
      }
      if (entry.type === "SymbolicLink") {
        const through = this.#symlinkPassed(parts.slice(0, -1), entry.linkpath ?? "");
        if (through !== undefined) {
          return `symlink ${showPath(entry.path)} points through symlink ${showPath(through)}`;
        }
      }
    }
    return undefined;
  }
}

/** What the first bytes say: gzip (magic 1f 8b), a tar header (valid header checksum), or neither. */
export function detectFormat(head: Buffer): "gzip" | "tar" | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  // node-tar would decompress a zstd frame, even one whose first block also reads as a tar header.
  if (isZstd(head)) return undefined;
  if (head.length >= 512 && tarHeaderChecksumOk(head.subarray(0, 512))) return "tar";
  return undefined;
}

/** The ustar/v7 header checksum: the sum of the header bytes with the checksum field read as spaces. */
function tarHeaderChecksumOk(block: Buffer): boolean {
  const field = block
    .subarray(148, 156)
    .toString("latin1")
    .replace(/[\0 ]+$/, "")
    .trim();
  if (!/^[0-7]+$/.test(field)) return false;
  const stored = Number.parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  // Some old tars summed signed chars; both are accepted, as GNU tar does.
  return stored === unsigned || stored === signed;
}

function isZstd(head: Buffer): boolean {
  return head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd;
}

/** A hint at what a non-archive download is, for the status message. */
export function describeHead(head: Buffer): string {
  if (head.length === 0) return "the body is empty";
  const starts = (...bytes: number[]) => bytes.every((byte, i) => head[i] === byte);
  if (isZstd(head)) return "it is zstd-compressed";
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return "it is xz-compressed";
  if (starts(0x42, 0x5a, 0x68)) return "it is bzip2-compressed";
  if (starts(0x50, 0x4b, 0x03, 0x04)) return "it is a zip file";
  const text = head.subarray(0, 64).toString("latin1").trimStart().toLowerCase();
  if (text.startsWith("<")) return "it looks like HTML or XML";
  return "no tar header at the start";
}
