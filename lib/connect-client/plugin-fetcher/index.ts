import { chmod, lstat, mkdir, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Agent } from "undici";
import { type ArchiveEntry, describeHead, detectFormat } from "./archive-rules.js";
import { type OfferedDigest, parseDigest, parseReprDigest, verifyDigests } from "./checksum.js";
import { assertRelationId, pluginDirName, tempName } from "./dirs.js";
import { downloadOnce } from "./download.js";
import { filesystemError, isErrnoException, PluginFetchError, throwIfAborted } from "./errors.js";
import { extractArchive, inspectArchive, notAnArchive } from "./extract.js";
import { abortableSleep, withRetries } from "./retry.js";
import { pluginConnector } from "./trust.js";
import { parsePluginUrl } from "./url.js";

export { digestHeaders } from "./checksum.js";
export { pluginDirName, removePluginDirs } from "./dirs.js";
export type { PluginFetchErrorKind } from "./errors.js";
export { PluginFetchError } from "./errors.js";
export type { PluginUrl } from "./url.js";
export { parsePluginUrl, withSha512Fragment } from "./url.js";

export interface FetchPluginOptions {
  /** The requirer's plugin-url, possibly with `#sha512=<hex>`. Never NOT-REQUIRED: the caller checks. */
  readonly url: string;
  /** The worker's plugin.path: the plugin directory and all temporary files go here. */
  readonly pluginRoot: string;
  readonly relationId: number;
  /** Refuse bodies larger than this (Content-Length up front, and while streaming). Default 512 MiB. */
  readonly maxBytes?: number;
  /** Per try, for connecting, the response headers and the whole body together. Default 60 s. */
  readonly timeoutMs?: number;
  /** Tries for transient failures, the first included. Default 4. */
  readonly attempts?: number;
  /** First wait between tries, doubling. Default 500 ms. */
  readonly backoffMs?: number;
  /** Longest wait between tries (also caps Retry-After). Default 8 s. */
  readonly backoffCapMs?: number;
  /** Default 5. */
  readonly maxRedirects?: number;
  /** Zip-bomb guard: the sum of entry sizes. Default 4 × maxBytes. */
  readonly maxUnpackedBytes?: number;
  /** Default 100 000. */
  readonly maxEntries?: number;
  /** PEM of a private CA, trusted in addition to the public and system ones. */
  readonly ca?: string;
  readonly signal?: AbortSignal;
  /** Injectable for tests; the default sleep ends early when `signal` aborts. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface FetchedPlugin {
  /** `<pluginRoot>/relation-<id>-<first 16 hex of sha512>`, complete (it appeared by one rename). */
  readonly dir: string;
  /** Of the downloaded bytes, lower-case hex. */
  readonly sha512: string;
  readonly sha256: string;
  readonly bytes: number;
  /** True when that directory already existed (same content): nothing was extracted. */
  readonly reused: boolean;
}

export const PLUGIN_FETCH_DEFAULTS = {
  maxBytes: 512 * 1024 * 1024,
  timeoutMs: 60_000,
  attempts: 4,
  backoffMs: 500,
  backoffCapMs: 8_000,
  maxRedirects: 5,
  maxEntries: 100_000,
} as const;

/** The sentinel a requirer sends when it needs no plugin (the caller checks; this is a guard). */
const NOT_REQUIRED = "NOT-REQUIRED";

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw new TypeError(`${name} must be an integer >= ${min}`);
  return value;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Downloads the requirer's plugin tarball, verifies it, and extracts it safely into its own directory under
 * `pluginRoot`. Transient failures are retried with backoff; every failure is a PluginFetchError naming the
 * relation, and leaves no temporary file behind.
 */
export async function fetchPlugin(options: FetchPluginOptions): Promise<FetchedPlugin> {
  assertRelationId(options.relationId);
  const d = PLUGIN_FETCH_DEFAULTS;
  const maxBytes = checkCount("maxBytes", options.maxBytes ?? d.maxBytes, 1);
  const settings = {
    maxBytes,
    timeoutMs: checkCount("timeoutMs", options.timeoutMs ?? d.timeoutMs, 1),
    attempts: checkCount("attempts", options.attempts ?? d.attempts, 1),
    backoffMs: checkCount("backoffMs", options.backoffMs ?? d.backoffMs, 0),
    backoffCapMs: checkCount("backoffCapMs", options.backoffCapMs ?? d.backoffCapMs, 0),
    maxRedirects: checkCount("maxRedirects", options.maxRedirects ?? d.maxRedirects, 0),
    maxUnpackedBytes: checkCount("maxUnpackedBytes", options.maxUnpackedBytes ?? 4 * maxBytes, 0),
    maxEntries: checkCount("maxEntries", options.maxEntries ?? d.maxEntries, 1),
  };
  const root = resolve(options.pluginRoot);
  const progress = { attempts: 0 };
  try {
    return await fetchInto(root, options, settings, progress);
  } catch (err) {
    const context = { relationId: options.relationId, attempts: progress.attempts };
    if (err instanceof PluginFetchError)
      throw err.withContext({ ...context, attempts: err.attempts || context.attempts });
    if (isErrnoException(err) && err.syscall) throw filesystemError(err, root).withContext(context);
    throw err;
  }
}

