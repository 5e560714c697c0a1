import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KafkaConnectCluster } from "./api.js";

/**
 * A worker-control server: to an emulated worker what `systemctl` / `snap restart` is to a real one. A
 * provider charm running on a machine of the model emulator is handed `<url>/workers/<i>` and learns there
 * where its worker listens and which files it reads, and restarts it after writing them. Loopback only.
 *
 *   GET  /workers/<i>          200 {index, endpoint, running, pluginPath, credentialsFile, configFile, caFile}
 *   POST /workers/<i>/restart  204 once the worker is back and the rebalance it caused has settled; a worker
 *                              its config file keeps down (bad `listeners`) answers 500 {error} and stays down
 *   POST /workers/<i>/stop     204 once it is stopped
 *   POST /workers/<i>/start    204 once it is up and the rebalance it caused has settled
 *
 * Anything else is a 404; an unknown worker is `404 {"error": "no worker <i>"}`. It never answers credentials:
 * only the path of the file that holds them. Operations on one cluster run one at a time, even from several
 * control servers; more than 8 waiting (a client pipelining restarts) are refused with a 503, and so are
 * those still waiting when close() is called.
 */

export interface WorkerControl {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Closes the server and its connections, after any operation under way; removes the CA file. */
  close(): Promise<void>;
}

export interface WorkerControlOptions {
  /** Largest request body read (and ignored); a bigger one is a 413 (default 1 KiB). */
  maxBodyBytes?: number;
  /** Time allowed to receive a request's headers (default 5 s). */
  headersTimeoutMs?: number;
  /** Time allowed to receive a whole request (default 10 s). */
  requestTimeoutMs?: number;
}

export interface WorkerControlInfo {
  index: number;
  endpoint: string;
  running: boolean;
  pluginPath: string;
  credentialsFile: string;
  /** The worker's config file (perWorkerFiles), read at (re)start: `listeners` decides http or https. */
  configFile: string | null;
  /** The cluster's CA (PEM) in a file the control server owns, whenever the cluster has TLS material. */
  caFile: string | null;
}

const DEFAULT_MAX_BODY_BYTES = 1024;
/** Operations that may wait behind the running one, per cluster; one more is a 503 at once. */
export const MAX_WAITING_OPERATIONS = 8;
/** Connections the server holds at once (a slow client's socket counts until its timeouts cut it). */
const MAX_CONNECTIONS = 64;

/**
 * One queue per cluster, shared by every control server on it: two servers must not restart one worker at
 * once (a second start while the first stop is under way would race it for the worker's port).
 */
interface OperationQueue {
  tail: Promise<unknown>;
  /** Operations queued or running. */
  pending: number;
}
const queues = new WeakMap<KafkaConnectCluster, OperationQueue>();

class Refused extends Error {}
/** Header bytes Node accepts on this server (its default is 16 KiB). */
const MAX_HEADER_BYTES = 8 * 1024;

type Reply = { status: number; body?: unknown };

const notFound: Reply = { status: 404, body: { error: "not found" } };

/** `/workers/<i>` or `/workers/<i>/<action>`, the index in canonical decimal. */
const ROUTE = /^\/workers\/(0|[1-9][0-9]{0,5})(?:\/(restart|stop|start))?$/;

