import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A stand-in for the emulator's worker-control server: one entry per worker with its own plugin path and
 * credentials file; a restart records what the worker would load (the credentials text at that moment).
 */
export interface FakeWorker {
  index: number;
  running: boolean;
  pluginPath: string;
  credentialsFile: string;
  restarts: number;
  /** The credentials text each (re)start read. */
  loaded: string[];
  /** Answer POSTs with this status instead of 204 (a worker that will not restart). */
  failWith?: number;
}

export interface FakeControl {
  readonly url: string;
  readonly workers: FakeWorker[];
  urlFor(i: number): string;
  close(): Promise<void>;
}

export async function startFakeControl(count: number, endpoints?: readonly string[]): Promise<FakeControl> {
  const dir = await mkdtemp(join(tmpdir(), "kc-fake-control-"));
  const workers: FakeWorker[] = Array.from({ length: count }, (_, index) => ({
    index,
    running: true,
    pluginPath: join(dir, `worker-${index}`, "plugins"),
    credentialsFile: join(dir, `worker-${index}`, "connect.password"),
    restarts: 0,
    loaded: [],
  }));
  const { mkdir } = await import("node:fs/promises");
  for (const w of workers) await mkdir(w.pluginPath, { recursive: true });
  const server: Server = createServer((req, res) => {
    const m = /^\/workers\/(\d+)(?:\/(restart|stop|start))?$/.exec(req.url ?? "");
    const w = m ? workers[Number(m[1])] : undefined;
    if (!w) return void res.writeHead(404).end();
    if (req.method === "GET" && !m![2]) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          index: w.index,
          endpoint: endpoints?.[w.index] ?? `http://127.0.0.1:${18083 + w.index}`,
          running: w.running,
          pluginPath: w.pluginPath,
          credentialsFile: w.credentialsFile,
          caFile: null,
        }),
      );
      return;
    }
    if (req.method !== "POST" || !m![2]) return void res.writeHead(405).end();
    if (w.failWith) return void res.writeHead(w.failWith).end();
    void (async () => {
      if (m![2] === "stop") w.running = false;
      else {
        w.restarts++;
        w.running = true;
        w.loaded.push(await readFile(w.credentialsFile, "latin1").catch(() => ""));
      }
      res.writeHead(204).end();
    })();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    workers,
    urlFor: (i) => `${url}/workers/${i}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Serves one plugin tarball at /plugin.tar; `status` makes it answer an error instead. */
export async function startPluginServer(tarball: Buffer): Promise<{
  url: string;
  status: number;
  hits: number;
  close(): Promise<void>;
}> {
  const state = { status: 200, hits: 0 };
  const server = createServer((req, res) => {
    state.hits++;
    if (req.url !== "/plugin.tar" || state.status !== 200)
      return void res.writeHead(state.status || 404).end();
    res.writeHead(200, { "content-type": "application/x-tar", "content-length": tarball.length });
    res.end(tarball);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/plugin.tar`;
  return Object.assign(state, {
    url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
}