type Settings = Required<
  Pick<
    FetchPluginOptions,
    | "maxBytes"
    | "timeoutMs"
    | "attempts"
    | "backoffMs"
    | "backoffCapMs"
    | "maxRedirects"
    | "maxUnpackedBytes"
    | "maxEntries"
  >
>;

async function fetchInto(
  root: string,
  options: FetchPluginOptions,
  settings: Settings,
  progress: { attempts: number },
): Promise<FetchedPlugin> {
  const { relationId, signal } = options;
  if (options.url.trim() === NOT_REQUIRED) {
    throw new PluginFetchError({
      kind: "bad-url",
      transient: false,
      problem: "plugin-url is NOT-REQUIRED, there is nothing to fetch",
      fix: "the charm must skip fetching for NOT-REQUIRED",
    });
  }
  const { fetchUrl, sha512: pinned } = parsePluginUrl(options.url);
  throwIfAborted(signal);
  await mkdir(root, { recursive: true });
  const dispatcher = new Agent({ connect: pluginConnector(options.ca, settings.timeoutMs) });
  let downloadPath: string | undefined;
  try {
    const { value: download, attempts } = await withRetries(
      {
        attempts: settings.attempts,
        backoffMs: settings.backoffMs,
        backoffCapMs: settings.backoffCapMs,
        sleep: options.sleep ?? abortableSleep(signal),
        signal,
      },
      async (n) => {
        progress.attempts = n;
        const tempPath = join(root, tempName(relationId, "download"));
        const result = await downloadOnce({ ...settings, url: fetchUrl, tempPath, dispatcher, signal });
        return { ...result, tempPath };
      },
    );
    progress.attempts = attempts;
    downloadPath = download.tempPath;

    const offered: OfferedDigest[] = [
      ...(pinned ? [{ algorithm: "sha-512", hex: pinned, source: "plugin-url fragment" } as const] : []),
      ...parseReprDigest(download.reprDigest),
      ...parseDigest(download.digest),
    ];
    verifyDigests(download, offered, fetchUrl);
    const fetched = { sha512: download.sha512, sha256: download.sha256, bytes: download.bytes };
    const dir = join(root, pluginDirName(relationId, download.sha512));
    if (await isDirectory(dir)) return { dir, ...fetched, reused: true };

    const format = detectFormat(download.head);
    if (!format) throw notAnArchive(describeHead(download.head), fetchUrl);
    const inspected = await inspectArchive(downloadPath, format, settings, fetchUrl, {
      timeoutMs: settings.timeoutMs,
      signal,
    });
    throwIfAborted(signal);
    const reused = await extractInto(
      dir,
      downloadPath,
      join(root, tempName(relationId, "extract")),
      fetchUrl,
      signal,
      inspected.manifest,
    );
    return { dir, ...fetched, reused };
  } finally {
    if (downloadPath) await rm(downloadPath, { force: true }).catch(() => undefined);
    await dispatcher.destroy().catch(() => undefined);
  }
}

/** Extracts into a staging directory and renames it into place; true when another fetch got there first. */
async function extractInto(
  dir: string,
  archive: string,
  staging: string,
  url: string,
  signal: AbortSignal | undefined,
  manifest: readonly ArchiveEntry[],
): Promise<boolean> {
  await mkdir(staging, { mode: 0o755 });
  try {
    // mkdir's mode passes through the umask; the worker must be able to read the plugin.
    await chmod(staging, 0o755);
    await extractArchive(archive, staging, url, manifest);
    throwIfAborted(signal);
    await rename(staging, dir);
    return false;
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    const lostRace = isErrnoException(err) && (err.code === "EEXIST" || err.code === "ENOTEMPTY");
    if (lostRace && (await isDirectory(dir))) return true;
    throw err;
  }
}
