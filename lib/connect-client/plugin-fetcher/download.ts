import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import { dirname } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Dispatcher, request } from "undici";
import { type ComputedDigests, DownloadHasher } from "./checksum.js";
import { abortedError, filesystemError, isErrnoException, PluginFetchError } from "./errors.js";
import { parseRetryAfter } from "./retry.js";
import { requestTarget } from "./url.js";

export interface DownloadRequest {
  /** The URL to fetch (no fragment; userinfo, if any, becomes Basic auth). */
  readonly url: string;
  /** Where the body goes; created exclusively, removed again on any failure. */
  readonly tempPath: string;
  readonly maxBytes: number;
  /** For the whole try: connecting, waiting for headers, and reading the body. */
  readonly timeoutMs: number;
  readonly maxRedirects: number;
  readonly dispatcher: Dispatcher;
  readonly signal?: AbortSignal;
}

export interface Download extends ComputedDigests {
  readonly bytes: number;
  /** The first bytes (up to 512), to tell a tarball from anything else. */
  readonly head: Buffer;
  readonly reprDigest: string | undefined;
  readonly digest: string | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const TRANSIENT_STATUSES = new Set([408, 429]);
const HEAD_BYTES = 512;

function header(headers: Dispatcher.ResponseData["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** Drops a body we will not read. Destroying it makes undici emit an abort error, which nobody needs. */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => undefined);
  body.destroy();
}

/** Counts, hashes and keeps the head of the body on its way to disk; stops at maxBytes. */
class Meter extends Transform {
  bytes = 0;
  readonly hasher = new DownloadHasher();
  #head: Buffer[] = [];
  #headBytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly url: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(tooLarge(this.maxBytes, this.url, "while streaming"));
      return;
    }
    this.hasher.update(chunk);
    if (this.#headBytes < HEAD_BYTES) {
      this.#head.push(chunk.subarray(0, HEAD_BYTES - this.#headBytes));
      this.#headBytes += Math.min(chunk.length, HEAD_BYTES - this.#headBytes);
    }
    callback(null, chunk);
  }

  head(): Buffer {
    return Buffer.concat(this.#head);
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function tooLarge(maxBytes: number, url: string, when: string): PluginFetchError {
  return new PluginFetchError({
    kind: "too-large",
    transient: false,
    problem: `download exceeds the ${formatBytes(maxBytes)} limit (${when})`,
    fix: "serve a smaller plugin",
    url,
  });
}

function statusError(status: number, url: string, retryAfter: string | undefined): PluginFetchError {
  const transient = status >= 500 || TRANSIENT_STATUSES.has(status);
  const reason = STATUS_CODES[status];
  return new PluginFetchError({
    kind: "http-status",
    transient,
    problem: `server answered ${status}${reason ? ` ${reason}` : ""}`,
    fix: transient ? "will retry" : "check plugin-url",
    url,
    retryAfterMs: transient ? parseRetryAfter(retryAfter) : undefined,
  });
}

function redirectError(problem: string, url: string): PluginFetchError {
  return new PluginFetchError({ kind: "redirect", transient: false, problem, fix: "check plugin-url", url });
}

/** Where a redirect goes, refusing what a plugin download should never follow. */
function nextHop(current: URL, location: string | undefined, hops: number, max: number): URL {
  if (!location) throw redirectError("server redirected without a Location", current.href);
  if (hops >= max) throw redirectError(`more than ${max} redirects`, current.href);
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw redirectError("server redirected to an invalid URL", current.href);
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw redirectError(
      `server redirected to a ${next.protocol} URL (only http and https are followed)`,
      current.href,
    );
  }
  if (current.protocol === "https:" && next.protocol === "http:") {
    throw redirectError("server redirected from https to plain http (refused)", current.href);
  }
  next.hash = "";
  return next;
}

const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);
const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "connection closed before the download finished",
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: "body shorter than its Content-Length",
};

/** TLS failures are configuration problems (wrong CA, wrong name, expired): retrying will not fix them. */
function isTlsError(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH/.test(code);
}

interface TryState {
  timedOut: boolean;
  gotHeaders: boolean;
  /** Where the try is now (redirects move it); unredacted, errors redact it. */
  url: URL;
}

