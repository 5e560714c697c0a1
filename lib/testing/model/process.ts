import { type ChildProcess, spawn } from "node:child_process";

/** Output kept per stream: the tail, so the end of a long trace (where the error is) survives. */
export const MAX_OUTPUT = 64 * 1024;

export interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function tail(chunks: Buffer[]): string {
  const all = Buffer.concat(chunks);
  return all.subarray(Math.max(0, all.length - MAX_OUTPUT)).toString("utf8");
}

function push(chunks: Buffer[], size: { n: number }, b: Buffer): void {
  chunks.push(b);
  size.n += b.length;
  // Keep at most twice the bound in memory: drop whole chunks from the front.
  while (size.n - chunks[0]!.length >= MAX_OUTPUT && chunks.length > 1) size.n -= chunks.shift()!.length;
}

/**
 * Runs a charm process (a hook's dispatch, a juju-exec command) and waits for it to exit. The result comes at
 * exit, not when the pipes close: a workload the hook started in the background may inherit them and live on
 * (Juju would wait for it; a charm that does so hangs its hooks there, so charms detach their services).
 */
export function runProcess(
  file: string,
  args: readonly string[],
  opts: { env: Record<string, string>; cwd: string; timeoutMs: number; onSpawn?: (c: ChildProcess) => void },
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: opts.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    opts.onSpawn?.(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const outSize = { n: 0 };
    const errSize = { n: 0 };
    child.stdout.on("data", (b: Buffer) => push(out, outSize, b));
    child.stderr.on("data", (b: Buffer) => push(err, errSize, b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    let settled = false;
    const finish = (code: number, note = "") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Give the pipes a moment to deliver what the process wrote, then stop reading them.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, stdout: tail(out), stderr: tail(err) + note });
      }, 20);
    };
    child.on("error", (e) => finish(127, `${e.message}\n`));
    child.on("exit", (code, signal) => {
      const note = timedOut
        ? `killed after ${opts.timeoutMs} ms (hook timeout)\n`
        : signal
          ? `killed by ${signal}\n`
          : "";
      finish(code ?? 128, note);
    });
  });
}
