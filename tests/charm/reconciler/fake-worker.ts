/**
 * A scripted Kafka Connect worker for answers the emulator never gives: listings of 100k connectors, traces
 * of tens of MB, names no real client could create, configs with keys the worker added. Stores what it is
 * sent and lists it back through `shape`; records every request. Binds 127.0.0.1:0; close it after each test.
 */

import { createServer, type IncomingMessage, type Server } from "node:http";

export interface FakeRequest {
  readonly method: string;
  /** The path as sent (still percent-encoded) and its query. */
  readonly url: string;
}

export interface FakeWorker {
  readonly endpoint: string;
  readonly requests: FakeRequest[];
  /** Configs as stored, by name. */
  readonly stored: Map<string, Record<string, string>>;
  close(): Promise<void>;
}

export interface FakeWorkerOptions {
  readonly version?: string;
  /** The config the listing shows for a stored one (default: as stored). */
  readonly shape?: (name: string, config: Record<string, string>) => Record<string, string>;
  /** The connector's status trace in the listing, if any. */
  readonly trace?: (name: string) => string | undefined;
  /** Other applications' connectors in the listing (FAILED, with a small config): names only. */
  readonly others?: readonly string[];
}

export async function startFakeWorker(options: FakeWorkerOptions = {}): Promise<FakeWorker> {
  const requests: FakeRequest[] = [];
  const stored = new Map<string, Record<string, string>>();
  // Built once, before any request: the listing is then served as fast as the client reads it.
  const otherEntries = (options.others ?? []).map((name) => entryText(name, otherEntry(name)));
  const server: Server = createServer(async (req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "" });
    const body = await readBody(req);
    const send = (status: number, value?: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value));
    };
    const url = new URL(req.url ?? "/", "http://x");
    const parts = url.pathname.split("/").slice(1).map(decodeURIComponent);
    const info = (name: string, config: Record<string, string>) => ({
      name,
      config,
      tasks: [],
      type: "source",
    });
    if (req.method === "GET" && url.pathname === "/") {
      return send(200, { version: options.version ?? "3.9.0", commit: "c", kafka_cluster_id: "k" });
    }
    const status = (name: string) => {
      const trace = options.trace?.(name);
      const connector = { state: "RUNNING", worker_id: "w", ...(trace ? { trace } : {}) };
      return { name, type: "source", connector, tasks: [] };
    };
    const shown = (name: string, config: Record<string, string>) =>
      options.shape ? options.shape(name, config) : config;
    if (req.method === "GET" && url.pathname === "/connectors") {
      if (!url.searchParams.has("expand")) return send(200, [...stored.keys(), ...(options.others ?? [])]);
      const own = [...stored].map(([name, config]) =>
        entryText(name, { info: info(name, shown(name, config)), status: status(name) }),
      );
      return send(200, `{${[...own, ...otherEntries].join(",")}}`);
    }
    if (req.method === "GET" && parts[0] === "connectors" && parts.length === 2 && stored.has(parts[1]!)) {
      return send(200, info(parts[1]!, shown(parts[1]!, stored.get(parts[1]!)!)));
    }
    if (req.method === "GET" && parts[0] === "connectors" && parts[2] === "status" && stored.has(parts[1]!)) {
      return send(200, status(parts[1]!));
    }
    if (req.method === "POST" && url.pathname === "/connectors") {
      const { name, config } = JSON.parse(body) as { name: string; config: Record<string, string> };
      if (stored.has(name))
        return send(409, { error_code: 409, message: `Connector ${name} already exists` });
      stored.set(name, { ...config, name });
      return send(201, info(name, { ...config, name }));
    }
    if (parts[0] === "connectors" && parts.length === 3 && parts[2] === "config" && req.method === "PUT") {
      const name = parts[1]!;
      const config = { ...(JSON.parse(body) as Record<string, string>), name };
      const created = !stored.has(name);
      stored.set(name, config);
      return send(created ? 201 : 200, info(name, config));
    }
    if (parts[0] === "connectors" && parts.length === 2 && req.method === "DELETE") {
      stored.delete(parts[1]!);
      return send(204);
    }
    return send(404, { error_code: 404, message: `not scripted: ${req.method} ${req.url}` });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stored,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const entryText = (name: string, value: unknown) => `${JSON.stringify(name)}:${JSON.stringify(value)}`;

function otherEntry(name: string) {
  return {
    info: { name, config: { "connector.class": "x", name }, tasks: [], type: "source" },
    status: {
      name,
      type: "source",
      connector: { state: "FAILED", worker_id: "w", trace: "boom" },
      tasks: [],
    },
  };
}
