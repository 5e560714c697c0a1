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

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
const DIRECTORY_TYPES = new Set(["Directory", "GNUDumpDir"]);
const TYPE_WORDS: Record<string, string> = {
  CharacterDevice: "a character device",
  BlockDevice: "a block device",
  FIFO: "a FIFO",
};

/** An entry path for messages: quoted, escaped, and short. */
export function showPath(path: string): string {
  const shown = JSON.stringify(path);
  return shown.length > 82 ? `${shown.slice(0, 80)}…"` : shown;
}

function isAbsolute(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:/.test(path);
}

/** Path segments without "" and "."; undefined when a segment is "..". */
function segments(path: string): string[] | undefined {
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  return parts.includes("..") ? undefined : parts;
}

/**
 * Resolves a symlink target against the link's directory. Returns the resolved segments and every proper
 * prefix passed through on the way, or undefined when it climbs above the root.
 */
function resolveLink(
  linkDir: string[],
  target: string,
): { resolved: string[]; passed: string[] } | undefined {
  const stack = [...linkDir];
  const passed: string[] = [];
  const parts = target.split("/").filter((part) => part !== "" && part !== ".");
  for (const [i, part] of parts.entries()) {
    if (part === "..") {
      if (stack.length === 0) return undefined;
      stack.pop();
    } else {
      stack.push(part);
      if (i < parts.length - 1) passed.push(stack.join("/"));
    }
  }
  return { resolved: stack, passed };
}

/** The problem with one entry on its own, or undefined. */
export function entryProblem(entry: ArchiveEntry): string | undefined {
  const name = showPath(entry.path);
  if (isAbsolute(entry.path)) return `entry ${name} has an absolute path`;
  const parts = segments(entry.path);
  if (!parts) return `entry ${name} has a ".." segment`;
  const word = TYPE_WORDS[entry.type];
  if (word) return `entry ${name} is ${word}`;
  const isLink = entry.type === "SymbolicLink" || entry.type === "Link";
  if (!isLink && !FILE_TYPES.has(entry.type) && !DIRECTORY_TYPES.has(entry.type)) {
    return `entry ${name} has an unsupported type (${entry.type})`;
  }
  if (parts.length === 0 && !DIRECTORY_TYPES.has(entry.type))
    return `entry ${name} would replace the plugin directory`;
  const target = entry.linkpath ?? "";
  if (entry.type === "SymbolicLink") {
    if (target === "" || isAbsolute(target)) return `symlink ${name} points to an absolute path`;
    if (!resolveLink(parts.slice(0, -1), target))
      return `symlink ${name} points outside the plugin directory`;
  }
  if (entry.type === "Link" && (target === "" || isAbsolute(target) || !segments(target))) {
    return `hardlink ${name} points outside the plugin directory`;
  }
  return undefined;
}

/**
 * Feeds entries one by one (so limits stop a hostile archive early), then checks what needs the whole list:
 * nothing may be written through a symlink, and no symlink may resolve through another one (a link to "."
 * followed by "../x" escapes although each looks harmless on its own).
 */
export class ArchiveChecker {
  entries = 0;
  unpackedBytes = 0;
  readonly #files = new Set<string>();
  readonly #symlinks = new Set<string>();
  readonly #seen: { parts: string[]; entry: ArchiveEntry }[] = [];

  constructor(private readonly limits: ArchiveLimits) {}

  add(entry: ArchiveEntry): string | undefined {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries)
      return `archive has more than ${this.limits.maxEntries} entries`;
    this.unpackedBytes += entry.size;
    if (this.unpackedBytes > this.limits.maxUnpackedBytes) {
      return `archive unpacks to more than ${this.limits.maxUnpackedBytes} bytes`;
    }
    const problem = entryProblem(entry);
    if (problem) return problem;
    const parts = segments(entry.path) ?? [];
    const key = parts.join("/");
    if (entry.type === "Link") {
      // Tar writes a hardlink after the file it repeats; anything else (a link to a symlink re-anchors the
      // symlink's relative target) is refused.
      const target = (segments(entry.linkpath ?? "") ?? []).join("/");
      if (!this.#files.has(target)) {
        return `hardlink ${showPath(entry.path)} does not point to a file earlier in the archive`;
      }
    }
    if (FILE_TYPES.has(entry.type)) this.#files.add(key);
    else this.#files.delete(key);
    if (entry.type === "SymbolicLink") this.#symlinks.add(key);
    this.#seen.push({ parts, entry });
    return undefined;
  }

  finish(): string | undefined {
    for (const { parts, entry } of this.#seen) {
      for (let i = 1; i < parts.length; i++) {
        const ancestor = parts.slice(0, i).join("/");
        if (this.#symlinks.has(ancestor)) {
          return `entry ${showPath(entry.path)} is inside symlink ${showPath(ancestor)}`;
        }
      }
      if (entry.type === "SymbolicLink") {
        const walk = resolveLink(parts.slice(0, -1), entry.linkpath ?? "");
        const through = walk?.passed.find((prefix) => this.#symlinks.has(prefix));
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

/** A hint at what a non-archive download is, for the status message. */
export function describeHead(head: Buffer): string {
  if (head.length === 0) return "the body is empty";
  const starts = (...bytes: number[]) => bytes.every((byte, i) => head[i] === byte);
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return "it is zstd-compressed";
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return "it is xz-compressed";
  if (starts(0x42, 0x5a, 0x68)) return "it is bzip2-compressed";
  if (starts(0x50, 0x4b, 0x03, 0x04)) return "it is a zip file";
  const text = head.subarray(0, 64).toString("latin1").trimStart().toLowerCase();
  if (text.startsWith("<")) return "it looks like HTML or XML";
  return "no tar header at the start";
}
