import { spawn } from "node:child_process";

/** What a hook tool printed and how it exited; the runtime maps this to values or typed errors. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one hook tool. The runtime builds argv and parses output itself, so every runner (a real process,
 * the in-process emulator, a socket shim) sees exactly the same command lines Juju would.
 */
export interface ToolRunner {
  run(tool: string, args: readonly string[], stdin?: string): Promise<ToolResult>;
}

/** Runs hook tools as processes found on PATH, as Juju provides them. Secrets only ever travel on stdin or in files. */
export class ProcessToolRunner implements ToolRunner {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  run(tool: string, args: readonly string[], stdin?: string): Promise<ToolResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(tool, args, {
        env: this.env,
        stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on("data", (b: Buffer) => out.push(b));
      child.stderr?.on("data", (b: Buffer) => err.push(b));
      child.on("error", reject);
      child.on("close", (code, signal) => {
        resolve({
          code: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
        });
      });
      if (stdin !== undefined && child.stdin) {
        // A tool that exits without reading its stdin (a usage error, say) makes the write fail with EPIPE;
        // its exit code and stderr tell what happened, so the write error must not crash the charm.
        child.stdin.on("error", () => {});
        child.stdin.end(stdin);
      }
    });
  }
}
