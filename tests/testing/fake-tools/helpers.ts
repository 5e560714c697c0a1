import { spawn } from "node:child_process";

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Data to write to stdin and then close it; "open" keeps a stdin pipe that is never closed. */
  stdin?: string | Buffer | "open";
}

/** Runs a command to completion and collects its output (stdin is /dev/null unless given). */
export function run(command: string, args: readonly string[], opts: RunOptions): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: opts.env,
      cwd: opts.cwd,
      stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      child.stdin?.destroy(); // an "open" stdin is only released once the tool is gone
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    // A tool that exits without reading its stdin makes our write fail with EPIPE; that is not an error here.
    child.stdin?.on("error", () => {});
    if (opts.stdin !== undefined && opts.stdin !== "open") child.stdin?.end(opts.stdin);
  });
}
