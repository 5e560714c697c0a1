import { spawn } from "node:child_process";

/** What a bounded child process printed and how it ended. */
export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface ExecOptions {
  readonly timeoutMs: number;
  /** Bytes kept of each stream; the rest is dropped (a chatty child cannot grow us). */
  readonly maxOutputBytes?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Aborted (the workload is stopping): the process group is killed and the call returns at once. */
  readonly signal?: AbortSignal;
}

/**
 * Juju refuses juju-exec from inside a hook context ("cannot be called from within a hook"), which it detects
 * by JUJU_CONTEXT_ID; a workload started from a hook may have inherited it, so it never reaches the child.
 */
export function envWithoutHookContext(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { JUJU_CONTEXT_ID: _dropped, ...rest } = env;
  return rest;
}

/**
 * Runs argv (no shell); after `timeoutMs` its process group is killed and the call returns, whether or not
 * the output pipes closed. Never throws for the child's failure, only reports it.
 */
export function execBounded(
  file: string,
  args: readonly string[],
  options: ExecOptions,
): Promise<ExecResult> {
  const max = options.maxOutputBytes ?? 64 * 1024;
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let settled = false;
    const finish = (result: Omit<ExecResult, "stdout" | "stderr" | "timedOut">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve({
        ...result,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        timedOut,
      });
    };
    const child = spawn(file, args, {
      env: options.env ?? envWithoutHookContext(),
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so the timeout can kill what it started too.
      detached: true,
    });
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
      // Not waiting for 'close': a process outside the group may still hold the pipes open, for ever.
      child.stdout.destroy();
      child.stderr.destroy();
      finish({ code: null, signal: "SIGKILL" });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const onAbort = () => {
      err.push(Buffer.from("aborted: the workload is stopping"));
      kill();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (b: Buffer) => {
      if (outBytes < max) out.push(b.subarray(0, max - outBytes));
      outBytes += b.length;
    });
    child.stderr.on("data", (b: Buffer) => {
      if (errBytes < max) err.push(b.subarray(0, max - errBytes));
      errBytes += b.length;
    });
    child.on("error", (e) => {
      err.push(Buffer.from(e.message));
      finish({ code: null, signal: null });
    });
    child.on("close", (code, signal) => finish({ code, signal }));
  });
}
