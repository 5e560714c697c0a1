import { createHash } from "node:crypto";
import { type FileHandle, open, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { PluginServing } from "../common/desired-state.js";
import { LIVENESS_PATH, METRICS_PATH, PLUGIN_PATH } from "../common/workload-api.js";
import type { WorkloadLog } from "./log.js";
import type { DownloadOutcome } from "./metrics.js";

/**
 * The plugin server: the tarball at /api/v1/plugin (GET, HEAD, one Range, ETag/If-None-Match), a liveness
 * route and /metrics, on node:http so we control every byte. It serves only bytes it hashed itself and found
 * equal to the declared sha512, through the file handle it hashed (a file replaced on disk afterwards is not
 * what gets served); until then, or on a mismatch, the plugin route answers 503. No route takes a path
 * parameter: nothing else on disk is reachable.
 */

export interface PluginServerLimits {
  /** Concurrent plugin downloads (GET with a body); beyond → 503 Retry-After. */
  readonly maxDownloads: number;
  /** Open connections in all. */
  readonly maxConnections: number;
  /** The whole request head must arrive within this (slowloris). */
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** A connection that moves no byte for this long is closed (a client that stops reading mid-download). */
  readonly idleTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxHeaderBytes: number;
  /** How often Node checks the two request timeouts (its default, 30 s, would defeat a 10 s bound). */
  readonly timeoutCheckMs: number;
  /**
   * Read size when streaming and hashing. Large reads are what makes Node beat `python3 -m http.server`:
   * fewer pread/write pairs per GiB (measured on loopback: 256 KiB ≈ its figure, 1 MiB ≈ 1.5×, 2 MiB and up
   * no better).
   */
  readonly chunkBytes: number;
  /**
   * Read buffers of `chunkBytes` kept for reuse by downloads, in bytes (two per download). A download that
   * finds the pool spent (more concurrent downloads than it holds, or clients that stopped reading keeping
   * theirs) streams through a small pair of its own instead, so memory stays bounded whatever the clients do.
   */
  readonly bufferPoolBytes: number;
}

export const DEFAULT_LIMITS: PluginServerLimits = {
  maxDownloads: 32,
  maxConnections: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
  timeoutCheckMs: 1_000,
  chunkBytes: 1024 * 1024,
  bufferPoolBytes: 16 * 1024 * 1024,
};

/** Read size of a download that found the buffer pool spent. */
export const FALLBACK_CHUNK_BYTES = 64 * 1024;

export const RETRY_AFTER_SECONDS = 5;
export const HEALTHZ_PATH = "/healthz";

/** What the server reports (into the snapshot and the health digest). */
export interface PluginServerState {
  readonly listening: boolean;
  readonly host: string;
  readonly port: number;
  /** Set once the served bytes are verified. */
  readonly sha512?: string;
  readonly verifying: boolean;
  readonly downloads: number;
  readonly bytesServed: number;
  readonly activeDownloads: number;
  readonly error?: string;
}

export interface PluginServerOptions {
  readonly log: WorkloadLog;
  readonly limits?: Partial<PluginServerLimits>;
  readonly metricsText?: () => Promise<{ contentType: string; body: string }>;
  readonly onDownload?: (outcome: DownloadOutcome, bytes: number) => void;
  /** Called when `state()` changed in a way that matters (listening, verified, error). */
  readonly onChange?: () => void;
}

/** A file hashed and found right; shared by every download; closed once replaced and no download uses it. */
interface VerifiedFile {
  readonly fh: FileHandle;
  readonly path: string;
  readonly size: number;
  readonly sha512hex: string;
  readonly etag: string;
  readonly reprDigest: string;
  readonly legacyDigest: string;
  readonly contentType: string;
  readonly ino: number;
  readonly mtimeMs: number;
  users: number;
  retired: boolean;
}

type PluginView =
  | { readonly kind: "none" }
  | { readonly kind: "not-required" }
  | { readonly kind: "missing" }
  | { readonly kind: "verifying"; readonly want: ServeWant }
  | { readonly kind: "refused"; readonly want: ServeWant; readonly reason: string }
  | { readonly kind: "verified"; readonly want: ServeWant; readonly file: VerifiedFile };

type ServeWant = Extract<PluginServing, { mode: "serve" }>;

const sameWant = (a: ServeWant, b: ServeWant) =>
  a.path === b.path && a.sha512 === b.sha512 && a.size === b.size;

export class PluginServer {
  readonly #o: PluginServerOptions;
  readonly #limits: PluginServerLimits;
  #server: Server | undefined;
  #host = "";
  #port = 0;
  #listenError: string | undefined;
  #view: PluginView = { kind: "none" };
  #verifyToken = 0;
  #downloads = 0;
  #bytes = 0;
  #active = 0;
  readonly #sockets = new Set<Socket>();
  #verification: Promise<void> | undefined;
  readonly #buffers: BufferPool;

  constructor(options: PluginServerOptions) {
    this.#o = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#buffers = new BufferPool(this.#limits.chunkBytes, this.#limits.bufferPoolBytes);
  }

  state(): PluginServerState {
    const v = this.#view;
    const error =
      this.#listenError ??
      (v.kind === "refused" ? v.reason : v.kind === "verifying" ? "verifying the plugin" : undefined);
    return {
      listening: this.#server?.listening === true,
      host: this.#host,
      port: this.#port,
      ...(v.kind === "verified" ? { sha512: v.file.sha512hex } : {}),
      verifying: v.kind === "verifying",
      downloads: this.#downloads,
      bytesServed: this.#bytes,
      activeDownloads: this.#active,
      ...(error === undefined ? {} : { error }),
    };
  }

  /** Resolves once no verification is running (tests, and the first snapshot after start). */
  async settled(): Promise<void> {
    while (this.#verification) await this.#verification;
  }

  /** Listen on host:port, moving when either changed; a failure is reported in `state()`, retried next call. */
  async listen(host: string, port: number): Promise<void> {
    if (this.#server?.listening && host === this.#host && (port === this.#wantPort || port === 0)) return;
    await this.#closeServer();
    this.#wantPort = port;
    this.#host = host;
    const server = createServer(
      {
        maxHeaderSize: this.#limits.maxHeaderBytes,
        headersTimeout: this.#limits.headersTimeoutMs,
        requestTimeout: this.#limits.requestTimeoutMs,
        keepAliveTimeout: this.#limits.keepAliveTimeoutMs,
        connectionsCheckingInterval: this.#limits.timeoutCheckMs,
      },
      (req, res) => this.#handle(req, res),
    );
    server.maxConnections = this.#limits.maxConnections;
    server.timeout = this.#limits.idleTimeoutMs;
    server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
      // A malformed, oversized or too slow head: answer briefly if the socket still can, never crash.
      if (!socket.writable) return void socket.destroy();
      const status = CLIENT_ERROR_STATUS[err.code ?? ""] ?? "400 Bad Request";
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host, port }, () => {
          server.off("error", reject);
          resolve();
        });
      });
      server.on("error", (err) => this.#o.log.warn(`plugin server: ${err.message}`));
      this.#server = server;
      this.#port = (server.address() as AddressInfo).port;
      this.#listenError = undefined;
      this.#o.log.info(`plugin server listening on ${host}:${this.#port}`);
    } catch (err) {
      this.#server = undefined;
      this.#port = port;
      this.#listenError = `cannot listen on ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? err}`;
      this.#o.log.warn(`plugin server ${this.#listenError}`);
    }
    this.#o.onChange?.();
  }
  #wantPort = -1;

  /**
   * What to serve. Called on every cycle: a no-op while the wanted file is the one verified and unchanged on
   * disk; otherwise (re)verifies in the background and serves 503 meanwhile.
   */
  async setPlugin(plugin: PluginServing): Promise<void> {
    if (plugin.mode !== "serve") {
      if (this.#view.kind === plugin.mode) return;
      this.#retire();
      this.#verifyToken++;
      this.#view = { kind: plugin.mode };
      this.#o.onChange?.();
      return;
    }
    const v = this.#view;
    if (v.kind === "verifying" && sameWant(v.want, plugin)) return;
    if (v.kind === "verified" && sameWant(v.want, plugin) && (await this.#unchangedOnDisk(v.file))) return;
    if (v.kind === "refused" && sameWant(v.want, plugin) && !(await this.#changedSinceRefusal(v))) return;
    this.#startVerification(plugin);
  }

  async close(): Promise<void> {
    this.#verifyToken++;
    await this.#closeServer();
    await this.settled();
    this.#retire();
    this.#view = { kind: "none" };
  }

  // ---- verification -------------------------------------------------------------------------------------

  #refusedStat = new WeakMap<object, string>();

  async #changedSinceRefusal(v: Extract<PluginView, { kind: "refused" }>): Promise<boolean> {
    const before = this.#refusedStat.get(v);
    const now = await statKey(v.want.path);
    return before !== now;
  }

  async #unchangedOnDisk(file: VerifiedFile): Promise<boolean> {
    try {
      const s = await stat(file.path);
      return s.ino === file.ino && s.size === file.size && s.mtimeMs === file.mtimeMs;
    } catch {
      return false;
    }
  }

  #startVerification(want: ServeWant): void {
    const token = ++this.#verifyToken;
    const keepServing = this.#view.kind === "verified" ? this.#view : undefined;
    // The old bytes stop being served at once: they are no longer what the charm declares.
    if (keepServing) this.#retire();
    this.#view = { kind: "verifying", want };
    this.#o.onChange?.();
    const run = this.#verify(want, token).finally(() => {
      if (this.#verification === run) this.#verification = undefined;
    });
    this.#verification = run;
  }

  async #verify(want: ServeWant, token: number): Promise<void> {
    const stale = () => token !== this.#verifyToken;
    let fh: FileHandle | undefined;
    try {
      fh = await open(want.path, "r");
      const before = await fh.stat();
      if (!before.isFile()) throw new Refusal(`${want.path} is not a regular file`);
      if (before.size !== want.size) {
        throw new Refusal(`${want.path} is ${before.size} bytes, ${want.size} declared`);
      }
      const hash = createHash("sha512");
      const buf = Buffer.allocUnsafe(this.#limits.chunkBytes);
      let pos = 0;
      let magic: Buffer | undefined;
      while (pos < before.size) {
        if (stale()) return;
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, before.size - pos), pos);
        if (bytesRead === 0) throw new Refusal(`${want.path} shrank while being hashed`);
        if (!magic) magic = Buffer.from(buf.subarray(0, Math.min(bytesRead, 2)));
        hash.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      const digest = hash.digest();
      const after = await fh.stat();
      if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
        throw new Refusal(`${want.path} changed while being hashed`);
      }
      const hex = digest.toString("hex");
      if (hex !== want.sha512) {
        throw new Refusal(
          `${want.path} has sha512 ${hex.slice(0, 16)}…, ${want.sha512.slice(0, 16)}… declared`,
        );
      }
      if (stale()) return;
      const b64 = digest.toString("base64");
      const file: VerifiedFile = {
        fh,
        path: want.path,
        size: before.size,
        sha512hex: hex,
        etag: `"sha512-${digest.toString("base64url")}"`,
        reprDigest: `sha-512=:${b64}:`,
        legacyDigest: `SHA-512=${b64}`,
        contentType: magic?.[0] === 0x1f && magic[1] === 0x8b ? "application/gzip" : "application/x-tar",
        ino: before.ino,
        mtimeMs: before.mtimeMs,
        users: 0,
        retired: false,
      };
      fh = undefined; // owned by `file` now
      this.#view = { kind: "verified", want, file };
      this.#o.log.info(`plugin server: serving ${want.path} (${file.size} bytes, sha512 verified)`);
    } catch (err) {
      if (stale()) return;
      const reason =
        err instanceof Refusal
          ? err.message
          : `cannot read ${want.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      const view = { kind: "refused" as const, want, reason };
      this.#refusedStat.set(view, await statKey(want.path));
      if (stale()) return;
      this.#view = view;
      this.#o.log.warn(`plugin server: not serving: ${reason}`);
    } finally {
      await fh?.close().catch(() => undefined);
    }
    if (!stale()) this.#o.onChange?.();
  }

  #retire(): void {
    if (this.#view.kind !== "verified") return;
    const file = this.#view.file;
    file.retired = true;
    if (file.users === 0) void file.fh.close().catch(() => undefined);
  }

  #release(file: VerifiedFile): void {
    file.users--;
    if (file.retired && file.users === 0) void file.fh.close().catch(() => undefined);
  }

  // ---- HTTP ----------------------------------------------------------------------------------------------

  #handle(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader("X-Content-Type-Options", "nosniff");
    const url = req.url ?? "";
    const q = url.indexOf("?");
    // The raw path, never decoded or normalised: `/api/v1/plugin/../x`, `%2e%2e` and `%2f` are simply other
    // strings, and every route is an exact match.
    const path = q === -1 ? url : url.slice(0, q);
    if (path === PLUGIN_PATH || path === `${PLUGIN_PATH}/`) {
      if (!allowRead(req, res)) return;
      this.#plugin(req, res).catch((err: unknown) => {
        this.#o.log.warn(`plugin server: ${(err as Error).message}`);
        if (!res.headersSent) json(res, 500, { error: "internal error" });
        else res.destroy();
      });
      return;
    }
    if (path === LIVENESS_PATH || path === HEALTHZ_PATH) {
      if (!allowRead(req, res)) return;
      const s = this.state();
      json(res, 200, { status: "ok", plugin: this.#view.kind, verified: s.sha512 !== undefined }, req);
      return;
    }
    if (path === METRICS_PATH && this.#o.metricsText) {
      if (!allowRead(req, res)) return;
      this.#o.metricsText().then(
        ({ contentType, body }) => {
          res.writeHead(200, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) });
          res.end(req.method === "HEAD" ? undefined : body);
        },
        () => json(res, 500, { error: "metrics unavailable" }),
      );
      return;
    }
    json(res, 404, { error: "not found" }, req);
  }

  async #plugin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const v = this.#view;
    if (v.kind === "not-required") {
      json(res, 404, { error: "no plugin: this integrator runs with plugin-mode not-required" }, req);
      return;
    }
    if (v.kind === "missing" || v.kind === "none") {
      json(res, 404, { error: "no plugin: the connect-plugin resource is not attached" }, req);
      return;
    }
    if (v.kind !== "verified") {
      res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
      json(res, 503, { error: "the plugin is not verified yet" }, req);
      return;
    }
    const file = v.file;
    file.users++;
    try {
      // Modified in place (same inode)? Then these are not the bytes we hashed: verify again first.
      const now = await file.fh.stat();
      if (now.size !== file.size || now.mtimeMs !== file.mtimeMs) {
        if (this.#view === v) this.#startVerification(v.want);
        res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
        json(res, 503, { error: "the plugin changed on disk; verifying it again" }, req);
        return;
      }
      await this.#sendFile(req, res, file);
    } finally {
      this.#release(file);
    }
  }

  async #sendFile(req: IncomingMessage, res: ServerResponse, file: VerifiedFile): Promise<void> {
    res.setHeader("ETag", file.etag);
    res.setHeader("Repr-Digest", file.reprDigest);
    res.setHeader("Digest", file.legacyDigest);
    res.setHeader("Accept-Ranges", "bytes");
    res.setHeader("Cache-Control", "no-cache");
    res.setHeader("Content-Type", file.contentType);
    res.setHeader("Content-Disposition", 'attachment; filename="plugin.tar"');
    if (etagMatches(req.headers["if-none-match"], file.etag)) {
      res.writeHead(304).end();
      return;
    }
    let range = parseRange(req.headers.range, file.size);
    if (range && req.headers["if-range"] !== undefined && req.headers["if-range"] !== file.etag)
      range = undefined;
    if (range === "unsatisfiable") {
      res.setHeader("Content-Range", `bytes */${file.size}`);
      json(res, 416, { error: "range not satisfiable" }, req);
      return;
    }
    const start = range ? range.start : 0;
    const end = range ? range.end : file.size - 1; // inclusive
    const length = end - start + 1;
    res.setHeader("Content-Length", String(Math.max(length, 0)));
    if (range) res.setHeader("Content-Range", `bytes ${start}-${end}/${file.size}`);
    const status = range ? 206 : 200;
    if (req.method === "HEAD" || length <= 0) {
      res.writeHead(status).end();
      return;
    }
    if (this.#active >= this.#limits.maxDownloads) {
      res.removeHeader("Content-Range");
      res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
      res.setHeader("Content-Type", "application/json");
      res.removeHeader("Content-Disposition");
      const body = JSON.stringify({ error: `busy: ${this.#limits.maxDownloads} downloads in progress` });
      res.setHeader("Content-Length", String(Buffer.byteLength(body)));
      res.writeHead(503).end(body);
      return;
    }
    this.#active++;
    let sent = 0;
    let complete = false;
    const buffers = this.#buffers.acquire();
    try {
      res.writeHead(status);
      sent = await streamFile(file.fh, res, start, length, buffers.pair);
      complete = sent === length;
    } finally {
      // streamFile returns only once the socket holds no reference to the pair (ended or closed).
      this.#buffers.release(buffers);
      this.#active--;
      this.#bytes += sent;
      const outcome: DownloadOutcome = !complete ? "aborted" : range ? "range" : "complete";
      if (complete) this.#downloads++;
      this.#o.onDownload?.(outcome, sent);
    }
  }

  async #closeServer(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#wantPort = -1;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // Downloads in progress are cut: the new listener (or none) is what the charm asked for.
      for (const s of this.#sockets) s.destroy();
    });
  }
}

