/**
 * Small real servers on 127.0.0.1:0 for connection-level tests: they count connections and requests, and
 * every one is closed (with its sockets) by `closeAll()`, which tests call in afterEach.
 */

import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import net from "node:net";

export interface TestServer {
  readonly url: string;
  /** TCP connections accepted so far. */
  connections: number;
  /** Requests received so far. */
  requests: number;
  /** Sockets currently open. */
  readonly open: Set<net.Socket>;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, server: TestServer) => void;

const running = new Set<TestServer>();

export async function closeAll(): Promise<void> {
  const servers = [...running];
  running.clear();
  await Promise.all(servers.map((s) => s.close()));
}

function track(
  server: http.Server | https.Server,
  scheme: "http" | "https",
  handler: Handler,
): Promise<TestServer> {
  const state: TestServer = {
    url: "",
    connections: 0,
    requests: 0,
    open: new Set(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of state.open) socket.destroy();
        server.close(() => resolve());
      }),
  };
  // TLS servers see the raw TCP socket on "connection" too, which is what is counted.
  server.on("connection", (socket: net.Socket) => {
    state.connections += 1;
    state.open.add(socket);
    socket.on("close", () => state.open.delete(socket));
  });
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    state.requests += 1;
    handler(req, res, state);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      Object.assign(state, { url: `${scheme}://127.0.0.1:${port}` });
      running.add(state);
      resolve(state);
    });
  });
}

export function startHttp(handler: Handler): Promise<TestServer> {
  return track(http.createServer({ keepAlive: true }), "http", handler);
}

export function startHttps(cert: { certPem: string; keyPem: string }, handler: Handler): Promise<TestServer> {
  return track(https.createServer({ cert: cert.certPem, key: cert.keyPem }), "https", handler);
}

/** A URL on which nothing listens: a port that was free a moment ago (connection refused). */
export async function refusedUrl(): Promise<string> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Reads the request body, then answers. */
export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