function classify(err: unknown, req: DownloadRequest, state: TryState): PluginFetchError {
  if (err instanceof PluginFetchError) return err;
  const url = state.url.href;
  if (req.signal?.aborted) return abortedError();
  if (isErrnoException(err) && err.path === req.tempPath) return filesystemError(err, dirname(req.tempPath));
  const code = isErrnoException(err) ? (err.code ?? "") : "";
  if (state.timedOut || TIMEOUT_CODES.has(code)) {
    const seconds = req.timeoutMs / 1000;
    return new PluginFetchError({
      kind: "timeout",
      transient: true,
      problem: state.gotHeaders
        ? `download did not finish within ${seconds} s`
        : `server did not answer within ${seconds} s`,
      fix: "will retry",
      url,
      cause: err,
    });
  }
  if (isTlsError(code)) {
    return new PluginFetchError({
      kind: "tls",
      transient: false,
      problem: `TLS verification failed (${code})`,
      fix: "check the server certificate and the CA it is signed by",
      url,
      cause: err,
    });
  }
  const words = NETWORK_WORDS[code];
  return new PluginFetchError({
    kind: "network",
    transient: true,
    problem: words
      ? `${words} (${code})`
      : `network error (${code || (err instanceof Error ? err.message : String(err))})`,
    fix: "will retry",
    url,
    cause: err,
  });
}

/** GETs `state.url`, following redirects; resolves with the first response that is not one. */
async function openFollowingRedirects(
  req: DownloadRequest,
  state: TryState,
  signal: AbortSignal,
): Promise<Dispatcher.ResponseData> {
  let authorization: string | undefined;
  for (let hops = 0; ; hops++) {
    const target = requestTarget(state.url);
    // Credentials from the URL go to its own origin only, never across a redirect to another host.
    authorization = target.authorization ?? authorization;
    const response = await request(target.url, {
      method: "GET",
      headers: {
        accept: "application/x-tar, application/gzip, application/octet-stream, */*",
        "accept-encoding": "identity",
        ...(authorization ? { authorization } : {}),
      },
      dispatcher: req.dispatcher,
      signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    if (!REDIRECTS.has(response.statusCode)) return response;
    discard(response.body);
    const next = nextHop(state.url, header(response.headers, "location"), hops, req.maxRedirects);
    if (next.origin !== state.url.origin) authorization = undefined;
    state.url = next;
  }
}

/** Streams a 200 body to `tempPath`, counting and hashing it on the way. */
async function saveBody(
  req: DownloadRequest,
  response: Dispatcher.ResponseData,
  url: string,
): Promise<Download> {
  const { headers, body } = response;
  const declared = header(headers, "content-length");
  const length = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
  if (length !== undefined && length > req.maxBytes) {
    discard(body);
    throw tooLarge(req.maxBytes, url, `Content-Length ${length}`);
  }
  const meter = new Meter(req.maxBytes, url);
  await pipeline(body, meter, createWriteStream(req.tempPath, { flags: "wx", mode: 0o600 }));
  if (length !== undefined && meter.bytes !== length) {
    // undici reports this itself; checked again because a short plugin must never pass as complete.
    throw new PluginFetchError({
      kind: "network",
      transient: true,
      problem: `body ended after ${meter.bytes} of ${length} bytes`,
      fix: "will retry",
      url,
    });
  }
  return {
    ...meter.hasher.digest(),
    bytes: meter.bytes,
    head: meter.head(),
    reprDigest: header(headers, "repr-digest"),
    digest: header(headers, "digest"),
  };
}

/**
 * One try: GET with redirects, status check, size limits, streaming to `tempPath` while hashing. Every failure
 * is a PluginFetchError and leaves no file behind.
 */
export async function downloadOnce(req: DownloadRequest): Promise<Download> {
  const state: TryState = { timedOut: false, gotHeaders: false, url: new URL(req.url) };
  const controller = new AbortController();
  const timer = setTimeout(() => {
    state.timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const onAbort = () => controller.abort();
  req.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (req.signal?.aborted) throw abortedError();
    const response = await openFollowingRedirects(req, state, controller.signal);
    state.gotHeaders = true;
    if (response.statusCode !== 200) {
      discard(response.body);
      throw statusError(response.statusCode, state.url.href, header(response.headers, "retry-after"));
    }
    return await saveBody(req, response, state.url.href);
  } catch (err) {
    // A failed clean-up must not hide why the download failed.
    await rm(req.tempPath, { force: true }).catch(() => undefined);
    throw classify(err, req, state);
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener("abort", onAbort);
  }
}