class Refusal extends Error {}

const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  HPE_HEADERS_TIMEOUT: "408 Request Timeout",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

async function statKey(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code}`;
  }
}

function allowRead(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === "GET" || req.method === "HEAD") return true;
  res.setHeader("Allow", "GET, HEAD");
  json(res, 405, { error: "method not allowed" });
  return false;
}

function json(res: ServerResponse, status: number, body: unknown, req?: IncomingMessage): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(req?.method === "HEAD" ? undefined : text);
}

/** If-None-Match: weak comparison (RFC 9110 §13.1.2), `*` matches. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .includes(etag);
}

/**
 * One `bytes=` range (RFC 9110 §14.1.2). Undefined → serve the whole body: no header, a syntax we do not
 * honour, or several ranges (allowed: a server may ignore Range). "unsatisfiable" → 416.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  if (header === undefined || header.length > 200) return undefined;
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header);
  if (!m) return undefined;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return undefined;
  if (a === "") {
    const suffix = Number(b);
    if (!Number.isSafeInteger(suffix)) return undefined;
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return undefined;
  if (b !== "" && Number(b) < start) return undefined; // invalid: ignored, as RFC 9110 says
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

/**
 * Read buffers for downloads: pairs of `chunkBytes`, reused across downloads, at most `poolBytes` of them in
 * all. Beyond that a download gets a small pair of its own, dropped when it ends.
 */
export class BufferPool {
  readonly #free: (readonly [Buffer, Buffer])[] = [];
  readonly #maxPairs: number;
  readonly #chunkBytes: number;
  #pairs = 0;

  constructor(chunkBytes: number, poolBytes: number) {
    this.#chunkBytes = chunkBytes;
    this.#maxPairs = Math.floor(poolBytes / (2 * chunkBytes));
  }

  /** Pairs allocated by the pool (free or lent). */
  get pairs(): number {
    return this.#pairs;
  }

  acquire(): { readonly pair: readonly [Buffer, Buffer]; readonly pooled: boolean } {
    const reused = this.#free.pop();
    if (reused) return { pair: reused, pooled: true };
    if (this.#pairs < this.#maxPairs) {
      this.#pairs++;
      const n = this.#chunkBytes;
      return { pair: [Buffer.allocUnsafe(n), Buffer.allocUnsafe(n)], pooled: true };
    }
    const n = Math.min(this.#chunkBytes, FALLBACK_CHUNK_BYTES);
    return { pair: [Buffer.allocUnsafe(n), Buffer.allocUnsafe(n)], pooled: false };
  }

  /** Only once nothing (a socket's write queue included) refers to the pair any more. */
  release(lent: { readonly pair: readonly [Buffer, Buffer]; readonly pooled: boolean }): void {
    if (lent.pooled) this.#free.push(lent.pair);
  }
}

/**
 * Streams `length` bytes from `start` through two buffers: the read into one overlaps the socket's write of
 * the other, a buffer is read into again only once the socket has taken it (its write callback), so at most
 * two buffers are in flight per download and a client that stops reading stops the reads. Returns the bytes
 * handed to the socket, without throwing when the client goes away. A download cut short by the file (it
 * shrank) or by a read error is closed at once: its Content-Length can no longer be met, and a response left
 * open would hold the client until the idle timeout. Returns only once the socket no longer refers to either
 * buffer (the response ended or closed), so the caller may reuse them.
 */
export async function streamFile(
  fh: FileHandle,
  res: ServerResponse,
  start: number,
  length: number,
  bufs: readonly [Buffer, Buffer],
): Promise<number> {
  let gone = res.destroyed;
  let onGone: () => void = () => undefined;
  const closed = new Promise<false>((resolve) => {
    onGone = () => {
      gone = true;
      resolve(false);
    };
  });
  res.on("close", onGone);
  const inFlight: (Promise<boolean> | undefined)[] = [undefined, undefined];
  let pos = start;
  let sent = 0;
  let slot = 0;
  let ended = false;
  try {
    while (sent < length && !gone) {
      // A write callback may never come once the socket is destroyed: race it with 'close'.
      const pending = inFlight[slot];
      if ((pending && !(await Promise.race([pending, closed]))) || gone) break;
      const buf = bufs[slot]!;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - sent), pos);
      if (bytesRead === 0 || gone) break;
      pos += bytesRead;
      inFlight[slot] = new Promise<boolean>((resolve) => {
        res.write(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead), (err) => resolve(!err));
      });
      sent += bytesRead;
      slot ^= 1;
    }
    if (sent === length && !gone) {
      ended = await Promise.race([new Promise<true>((r) => res.end(() => r(true))), closed]);
    }
  } finally {
    if (!ended && !gone) res.destroy();
    // After 'close' the socket's handle is closed: no write of ours is pending on either buffer.
    if (!ended) await closed;
    res.off("close", onGone);
  }
  return sent;
}
