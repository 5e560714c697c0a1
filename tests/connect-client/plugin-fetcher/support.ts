import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach } from "vitest";

/**
 * Test helpers: tarballs written header by header (so hostile entries can be built: tar refuses to create
 * them), and a real HTTP(S) server on 127.0.0.1 with a free port that records every request.
 */

export interface TarEntrySpec {
  readonly path: string;
  /** ustar typeflag: "0" file, "1" hardlink, "2" symlink, "3" char device, "4" block device, "5" dir, "6" FIFO, "x" pax. */
  readonly type?: string;
  readonly body?: string | Buffer;
  readonly linkpath?: string;
  readonly mode?: number;
}

function putString(block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new Error(`"${value}" does not fit in ${length} bytes`);
  bytes.copy(block, offset);
}

function putOctal(block: Buffer, offset: number, length: number, value: number): void {
  putString(block, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

/** One ustar header (plus its padded body). Paths over 100 bytes are split into prefix and name. */
export function tarEntry(spec: TarEntrySpec): Buffer {
  const body = typeof spec.body === "string" ? Buffer.from(spec.body) : (spec.body ?? Buffer.alloc(0));
  const type = spec.type ?? "0";
  const block = Buffer.alloc(512);
  let name = spec.path;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", 155);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  putString(block, 0, 100, name);
  putOctal(block, 100, 8, spec.mode ?? (type === "5" ? 0o755 : 0o644));
  putOctal(block, 108, 8, 0);
  putOctal(block, 116, 8, 0);
  putOctal(block, 124, 12, body.length);
  putOctal(block, 136, 12, 1_700_000_000);
  block.fill(0x20, 148, 156);
  block.write(type, 156, "latin1");
  putString(block, 157, 100, spec.linkpath ?? "");
  block.write("ustar\0" + "00", 257, "latin1");
  putString(block, 265, 32, "root");
  putString(block, 297, 32, "root");
  putString(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  putString(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([block, body, padding]);
}

/** A pax extended header entry: its records apply to the entry that follows. */
export function paxEntry(records: Record<string, string>): TarEntrySpec {
  let body = "";
  for (const [key, value] of Object.entries(records)) {
    const rest = ` ${key}=${value}\n`;
    let length = rest.length + 1;
    while (`${length}${rest}`.length !== length) length = `${length}${rest}`.length;
    body += `${length}${rest}`;
  }
  return { path: "PaxHeader/entry", type: "x", body };
}

/** A whole archive: the entries, then the two zero blocks that end it. */
export function tarball(entries: readonly TarEntrySpec[]): Buffer {
  return Buffer.concat([...entries.map(tarEntry), Buffer.alloc(1024)]);
}

export function gzip(data: Buffer): Buffer {
  return gzipSync(data);
}

export function sha512(data: Buffer): string {
  return createHash("sha512").update(data).digest("hex");
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A small plugin: two jars in a directory. */
export function pluginTarball(version = "1"): Buffer {
  return tarball([
    { path: "connector/", type: "5" },
    { path: "connector/connector.jar", body: `connector jar v${version}` },
    { path: "connector/lib/dep.jar", body: "dependency jar" },
  ]);
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, requestNumber: number) => void;

export interface TestServer {
  readonly origin: string;
  readonly requests: RecordedRequest[];
  url(path: string): string;
  close(): Promise<void>;
}

async function listen(
  server: ReturnType<typeof createServer>,
  scheme: "http" | "https",
  requests: RecordedRequest[],
): Promise<TestServer> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `${scheme}://127.0.0.1:${port}`;
  return {
    origin,
    requests,
    url: (path) => `${origin}${path}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An HTTP server on 127.0.0.1:0; `handler` gets the 1-based number of each request. */
export async function serve(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handler(req, res, requests.length);
  });
  return listen(server, "http", requests);
}

export async function serveTls(handler: Handler, tls: { key: string; cert: string }): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createTlsServer(tls, (req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handler(req, res, requests.length);
  });
  return listen(server as unknown as ReturnType<typeof createServer>, "https", requests);
}

/** Serves `body` with a Content-Length (the common case) and any extra headers. */
export function sendBody(res: ServerResponse, body: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    "content-type": "application/x-tar",
    "content-length": String(body.length),
    ...headers,
  });
  res.end(body);
}

/** A fresh plugin root under the OS temp dir. */
export async function tempRoot(): Promise<{ root: string; cleanup(): Promise<void> }> {
  const base = await mkdtemp(join(tmpdir(), "plugin-fetcher-"));
  const root = join(base, "plugins");
  return { root, cleanup: () => rm(base, { recursive: true, force: true }) };
}

/** Names under `dir` (sorted); [] when it does not exist. */
export async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** Sleeps that return at once and remember what they were asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

/**
 * Per-test fixture: a fresh plugin root before each test, and after it the test's server (if it set one) closed
 * and the root removed.
 */
export function pluginFixture(): { server: TestServer | undefined; readonly root: string } {
  let dirs: { root: string; cleanup(): Promise<void> } | undefined;
  const fx = {
    server: undefined as TestServer | undefined,
    get root(): string {
      if (!dirs) throw new Error("pluginFixture().root is only set inside a test");
      return dirs.root;
    },
  };
  beforeEach(async () => {
    dirs = await tempRoot();
  });
  afterEach(async () => {
    await fx.server?.close();
    fx.server = undefined;
    await dirs?.cleanup();
  });
  return fx;
}
