import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import express from "express";
import { errorBody } from "./errors.js";
import type { Incoming, Reply } from "./rest.js";
import type { TestTls } from "./tls.js";
import type { WorkerRuntime } from "./worker.js";

/**
 * The largest request body a worker reads. Kafka Connect sets no limit (its Jetty has no SizeLimitHandler, and
 * Jackson reads whatever comes); this one is the emulator's own, so that no request can grow the process.
 */
export const MAX_REQUEST_BODY_BYTES = 8 * 1024 * 1024;

/** Jetty 12's SizeLimitHandler wording, in the emulator's JSON error body. */
const tooLarge = (size: number): Reply => ({
  status: 413,
  body: errorBody(413, `Request body is too large: ${size}>${MAX_REQUEST_BODY_BYTES}`),
  headers: { connection: "close" },
});

/**
 * The HTTP side of a worker: express as plumbing, every request handed to `serve`. A null reply is a request
 * the worker dropped: its connection is cut. A body past MAX_REQUEST_BODY_BYTES (declared or counted) is
 * answered 413 before anything else, authentication included, and is not read further: the connection closes.
 */
export function createWorkerApp(serve: (incoming: Incoming) => Promise<Reply | null>): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.use((req, res) => {
    const refuse = (size: number) => {
      req.removeAllListeners("data");
      req.removeAllListeners("end");
      req.pause();
      // Connection: close makes Node end the socket once the 413 is out, instead of draining the body.
      send(res, tooLarge(size));
    };
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_REQUEST_BODY_BYTES) {
      refuse(declared);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BODY_BYTES) refuse(size);
      else chunks.push(c);
    });
    req.on("error", () => res.destroy());
    req.on("end", () => {
      const url = req.originalUrl;
      const q = url.indexOf("?");
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
      const incoming: Incoming = {
        method: req.method,
        path: q < 0 ? url : url.slice(0, q),
        query: q < 0 ? "" : url.slice(q + 1),
        headers,
        body: Buffer.concat(chunks),
        scheme: (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http",
      };
      serve(incoming).then(
        (reply) => (reply === null ? res.destroy() : send(res, reply)),
        (e: unknown) =>
          send(res, { status: 500, body: errorBody(500, e instanceof Error ? e.message : String(e)) }),
      );
    });
  });
  return app;
}

function send(res: express.Response, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  res.status(reply.status);
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  if (reply.text !== undefined) res.end(reply.text);
  else if (reply.body !== undefined) {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(reply.body));
  } else res.end();
}

/** Listens for worker w on 127.0.0.1 (its port, or a free one), tracking its sockets so they can be cut. */
export async function listenWorker(
  w: WorkerRuntime,
  tls: TestTls | undefined,
  serve: (incoming: Incoming) => Promise<Reply | null>,
): Promise<void> {
  const app = createWorkerApp(serve);
  const server = tls
    ? https.createServer({ key: tls.keyPem, cert: tls.certPem }, app)
    : http.createServer(app);
  server.on("connection", (socket: Socket) => {
    w.sockets.add(socket);
    socket.once("close", () => w.sockets.delete(socket));
  });
  server.on("error", () => {}); // after listen, never let a server error reach the process
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(w.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  w.port = (server.address() as { port: number }).port;
  w.server = server;
}

/** Closes worker w's server and cuts its open connections. */
export async function shutdownServer(w: WorkerRuntime): Promise<void> {
  const server = w.server;
  w.server = undefined;
  if (!server) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of w.sockets) socket.destroy();
  await closed;
}