/** Starts a worker-control server for `cluster` on 127.0.0.1 (a free port); always `close()` it. */
export async function startWorkerControl(
  cluster: KafkaConnectCluster,
  opts: WorkerControlOptions = {},
): Promise<WorkerControl> {
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let caDir: string | undefined;
  let caFile: string | null = null;
  if (cluster.caPem !== undefined) {
    caDir = await mkdtemp(join(tmpdir(), "kc-worker-control-"));
    caFile = join(caDir, "ca.pem");
    await writeFile(caFile, cluster.caPem, { mode: 0o644 });
  }

  // One operation at a time, as one machine's init system would take them: a restart is never interleaved
  // with a stop or another restart.
  let queue = queues.get(cluster);
  if (!queue) {
    queue = { tail: Promise.resolve(), pending: 0 };
    queues.set(cluster, queue);
  }
  const q = queue;
  let closingNow = false;
  const serialised = (op: () => Promise<void>): Promise<void> => {
    if (q.pending > MAX_WAITING_OPERATIONS)
      return Promise.reject(new Refused(`${MAX_WAITING_OPERATIONS} operations are already waiting`));
    q.pending++;
    const next = q.tail
      .then(() => {
        if (closingNow) throw new Refused("the worker control is closing");
        return op();
      })
      .finally(() => {
        q.pending--;
      });
    q.tail = next.catch(() => {});
    return next;
  };

  const info = (i: number): WorkerControlInfo => {
    const files = cluster.workerFiles(i);
    return {
      index: i,
      endpoint: cluster.endpoints[i]!,
      running: cluster.workerRunning(i),
      pluginPath: files.pluginPath,
      credentialsFile: files.credentialsFile,
      configFile: files.configFile ?? null,
      caFile,
    };
  };

  const route = async (method: string, url: string): Promise<Reply> => {
    const m = ROUTE.exec(url); // the exact path: a query string or a trailing slash is a 404 too
    if (!m) return notFound;
    const i = Number(m[1]);
    const action = m[2];
    if (method !== (action === undefined ? "GET" : "POST")) return notFound;
    if (i >= cluster.endpoints.length) return { status: 404, body: { error: `no worker ${i}` } };
    if (action === undefined) return { status: 200, body: info(i) };
    try {
      await serialised(async () => {
        if (action === "stop") return cluster.stopWorker(i);
        if (action === "restart") await cluster.restartWorker(i);
        else await cluster.startWorker(i);
        await cluster.rebalanceSettled();
      });
    } catch (e) {
      if (e instanceof Refused) return { status: 503, body: { error: e.message } };
      throw e;
    }
    return { status: 204 };
  };

  const sockets = new Set<Socket>();
  const inFlight = new Set<Promise<void>>();
  const headersTimeout = opts.headersTimeoutMs ?? 5_000;
  const requestTimeout = opts.requestTimeoutMs ?? 10_000;
  const server = http.createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout,
      requestTimeout,
      // Node checks those timeouts every 30 s by default, which would let a slow client keep a socket 6x longer.
      connectionsCheckingInterval: Math.min(1_000, headersTimeout, requestTimeout),
    },
    (req, res) => {
      const handled = handle(req, res, maxBody, route);
      inFlight.add(handled);
      void handled.finally(() => inFlight.delete(handled));
    },
  );
  server.maxConnections = MAX_CONNECTIONS;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  // No clientError listener: Node's own answers a malformed request 400, a slow one 408, oversized headers 431,
  // and destroys the socket.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", () => {}); // after listen, never let a server error reach the process
  const { port } = server.address() as { port: number };

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      closing ??= (async () => {
        closingNow = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Idle keep-alive connections are cut now; one waiting on an operation gets its answer first (the
        // running one: 204 once done; those queued behind it: 503).
        server.closeIdleConnections();
        await Promise.all(inFlight);
        for (const socket of sockets) socket.destroy();
        await closed;
        if (caDir !== undefined) await rm(caDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

/** Reads (and drops) the body within the bound, then answers the route's reply as JSON. */
async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  maxBody: number,
  route: (method: string, url: string) => Promise<Reply>,
): Promise<void> {
  const send = (reply: Reply, close = false) => {
    if (res.headersSent || res.destroyed) return;
    const body = reply.body === undefined ? undefined : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(close ? { connection: "close" } : {}),
    });
    res.end(body);
  };
  const tooLarge = (): void => {
    req.removeAllListeners("data");
    req.pause();
    // Connection: close ends the socket once the 413 is out, instead of draining the rest of the body.
    send({ status: 413, body: { error: `request body larger than ${maxBody} bytes` } }, true);
  };
  if (Number(req.headers["content-length"] ?? 0) > maxBody) return tooLarge();
  const ended = await new Promise<boolean>((resolve) => {
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) {
        tooLarge();
        resolve(false);
      }
    });
    req.once("end", () => resolve(true));
    req.once("error", () => resolve(false));
    req.once("close", () => resolve(false));
  });
  if (!ended) return;
  try {
    send(await route(req.method ?? "GET", req.url ?? "/"));
  } catch (e) {
    // The cluster's own errors (a worker that cannot listen again); never a credential.
    send({ status: 500, body: { error: e instanceof Error ? e.message : String(e) } });
  }
}
