import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { withSha512Fragment } from "../../lib/connect-client/plugin-fetcher/url.js";
import { writeFileAtomic } from "../common/files.js";
import { isCopyStamp } from "../common/generated/validators.js";
import { PLUGIN_PATH } from "../common/workload-api.js";
import { readJsonFile } from "./json-file.js";
import type { CopyStamp } from "./state-schemas.js";

/**
 * The `connect-plugin` resource → the copy the workload serves (`<stateDir>/plugin.tar`), with its sha512 and
 * size computed while it streams; and the plugin URL this unit publishes once its server proves it serves it.
 */

export const PLUGIN_COPY_FILE = "plugin.tar";
const COPY_CACHE_FILE = "plugin.copied.json";
/** Larger resources are refused: no connector plugin is this big, and the copy must fit the state dir. */
export const MAX_PLUGIN_BYTES = 4 * 1024 ** 3;
/** `tar --files-from /dev/null`: two zero blocks padded to a 10240-byte record; Charmhub's placeholder. */
export const EMPTY_TAR_BYTES = 10_240;

export const MISSING_RESOURCE_MESSAGE =
  "resource connect-plugin is missing: attach it, or set plugin-mode to not-required";

export type PluginCopy =
  | { readonly state: "ready"; readonly path: string; readonly sha512: string; readonly size: number }
  | { readonly state: "missing"; readonly why: string }
  | { readonly state: "too-big"; readonly size: number };

/** True for what counts as "not attached": an empty file, or an all-zero 10240-byte tar. */
export async function isPlaceholder(path: string, size: number): Promise<boolean> {
  if (size === 0) return true;
  if (size !== EMPTY_TAR_BYTES) return false;
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(EMPTY_TAR_BYTES);
    const { bytesRead } = await fh.read(buf, 0, EMPTY_TAR_BYTES, 0);
    return buf.subarray(0, bytesRead).every((b) => b === 0);
  } finally {
    await fh.close();
  }
}

/** Test seam: runs after each chunk of the copy is written (a test changes the source there). */
export interface CopyHooks {
  readonly onChunk?: () => void | Promise<void>;
}

/** Copies of a resource that keeps changing underneath before giving up on it. */
const COPY_ATTEMPTS = 3;

/**
 * Copies the resource at `source` into the state dir unless the same file (path, size, mtime) was copied
 * already. The copy is written to a temp file and renamed, so the server never serves half a file; a source
 * that changed while copied is copied again, so size and sha512 always describe one settled file (the plugin
 * server refuses a copy whose size is not the declared one).
 */
export async function ensurePluginCopy(
  source: string,
  stateDir: string,
  maxBytes = MAX_PLUGIN_BYTES,
  hooks: CopyHooks = {},
): Promise<PluginCopy> {
  const dest = join(stateDir, PLUGIN_COPY_FILE);
  const stampPath = join(stateDir, COPY_CACHE_FILE);
  for (let attempt = 0; attempt < COPY_ATTEMPTS; attempt++) {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(source);
    } catch {
      return { state: "missing", why: "the resource file is not there" };
    }
    if (!st.isFile()) return { state: "missing", why: "the resource is not a file" };
    if (st.size > maxBytes) return { state: "too-big", size: st.size };
    if (await isPlaceholder(source, st.size)) {
      return {
        state: "missing",
        why: st.size === 0 ? "the resource is empty" : "the resource is the empty placeholder tar",
      };
    }
    const stamp = await readJsonFile(stampPath, isCopyStamp, 64 * 1024);
    if (stamp && stamp.source === source && stamp.size === st.size && stamp.mtimeMs === st.mtimeMs) {
      const copied = await stat(dest).catch(() => undefined);
      if (copied?.size === st.size)
        return { state: "ready", path: dest, sha512: stamp.sha512, size: st.size };
    }
    const copy = await copyHashing(source, dest, maxBytes, hooks);
    if (copy === undefined) return { state: "too-big", size: maxBytes + 1 };
    const after = await stat(source).catch(() => undefined);
    if (copy.size !== st.size || after?.size !== st.size || after.mtimeMs !== st.mtimeMs) continue;
    const next: CopyStamp = { source, size: st.size, mtimeMs: st.mtimeMs, sha512: copy.sha512 };
    await writeFileAtomic(stampPath, JSON.stringify(next));
    return { state: "ready", path: dest, sha512: copy.sha512, size: copy.size };
  }
  return { state: "missing", why: "the resource kept changing while it was copied" };
}

/** Streams source → a temp file next to dest, hashing on the way; undefined if it grew past the bound. */
async function copyHashing(
  source: string,
  dest: string,
  maxBytes: number,
  hooks: CopyHooks,
): Promise<{ sha512: string; size: number } | undefined> {
  const tmp = `${dest}.${process.pid}.partial`;
  const hash = createHash("sha512");
  const out = await open(tmp, "w", 0o644);
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(source, { highWaterMark: 1024 * 1024 })) {
      const buf = chunk as Buffer;
      bytes += buf.length;
      if (bytes > maxBytes) {
        await out.close();
        await unlink(tmp).catch(() => undefined);
        return undefined;
      }
      hash.update(buf);
      await out.write(buf);
      await hooks.onChunk?.();
    }
    await out.sync();
  } catch (err) {
    await out.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await out.close();
  await rename(tmp, dest);
  return { sha512: hash.digest("hex"), size: bytes };
}

/** What this unit's plugin server answered to HEAD. */
export interface ProbeResult {
  /** 0 when nothing answered (refused, timed out). */
  readonly status: number;
  readonly reprDigest?: string;
}

/** `Repr-Digest` a server must send for a tarball with this sha512 (RFC 9530). */
export function expectedReprDigest(sha512hex: string): string {
  return `sha-512=:${Buffer.from(sha512hex, "hex").toString("base64")}:`;
}

/** True when the probe proves the server serves exactly this tarball. */
export function servesTarball(probe: ProbeResult, sha512hex: string): boolean {
  if (probe.status !== 200 || !probe.reprDigest) return false;
  const want = expectedReprDigest(sha512hex);
  return probe.reprDigest.split(",").some((member) => member.trim().split(";")[0] === want);
}

/** HEAD <host>:<port>/api/v1/plugin (host: where the server listens), bounded in time; never throws. */
export async function probePluginServer(
  port: number,
  timeoutMs = 2_000,
  host = "127.0.0.1",
): Promise<ProbeResult> {
  const { request } = await import("node:http");
  return new Promise((resolve) => {
    const req = request(
      { host, port, path: PLUGIN_PATH, method: "HEAD", timeout: timeoutMs, agent: false },
      (res) => {
        const digest = res.headers["repr-digest"];
        res.resume();
        resolve({
          status: res.statusCode ?? 0,
          ...(typeof digest === "string" ? { reprDigest: digest } : {}),
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error("probe timed out")), timeoutMs);
    req.on("close", () => clearTimeout(timer));
    req.on("timeout", () => req.destroy(new Error("probe timed out")));
    req.on("error", () => resolve({ status: 0 }));
    req.end();
  });
}

/** `http://<address>:<port>/api/v1/plugin#sha512=<hex>` (IPv6 addresses in brackets). */
export function pluginUrlFor(address: string, port: number, sha512hex: string): string {
  const host = address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
  return withSha512Fragment(`http://${host}:${port}${PLUGIN_PATH}`, sha512hex);
}
