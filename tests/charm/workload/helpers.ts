import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DesiredState } from "../../../charm/common/desired-state.js";
import { writeFileAtomic } from "../../../charm/common/files.js";
import type { WorkloadLog } from "../../../charm/workload/log.js";
import { eventually } from "../../support/eventually.js";

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw request: the path goes out exactly as given (no normalisation of `..` or `%2e`). */
export function http(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sha512(data: Buffer): string {
  return createHash("sha512").update(data).digest("hex");
}

/** A plugin "tarball": random bytes (the server never looks inside), written to `dir/plugin.tar`. */
export function writePlugin(dir: string, bytes: number, name = "plugin.tar") {
  const data = randomBytes(bytes);
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, data, sha512: sha512(data), size: bytes };
}

export interface Captured extends WorkloadLog {
  readonly lines: string[];
}

export function captureLog(): Captured {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m) => lines.push(`ERROR ${m}`),
  };
}

export const MODEL_UUID = "0b9c2f4e-6a1d-4c3b-9e8f-1a2b3c4d5e6f";

export function baseDesired(overrides: Partial<DesiredState> = {}): DesiredState {
  return {
    version: 1,
    generation: 1,
    writtenAt: new Date(0).toISOString(),
    unit: "kci/0",
    app: "kci",
    modelUuid: MODEL_UUID,
    charmDir: "/var/lib/juju/agents/unit-kci-0/charm",
    port: 8080,
    plugin: { mode: "not-required" },
    leader: true,
    connectors: [],
    holds: {},
    restartPolicy: { enabled: true, maxRestarts: 10, backoffUnitMs: 60_000 },
    reconcileIntervalMs: 30_000,
    history: {},
    ...overrides,
  };
}

/** Timers driven by the test: nothing fires until `advance`, which also moves `now`. */
/**
 * Writes the desired.json of a unit serving a `bytes`-sized plugin from `dir`, with Kafka Connect access (an
 * endpoint nothing listens on) whose password is `password`: what the workload-as-a-process tests start from.
 */
export async function writeServingDesired(
  dir: string,
  opts: { port: number; leader: boolean; bytes: number; password: string },
): Promise<ReturnType<typeof writePlugin>> {
  const plugin = writePlugin(dir, opts.bytes);
  await writeFileAtomic(
    join(dir, "desired.json"),
    JSON.stringify(
      baseDesired({
        port: opts.port,
        leader: opts.leader,
        charmDir: dir,
        plugin: { mode: "serve", path: plugin.path, sha512: plugin.sha512, size: plugin.size },
        kafkaConnect: {
          relation: 3,
          endpoints: ["http://127.0.0.1:1"],
          username: "u",
          password: opts.password,
        },
      }),
    ),
  );
  return plugin;
}

export class ManualTimers {
  now = 1_000_000;
  #next = 1;
  readonly #pending = new Map<number, { at: number; fn: () => void }>();

  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.#next++;
    this.#pending.set(id, { at: this.now + ms, fn });
    return id;
  };

  readonly clearTimeout = (handle: unknown): void => {
    this.#pending.delete(handle as number);
  };

  readonly clock = (): number => this.now;

  /** Delays of the timers pending now, from now. */
  pending(): number[] {
    return [...this.#pending.values()].map((t) => t.at - this.now).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers in order (and those they schedule within the window). */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.#pending.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at);
      const first = due[0];
      if (!first) break;
      this.#pending.delete(first[0]);
      this.now = Math.max(this.now, first[1].at);
      first[1].fn();
      await flush();
    }
    this.now = end;
    await flush();
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/**
 * Keeps writing `chunk` to a connected socket every 50 ms (a slowloris) until the server closes it, which
 * must happen within `withinMs`; the socket is destroyed either way.
 */
export async function trickleUntilClosed(socket: Socket, chunk: string, withinMs = 5000): Promise<void> {
  let closed = socket.destroyed;
  socket.on("close", () => {
    closed = true;
  });
  const trickle = setInterval(() => {
    if (!socket.destroyed) socket.write(chunk);
  }, 50);
  try {
    await eventually(
      async () => closed,
      (c) => c,
      withinMs,
    );
  } finally {
    clearInterval(trickle);
    socket.destroy();
  }
}
