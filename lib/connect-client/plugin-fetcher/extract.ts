import { createReadStream } from "node:fs";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { ReadEntry, x as untar } from "tar";
import { ArchiveChecker, type ArchiveEntry, type ArchiveLimits, showPath } from "./archive-rules.js";
import { isErrnoException, PluginFetchError, throwIfAborted } from "./errors.js";
import { MalformedTar, RefusedTar, TarScanner } from "./tar-scan.js";

function unsafe(problem: string, url: string): PluginFetchError {
  return new PluginFetchError({
    kind: "unsafe-archive",
    transient: false,
    problem: `unsafe archive: ${problem}`,
    fix: "rebuild the plugin tarball with relative paths inside one directory",
    url,
  });
}

export function notAnArchive(detail: string, url: string, cause?: unknown): PluginFetchError {
  return new PluginFetchError({
    kind: "not-an-archive",
    transient: false,
    problem: `download is not a tar or gzip-compressed tar archive (${detail})`,
    fix: "serve a .tar or .tar.gz at plugin-url",
    url,
    cause,
  });
}

/** tar's message without the file name it may append (the temp path means nothing to a user). */
function tarProblem(err: Error): string {
  return err.message.split("\n")[0]?.slice(0, 120) ?? "unreadable";
}

/** What inspection read, for extraction to compare against. */
export interface InspectedArchive {
  readonly entries: number;
  /** Bytes of the (decompressed) tar stream, headers and padding included. */
  readonly streamBytes: number;
  /** Sum of the entries' sizes. */
  readonly unpackedBytes: number;
  /** Every entry in order, as inspected. */
  readonly manifest: readonly ArchiveEntry[];
}

export interface InspectionBudget {
  /** Inspection stops (a permanent "unsafe-archive") once this much time has passed. */
  readonly timeoutMs: number;
  /** Aborts the inspection (a transient "aborted"). */
  readonly signal?: AbortSignal;
  /** Injectable for tests: milliseconds from any fixed point. */
  readonly now?: () => number;
}

class OutOfTime extends Error {}

/**
 * Reads the whole archive once, checking every entry, before anything is extracted. Every decompressed byte is
 * counted against maxUnpackedBytes as it comes out of gunzip, and the read stops at the first limit crossed (a
 * zip bomb is never inflated in full). Reading stops at the end-of-archive marker too: only a little zero
 * padding may follow. The time budget and the abort signal are checked on every chunk.
 */
export async function inspectArchive(
  file: string,
  format: "gzip" | "tar",
  limits: ArchiveLimits,
  url: string,
  budget: InspectionBudget,
): Promise<InspectedArchive> {
  const now = budget.now ?? (() => performance.now());
  const deadline = now() + budget.timeoutMs;
  const checker = new ArchiveChecker(limits);
  const scanner = new TarScanner((entry: ReadEntry) => {
    const problem = checker.add({
      path: entry.path,
      type: entry.type,
      linkpath: entry.linkpath,
      size: entry.size,
    });
    if (problem) throw new RefusedTar(problem);
  });
  const input = createReadStream(file, { highWaterMark: 64 * 1024 });
  const gunzip = format === "gzip" ? createGunzip() : undefined;
  // pipeline() forwards errors (and destruction) between the file and gunzip; iteration reads the last one.
  const stream = gunzip ? pipeline(input, gunzip, () => undefined) : input;
  let streamBytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      throwIfAborted(budget.signal);
      if (now() > deadline) throw new OutOfTime();
      streamBytes += chunk.length;
      if (streamBytes > limits.maxUnpackedBytes) {
        throw new RefusedTar(`archive unpacks to more than ${limits.maxUnpackedBytes} bytes`);
      }
      scanner.write(chunk);
    }
    throwIfAborted(budget.signal);
    scanner.end();
  } catch (err) {
    if (err instanceof PluginFetchError) throw err;
    if (err instanceof RefusedTar) throw unsafe(err.message, url);
    if (err instanceof OutOfTime) {
      throw unsafe(`inspecting the archive took longer than ${formatSeconds(budget.timeoutMs)}`, url);
    }
    if (err instanceof MalformedTar) throw notAnArchive(err.message, url, err);
    if (isErrnoException(err) && err.path === file) throw err;
    // gunzip's own errors: a damaged or truncated gzip stream.
    throw notAnArchive(err instanceof Error ? tarProblem(err) : String(err), url, err);
  } finally {
    gunzip?.destroy();
    input.destroy();
  }
  const problem = checker.finish();
  if (problem) throw unsafe(problem, url);
  return {
    entries: checker.entries,
    streamBytes,
    unpackedBytes: checker.unpackedBytes,
    manifest: checker.accepted,
  };
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Modes are normalised, not trusted: directories 0755, files 0644 or 0755 when any execute bit was set. No
 * setuid/setgid/sticky bit survives, and the worker (another user) can always read what root extracted.
 */
function normaliseMode(entry: ReadEntry): void {
  if (entry.type === "Directory" || entry.type === "GNUDumpDir") entry.mode = 0o755;
  else entry.mode = (entry.mode ?? 0) & 0o111 ? 0o755 : 0o644;
}

/**
 * Extracts an inspected archive into `dest` (an empty directory), owned by this process's user. node-tar reads
 * the file again, so every entry is compared with what inspection saw, in order: should the two readings ever
 * differ, nothing more is written and the archive is refused (the caller discards `dest`).
 */
export async function extractArchive(
  file: string,
  dest: string,
  url: string,
  manifest: readonly ArchiveEntry[],
): Promise<void> {
  let index = 0;
  let mismatch: string | undefined;
  try {
    await untar({
      file,
      cwd: dest,
      strict: true,
      // Only what inspection decompressed (gzip, or none) may be decompressed here.
      zstd: false,
      brotli: false,
      preserveOwner: false,
      chmod: true,
      processUmask: 0o022,
      filter: (path, entry) => {
        const expected = manifest[index];
        index += 1;
        if (mismatch) return false;
        const type = entry instanceof ReadEntry ? entry.type : undefined;
        const linkpath = entry instanceof ReadEntry ? entry.linkpath : undefined;
        if (!expected || expected.path !== path || expected.type !== type || expected.linkpath !== linkpath) {
          mismatch = `entry ${showPath(path)} reads differently on extraction than on inspection`;
          return false;
        }
        if (entry instanceof ReadEntry) normaliseMode(entry);
        return true;
      },
    });
  } catch (err) {
    if (isErrnoException(err) && !err.code?.startsWith("TAR_")) throw err;
    // tar's own guards caught something the inspection let through: still an unsafe archive.
    throw unsafe(err instanceof Error ? tarProblem(err) : String(err), url);
  }
  if (!mismatch && index !== manifest.length) {
    mismatch = `extraction read ${index} entries where inspection read ${manifest.length}`;
  }
  if (mismatch) throw unsafe(mismatch, url);
}
