import { createReadStream } from "node:fs";
import { Parser, ReadEntry, x as untar } from "tar";
import { ArchiveChecker, type ArchiveLimits, showPath } from "./archive-rules.js";
import { isErrnoException, PluginFetchError } from "./errors.js";

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

class Violation extends Error {}

/** tar's message without the file name it may append (the temp path means nothing to a user). */
function tarProblem(err: Error): string {
  return err.message.split("\n")[0]?.slice(0, 120) ?? "unreadable";
}

/**
 * Reads the whole archive once, checking every entry, before anything is extracted. Limits stop the read as
 * soon as they are crossed (a zip bomb is never inflated in full); tar's own decompression-ratio guard stays on.
 */
export async function inspectArchive(
  file: string,
  limits: ArchiveLimits,
  url: string,
): Promise<{ entries: number; unpackedBytes: number }> {
  const checker = new ArchiveChecker(limits);
  const parser = new Parser({ strict: true });
  const input = createReadStream(file);
  try {
    await new Promise<void>((resolve, reject) => {
      const refuse = (problem: string) => parser.abort(new Violation(problem));
      parser.on("entry", (entry: ReadEntry) => {
        const problem = checker.add({
          path: entry.path,
          type: entry.type,
          linkpath: entry.linkpath,
          size: entry.size,
        });
        if (problem) refuse(problem);
        entry.resume();
      });
      // Types tar would silently skip (sparse files, volume headers, oversized meta headers) are refused.
      parser.on("ignoredEntry", (entry: ReadEntry) => {
        refuse(`entry ${showPath(entry.path)} has an unsupported type (${entry.type})`);
      });
      parser.on("error", reject);
      parser.on("end", resolve);
      input.on("error", reject);
      input.pipe(parser as unknown as NodeJS.WritableStream);
    });
  } catch (err) {
    if (err instanceof Violation) throw unsafe(err.message, url);
    if (isErrnoException(err) && err.path === file) throw err;
    const message = err instanceof Error ? tarProblem(err) : String(err);
    if (message.includes("decompression ratio")) throw unsafe(message, url);
    throw notAnArchive(message, url, err);
  } finally {
    input.destroy();
  }
  const problem = checker.finish();
  if (problem) throw unsafe(problem, url);
  return { entries: checker.entries, unpackedBytes: checker.unpackedBytes };
}

/**
 * Modes are normalised, not trusted: directories 0755, files 0644 or 0755 when any execute bit was set. No
 * setuid/setgid/sticky bit survives, and the worker (another user) can always read what root extracted.
 */
function normaliseMode(entry: ReadEntry): void {
  if (entry.type === "Directory" || entry.type === "GNUDumpDir") entry.mode = 0o755;
  else entry.mode = (entry.mode ?? 0) & 0o111 ? 0o755 : 0o644;
}

/** Extracts an inspected archive into `dest` (an empty directory), owned by this process's user. */
export async function extractArchive(file: string, dest: string, url: string): Promise<void> {
  try {
    await untar({
      file,
      cwd: dest,
      strict: true,
      preserveOwner: false,
      chmod: true,
      processUmask: 0o022,
      filter: (_path, entry) => {
        if (entry instanceof ReadEntry) normaliseMode(entry);
        return true;
      },
    });
  } catch (err) {
    if (isErrnoException(err) && !err.code?.startsWith("TAR_")) throw err;
    // tar's own guards caught something the inspection let through: still an unsafe archive.
    throw unsafe(err instanceof Error ? tarProblem(err) : String(err), url);
  }
}
